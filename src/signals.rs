//! What the UI reads of a client, as Leptos signals, and how an [`Update`](mqtt_client::Update)
//! from the worker changes them.

use crate::log::Log;
use crate::next_frame::NextFrame;
use leptos::prelude::*;
use mqtt_client::{
    Notice, Outcome, QueueView, Received, RetryStatus, Sent, SentChange, Status, Subscription,
};
use std::rc::Rc;

/// A function told of each message as it arrives.
pub(crate) type ReceivedHandler = Rc<dyn Fn(&Received)>;

/// What the UI reads. Each part is a signal of its own, so a view re-renders only for its part.
#[derive(Clone, Copy)]
pub(crate) struct Signals {
    pub(crate) status: RwSignal<Status>,
    /// Written untracked as messages arrive; its readers hear of it once a frame.
    pub(crate) received: RwSignal<Log<Received>>,
    pub(crate) received_frame: StoredValue<NextFrame, LocalStorage>,
    pub(crate) sent: RwSignal<Log<Sent>>,
    pub(crate) subscriptions: RwSignal<Vec<Subscription>>,
    pub(crate) errors: RwSignal<Log<Notice>>,
    pub(crate) retry: RwSignal<RetryStatus>,
    pub(crate) queue: RwSignal<QueueView>,
    /// The worker died: the page offers to restart it.
    pub(crate) worker_stopped: RwSignal<bool>,
    /// Told of each message as it arrives ([`Client::on_received`]).
    pub(crate) received_handlers: StoredValue<Vec<ReceivedHandler>, LocalStorage>,
}

impl Signals {
    /// Applies what the connection changed. Each received message goes to the handlers first,
    /// then into the log, whose readers hear of it at the next frame.
    pub(crate) fn apply(&self, update: mqtt_client::Update) {
        let mqtt_client::Update {
            status,
            received,
            sent,
            subscriptions,
            notices,
            retry,
            queue,
        } = update;
        if let Some(retry) = retry {
            self.retry.set(retry);
        }
        if let Some(queue) = queue {
            self.queue.set(queue);
        }
        if let Some(status) = status {
            self.status.set(status);
        }
        if !received.is_empty() {
            // Cloned, so that a handler may add another without a borrow held.
            let handlers = self.received_handlers.get_value();
            for message in &received {
                for handler in &handlers {
                    handler(message);
                }
            }
            self.received.update_untracked(|log| {
                for message in received {
                    log.push(message);
                }
            });
            self.received_frame.try_with_value(NextFrame::schedule);
        }
        if !sent.is_empty() {
            self.sent.update(|log| apply_to_sent(log, sent));
        }
        if let Some(subscriptions) = subscriptions {
            self.subscriptions.set(subscriptions);
        }
        if !notices.is_empty() {
            self.errors.update(|log| {
                for notice in notices {
                    log.push(notice);
                }
            });
        }
    }
}

/// Brings the log of sent messages up to date, in the order of the changes.
fn apply_to_sent(log: &mut Log<Sent>, changes: Vec<SentChange>) {
    for change in changes {
        match change {
            SentChange::Added(sent) => {
                log.push(sent);
            }
            SentChange::Outcome(id, outcome) => {
                // Ids rise with each publish and acks come in near that order: search from
                // the end.
                if let Some(entry) = log.find_last_mut(|entry| entry.id == id) {
                    entry.outcome = outcome;
                }
            }
            SentChange::UnacknowledgedStored => {
                for (_, entry) in log.iter_mut() {
                    if matches!(entry.outcome, Outcome::Pending | Outcome::Received) {
                        entry.outcome = Outcome::Stored;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use mqtt_engine::{PublishId, QoS};

    #[test]
    fn sent_messages_learn_their_outcome_and_survive_a_lost_link() {
        let mut log = Log::new(10);
        let entry = |id| Sent {
            id: PublishId(id),
            at: 0.0,
            topic: "t".into(),
            payload: Bytes::new(),
            qos: QoS::AtLeastOnce,
            retain: false,
            outcome: Outcome::Pending,
        };
        apply_to_sent(
            &mut log,
            (1..=3).map(|id| SentChange::Added(entry(id))).collect(),
        );
        // A lost link changes no outcome: the session sends the rest again after the
        // reconnect.
        apply_to_sent(
            &mut log,
            vec![SentChange::Outcome(PublishId(2), Outcome::Delivered)],
        );
        let outcomes = |log: &Log<Sent>| -> Vec<Outcome> {
            log.iter().map(|(_, sent)| sent.outcome.clone()).collect()
        };
        assert_eq!(
            outcomes(&log),
            [Outcome::Pending, Outcome::Delivered, Outcome::Pending],
            "the session sends the rest again after the reconnect"
        );
        apply_to_sent(&mut log, vec![SentChange::UnacknowledgedStored]);
        assert_eq!(
            outcomes(&log),
            [Outcome::Stored, Outcome::Delivered, Outcome::Stored]
        );
    }
}
