//! The [`Client`] handle for the UI and tests: commands go down to the connection; the
//! [`Update`](mqtt_client::Update)s it sends up are applied to signals that the UI reads.

use crate::log::Log;
use crate::next_frame::NextFrame;
use leptos::prelude::*;
use mqtt_client::{
    Connection, Notice, Outcome, QueueView, Received, RetryStatus, Sent, SentChange, Status,
    Subscription,
};
use mqtt_engine::{
    ConnectOptions, Message, PublishError, PublishId, QoS, RequestId, SubscribeError,
};
use std::rc::Rc;

/// How many entries the logs of sent messages and errors keep for the UI.
const KEPT: usize = 500;

/// How many received messages the log keeps, unless told otherwise
/// ([`set_received_capacity`](Client::set_received_capacity)).
pub const DEFAULT_RECEIVED_KEPT: usize = 100_000;

/// An MQTT client over a browser WebSocket: commands in, signals out.
///
/// `Copy`, so the UI can hand it to every event handler. Its state is in signals that the UI
/// reads; nothing here renders anything.
///
/// One session lives across links: a lost connection is tried again after a backoff (see
/// [`retry`](Self::retry)), and what was published meanwhile goes out after the reconnect.
///
/// ```ignore
/// let client = Client::new();
/// client.connect("ws://broker.emqx.io:8083/mqtt", ConnectOptions::new("me"));
/// client.subscribe("python/mqtt", QoS::AtMostOnce)?; // goes out after CONNACK
/// client.publish(Message::new("python/mqtt", "hi", QoS::AtLeastOnce))?;
/// ```
#[derive(Clone, Copy)]
pub struct Client {
    connection: StoredValue<Connection, LocalStorage>,
    signals: Signals,
}

/// A function told of each message as it arrives.
type ReceivedHandler = Rc<dyn Fn(&Received)>;

/// What the UI reads. Each part is a signal of its own, so a view re-renders only for its part.
#[derive(Clone, Copy)]
struct Signals {
    status: RwSignal<Status>,
    /// Written untracked as messages arrive; its readers hear of it once a frame.
    received: RwSignal<Log<Received>>,
    received_frame: StoredValue<NextFrame, LocalStorage>,
    sent: RwSignal<Log<Sent>>,
    subscriptions: RwSignal<Vec<Subscription>>,
    errors: RwSignal<Log<Notice>>,
    retry: RwSignal<RetryStatus>,
    queue: RwSignal<QueueView>,
    /// Told of each message as it arrives ([`Client::on_received`]).
    received_handlers: StoredValue<Vec<ReceivedHandler>, LocalStorage>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    pub fn new() -> Self {
        let received = RwSignal::new(Log::new(DEFAULT_RECEIVED_KEPT));
        let signals = Signals {
            status: RwSignal::new(Status::Idle),
            received,
            received_frame: StoredValue::new_local(NextFrame::new(move || received.notify())),
            sent: RwSignal::new(Log::new(KEPT)),
            subscriptions: RwSignal::new(Vec::new()),
            errors: RwSignal::new(Log::new(KEPT)),
            retry: RwSignal::new(RetryStatus::default()),
            queue: RwSignal::new(QueueView::default()),
            received_handlers: StoredValue::new_local(Vec::new()),
        };
        Self {
            connection: StoredValue::new_local(Connection::new(move |update| {
                signals.apply(update)
            })),
            signals,
        }
    }

    pub fn status(&self) -> ReadSignal<Status> {
        self.signals.status.read_only()
    }

    /// Messages received, newest last. It changes as each message arrives; those who track it
    /// hear of the changes once per animation frame.
    pub fn received(&self) -> ReadSignal<Log<Received>> {
        self.signals.received.read_only()
    }

    /// Messages published, each with what became of it.
    pub fn sent(&self) -> ReadSignal<Log<Sent>> {
        self.signals.sent.read_only()
    }

    pub fn subscriptions(&self) -> ReadSignal<Vec<Subscription>> {
        self.signals.subscriptions.read_only()
    }

    /// Errors not shown elsewhere: refused publishes and subscriptions, storage trouble.
    pub fn errors(&self) -> ReadSignal<Log<Notice>> {
        self.signals.errors.read_only()
    }

    /// Reconnecting: the tries made, when the next one starts, why the link was lost.
    pub fn retry(&self) -> ReadSignal<RetryStatus> {
        self.signals.retry.read_only()
    }

    /// Messages waiting to be sent, dropped at the bound, and not yet acknowledged.
    pub fn queue(&self) -> ReadSignal<QueueView> {
        self.signals.queue.read_only()
    }

    /// Calls `handler` with each message as it arrives (in the task that follows the burst of
    /// WebSocket messages that brought it), before it is in [`received`](Self::received),
    /// whose readers hear of it only once a frame: for a reader that keeps pace with the
    /// stream rather than the screen (a flow-control window, say). What `handler` publishes
    /// goes out with the acks of the messages of that burst.
    pub fn on_received(&self, handler: impl Fn(&Received) + 'static) {
        (self.signals.received_handlers).update_value(|handlers| handlers.push(Rc::new(handler)));
    }

    pub fn clear_received(&self) {
        self.signals.received.update(Log::clear);
    }

    /// Keeps at most `capacity` received messages from now on, dropping the oldest past it.
    pub fn set_received_capacity(&self, capacity: usize) {
        self.signals
            .received
            .update(|log| log.set_capacity(capacity));
    }

    pub fn clear_sent(&self) {
        self.signals.sent.update(Log::clear);
    }

    pub fn clear_errors(&self) {
        self.signals.errors.update(Log::clear);
    }

    /// Opens a WebSocket to `url` and connects with `options`, ending any connection before.
    /// With the same `url` and `options` as before, the session goes on (what it queued goes
    /// out); with others, a new session starts, given what this browser stored for the broker
    /// and client id. Whatever goes wrong shows in [`status`](Self::status) in plain words.
    pub fn connect(&self, url: &str, options: ConnectOptions) {
        self.connection
            .with_value(|connection| connection.connect(url, options));
    }

    /// Says goodbye to the broker (DISCONNECT), closes the WebSocket, stops reconnecting.
    pub fn disconnect(&self) {
        self.connection.with_value(Connection::disconnect);
    }

    /// Stops reconnecting (a try under way included).
    pub fn cancel_reconnect(&self) {
        self.connection.with_value(Connection::cancel_reconnect);
    }

    /// Makes the next try now rather than at the end of the backoff.
    pub fn retry_now(&self) {
        self.connection.with_value(Connection::retry_now);
    }

    /// Hands a message to the session. Connected, it goes out with whatever else is due this
    /// turn; otherwise it waits, in order, for the next CONNACK (and in this browser's storage
    /// meanwhile). Refused only with no connection set up, or at the queue's bound.
    pub fn publish(&self, message: Message) -> Result<PublishId, PublishError> {
        self.connection
            .try_with_value(|connection| connection.publish(message, true))
            .unwrap_or(Err(PublishError::NotConnected))
    }

    /// As [`publish`](Self::publish), but refused unless connected now.
    pub fn publish_if_connected(&self, message: Message) -> Result<PublishId, PublishError> {
        self.connection
            .try_with_value(|connection| connection.publish(message, false))
            .unwrap_or(Err(PublishError::NotConnected))
    }

    /// Subscribes; while the link is down, the SUBSCRIBE goes out after the next CONNACK.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<RequestId, SubscribeError> {
        self.connection
            .try_with_value(|connection| connection.subscribe(filter, qos))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    pub fn unsubscribe(&self, filter: &str) -> Result<RequestId, SubscribeError> {
        self.connection
            .try_with_value(|connection| connection.unsubscribe(filter))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    /// For tests: holds the session's timer back, as a browser does in a hidden tab; on
    /// release a timer that came due meanwhile fires at once, late.
    #[doc(hidden)]
    pub fn hold_timer(&self, held: bool) {
        self.connection
            .with_value(|connection| connection.hold_timer(held));
    }
}

impl Signals {
    /// Applies what the connection changed. Each received message goes to the handlers first
    /// (what they command finds the connection free), then into the log, whose readers hear of
    /// it at the next frame.
    fn apply(&self, update: mqtt_client::Update) {
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
