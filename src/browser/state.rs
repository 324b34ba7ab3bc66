//! What the driver shows the UI, as plain data: the connection's status, messages received,
//! messages sent and what became of them, subscriptions, errors. The driver keeps each in a
//! signal; how one turn's events change them is here, in plain Rust, tested natively.

use super::log::Log;
use crate::mqtt::{DisconnectReason, Event, Message, PublishId, QoS, RequestId, SubscribeResult};
use bytes::Bytes;

/// Where the connection stands, for people.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Status {
    /// No connection tried yet.
    #[default]
    Idle,
    /// The WebSocket is opening, or CONNECT is waiting for CONNACK.
    Connecting,
    Connected {
        session_present: bool,
    },
    Disconnected {
        /// Why, in plain words.
        reason: String,
        /// The user asked for it: not an error.
        by_you: bool,
    },
}

impl Status {
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }

    /// Connecting or connected: a Connect button makes no sense now.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Connecting | Self::Connected { .. })
    }

    /// The status in a sentence.
    pub fn text(&self) -> String {
        match self {
            Self::Idle => "Not connected".into(),
            Self::Connecting => "Connecting…".into(),
            Self::Connected {
                session_present: false,
            } => "Connected".into(),
            Self::Connected {
                session_present: true,
            } => "Connected (the broker kept the previous session)".into(),
            Self::Disconnected { by_you: true, .. } => "Disconnected".into(),
            Self::Disconnected { reason, .. } => format!("Disconnected: {reason}"),
        }
    }

    /// A short word for styling and tests: idle, connecting, connected, disconnected, failed.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Connecting => "connecting",
            Self::Connected { .. } => "connected",
            Self::Disconnected { by_you: true, .. } => "disconnected",
            Self::Disconnected { by_you: false, .. } => "failed",
        }
    }
}

/// A message that arrived, with the wall-clock time (ms since 1970) it arrived at.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub at: f64,
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
}

/// A message handed to the session, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub id: PublishId,
    pub at: f64,
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// QoS 1 or 2, not yet acknowledged.
    Pending,
    /// QoS 0: handed to the WebSocket. QoS 1: PUBACK came. QoS 2: PUBCOMP came.
    Delivered,
    /// The broker refused it, or the link dropped before it was acknowledged.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub filter: String,
    /// The QoS asked for.
    pub qos: QoS,
    pub state: SubState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SubState {
    /// SUBSCRIBE sent, no SUBACK yet.
    Pending(RequestId),
    Granted(QoS),
    Refused(String),
    /// UNSUBSCRIBE sent, no UNSUBACK yet.
    Unsubscribing(RequestId),
}

/// An error to show, with the wall-clock time it happened at.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub at: f64,
    pub text: String,
}

/// One turn's events, sorted by what they change.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub status: Option<Status>,
    pub received: Vec<Received>,
    pub outcomes: Vec<(PublishId, Outcome)>,
    pub connected: Option<bool>,
    pub subscribed: Vec<(RequestId, Vec<SubscribeResult>)>,
    pub unsubscribed: Vec<RequestId>,
    /// The link ended this turn: what was waiting for an answer will get none.
    pub ended: bool,
    pub errors: Vec<String>,
}

impl Changes {
    /// Sorts the events of one turn; `at` is the wall-clock time for received messages.
    pub fn from_events(events: Vec<Event>, at: f64) -> Self {
        let mut changes = Self::default();
        for event in events {
            match event {
                Event::Connected { session_present } => {
                    changes.status = Some(Status::Connected { session_present });
                    changes.connected = Some(session_present);
                }
                Event::Message(Message {
                    topic,
                    payload,
                    qos,
                    retain,
                    ..
                }) => changes.received.push(Received {
                    at,
                    topic,
                    payload,
                    qos,
                    retain,
                }),
                Event::Published { id } => changes.outcomes.push((id, Outcome::Delivered)),
                Event::PublishFailed { id, reason } => {
                    let text = format!("the broker refused the message: {reason}");
                    changes.errors.push(text.clone());
                    changes.outcomes.push((id, Outcome::Failed(text)));
                }
                Event::Subscribed { id, results } => {
                    for result in &results {
                        if let Err(reason) = result.outcome {
                            changes.errors.push(format!(
                                "the broker refused the subscription to '{}': {reason}",
                                result.filter
                            ));
                        }
                    }
                    changes.subscribed.push((id, results));
                }
                Event::Unsubscribed { id, .. } => changes.unsubscribed.push(id),
                Event::Disconnected { reason } => {
                    changes.ended = true;
                    changes.status = Some(Status::Disconnected {
                        by_you: reason == DisconnectReason::ClientRequested,
                        reason: reason.to_string(),
                    });
                }
            }
        }
        changes
    }

    /// Brings the list of subscriptions up to date.
    ///
    /// Each connection has a session of its own in the driver, so requests unanswered when a
    /// link ends are dropped; and a broker that starts a new session forgets every subscription.
    pub fn apply_to_subscriptions(&self, subscriptions: &mut Vec<Subscription>) {
        if self.connected == Some(false) {
            subscriptions.clear();
        }
        for (id, results) in &self.subscribed {
            for result in results {
                let entry = subscriptions
                    .iter_mut()
                    .find(|s| s.filter == result.filter && s.state == SubState::Pending(*id));
                if let Some(entry) = entry {
                    entry.state = match result.outcome {
                        Ok(qos) => SubState::Granted(qos),
                        Err(reason) => SubState::Refused(reason.to_string()),
                    };
                }
            }
        }
        subscriptions.retain(|s| match s.state {
            SubState::Unsubscribing(id) => !self.unsubscribed.contains(&id) && !self.ended,
            SubState::Pending(_) => !self.ended,
            _ => true,
        });
    }

    /// Brings the outcome of sent messages up to date.
    pub fn apply_to_sent(&self, sent: &mut Log<Sent>) {
        for (id, outcome) in &self.outcomes {
            // Ids rise with each publish and acks come in near that order: search from the end.
            if let Some(entry) = sent.find_last_mut(|entry| entry.id == *id) {
                entry.outcome = outcome.clone();
            }
        }
        if self.ended {
            for (_, entry) in sent.iter_mut() {
                if entry.outcome == Outcome::Pending {
                    entry.outcome = Outcome::Failed(
                        "not acknowledged: the connection closed first".to_string(),
                    );
                }
            }
        }
    }
}

/// A SUBSCRIBE went out for `filter`: it replaces any subscription to the same filter, as the
/// broker will.
pub fn subscription_requested(
    subscriptions: &mut Vec<Subscription>,
    filter: &str,
    qos: QoS,
    id: RequestId,
) {
    let state = SubState::Pending(id);
    match subscriptions.iter_mut().find(|s| s.filter == filter) {
        Some(entry) => {
            entry.qos = qos;
            entry.state = state;
        }
        None => subscriptions.push(Subscription {
            filter: filter.to_string(),
            qos,
            state,
        }),
    }
}

/// An UNSUBSCRIBE went out for `filter`.
pub fn unsubscribe_requested(subscriptions: &mut [Subscription], filter: &str, id: RequestId) {
    if let Some(entry) = subscriptions.iter_mut().find(|s| s.filter == filter) {
        entry.state = SubState::Unsubscribing(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::ReasonCode;

    fn result(filter: &str, outcome: Result<QoS, ReasonCode>) -> SubscribeResult {
        SubscribeResult {
            filter: filter.into(),
            outcome,
        }
    }

    #[test]
    fn events_sort_into_changes() {
        let changes = Changes::from_events(
            vec![
                Event::Connected {
                    session_present: false,
                },
                Event::Message(Message::new("a", "x", QoS::AtLeastOnce)),
                Event::Published { id: PublishId(1) },
                Event::PublishFailed {
                    id: PublishId(2),
                    reason: ReasonCode(0x97),
                },
            ],
            5.0,
        );
        assert_eq!(
            changes.status,
            Some(Status::Connected {
                session_present: false
            })
        );
        assert_eq!(changes.received.len(), 1);
        assert_eq!(changes.received[0].at, 5.0);
        assert_eq!(changes.outcomes[0], (PublishId(1), Outcome::Delivered));
        assert!(changes.errors[0].contains("quota exceeded"));
    }

    #[test]
    fn a_disconnect_reads_as_its_reason() {
        let changes = Changes::from_events(
            vec![Event::Disconnected {
                reason: DisconnectReason::Refused(ReasonCode(0x86)),
            }],
            0.0,
        );
        let status = changes.status.unwrap();
        assert_eq!(status.kind(), "failed");
        assert!(status.text().contains("bad user name or password"));
        let by_you = Changes::from_events(
            vec![Event::Disconnected {
                reason: DisconnectReason::ClientRequested,
            }],
            0.0,
        );
        assert_eq!(by_you.status.unwrap().kind(), "disconnected");
    }

    #[test]
    fn subscriptions_follow_their_acks() {
        let mut subscriptions = Vec::new();
        subscription_requested(&mut subscriptions, "a/#", QoS::ExactlyOnce, RequestId(1));
        subscription_requested(&mut subscriptions, "b", QoS::AtMostOnce, RequestId(2));
        let changes = Changes::from_events(
            vec![
                Event::Subscribed {
                    id: RequestId(1),
                    results: vec![result("a/#", Ok(QoS::AtLeastOnce))],
                },
                Event::Subscribed {
                    id: RequestId(2),
                    results: vec![result("b", Err(ReasonCode(0x87)))],
                },
            ],
            0.0,
        );
        changes.apply_to_subscriptions(&mut subscriptions);
        assert_eq!(subscriptions[0].state, SubState::Granted(QoS::AtLeastOnce));
        assert_eq!(
            subscriptions[1].state,
            SubState::Refused("not authorized (reason code 0x87)".into())
        );
        assert!(changes.errors[0].contains("subscription to 'b'"));

        unsubscribe_requested(&mut subscriptions, "a/#", RequestId(3));
        Changes::from_events(
            vec![Event::Unsubscribed {
                id: RequestId(3),
                filters: vec!["a/#".into()],
            }],
            0.0,
        )
        .apply_to_subscriptions(&mut subscriptions);
        assert_eq!(subscriptions.len(), 1);
        assert_eq!(subscriptions[0].filter, "b");
    }

    #[test]
    fn a_lost_link_drops_unanswered_requests_and_a_new_session_the_rest() {
        let mut subscriptions = Vec::new();
        subscription_requested(&mut subscriptions, "kept", QoS::AtMostOnce, RequestId(1));
        subscriptions[0].state = SubState::Granted(QoS::AtMostOnce);
        subscription_requested(&mut subscriptions, "pending", QoS::AtMostOnce, RequestId(2));
        let lost = Changes::from_events(
            vec![Event::Disconnected {
                reason: DisconnectReason::TransportClosed("gone".into()),
            }],
            0.0,
        );
        lost.apply_to_subscriptions(&mut subscriptions);
        assert_eq!(subscriptions.len(), 1);
        assert_eq!(subscriptions[0].filter, "kept");
        Changes::from_events(
            vec![Event::Connected {
                session_present: false,
            }],
            0.0,
        )
        .apply_to_subscriptions(&mut subscriptions);
        assert!(subscriptions.is_empty());
    }

    #[test]
    fn sent_messages_learn_their_outcome() {
        let mut sent = Log::new(10);
        for id in 1..=3 {
            sent.push(Sent {
                id: PublishId(id),
                at: 0.0,
                topic: "t".into(),
                payload: Bytes::new(),
                qos: QoS::AtLeastOnce,
                retain: false,
                outcome: Outcome::Pending,
            });
        }
        let changes = Changes::from_events(
            vec![
                Event::Published { id: PublishId(2) },
                Event::Disconnected {
                    reason: DisconnectReason::PingTimeout { after_ms: 10 },
                },
            ],
            0.0,
        );
        changes.apply_to_sent(&mut sent);
        let outcomes: Vec<_> = sent.iter().map(|(_, s)| s.outcome.clone()).collect();
        assert_eq!(outcomes[1], Outcome::Delivered);
        assert!(matches!(&outcomes[0], Outcome::Failed(text) if text.contains("closed first")));
        assert!(matches!(&outcomes[2], Outcome::Failed(_)));
    }
}
