//! What the client tells the page, as plain values: the connection's status, messages received,
//! messages sent and what became of them, subscriptions, errors, gathered in an [`Update`] that
//! the page applies. How one turn's events sort into it is here, in plain Rust, tested natively.

use crate::reconnect::RetryStatus;
use bytes::Bytes;
use mqtt_engine::{
    DisconnectReason, Event, Message, PublishId, QoS, RequestId, SubscribeResult,
    CLOSES_BEFORE_GIVING_UP,
};
use serde::{Deserialize, Serialize};

/// Where the connection stands, for people.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum Status {
    /// No connection tried yet.
    #[default]
    Idle,
    /// The WebSocket is opening, or CONNECT is waiting for CONNACK.
    Connecting,
    Connected {
        session_present: bool,
    },
    /// The link was lost and the driver is trying again (the retry status says when).
    Reconnecting {
        /// Why the link was lost, in plain words.
        reason: String,
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

    /// Connecting, connected or reconnecting: a Connect button makes no sense now.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            Self::Connecting | Self::Connected { .. } | Self::Reconnecting { .. }
        )
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
            Self::Reconnecting { reason } => format!("Connection lost: {reason}. Reconnecting…"),
            Self::Disconnected { by_you: true, .. } => "Disconnected".into(),
            Self::Disconnected { reason, .. } => format!("Disconnected: {reason}"),
        }
    }

    /// A short word for styling and tests: idle, connecting, connected, reconnecting,
    /// disconnected, failed.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Connecting => "connecting",
            Self::Connected { .. } => "connected",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Disconnected { by_you: true, .. } => "disconnected",
            Self::Disconnected { by_you: false, .. } => "failed",
        }
    }
}

/// A message that arrived, with the wall-clock time (ms since 1970) it arrived at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Received {
    pub at: f64,
    pub topic: String,
    pub payload: Bytes,
    #[serde(with = "mqtt_engine::qos_serde")]
    pub qos: QoS,
    pub retain: bool,
}

/// A message handed to the session, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sent {
    pub id: PublishId,
    pub at: f64,
    pub topic: String,
    pub payload: Bytes,
    #[serde(with = "mqtt_engine::qos_serde")]
    pub qos: QoS,
    pub retain: bool,
    pub outcome: Outcome,
}

impl Sent {
    /// `message`, handed to the session now as `id`, not yet acknowledged.
    pub fn pending(id: PublishId, message: &Message) -> Self {
        Self {
            id,
            at: crate::clock::wall_clock(),
            topic: message.topic.clone(),
            payload: message.payload.clone(),
            qos: message.qos,
            retain: message.retain,
            outcome: Outcome::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// QoS 1 or 2, not yet acknowledged.
    Pending,
    /// QoS 2: the broker has it (PUBREC) and passes it on once; completing (PUBREL, PUBCOMP).
    Received,
    /// QoS 0: handed to the WebSocket. QoS 1: PUBACK came. QoS 2: PUBCOMP came.
    Delivered,
    /// The broker (or a limit it announced) refused it.
    Failed(String),
    /// Not acknowledged when the connection settings changed: kept in this browser, and sent
    /// when the app connects again to the same broker with the same client id.
    Stored,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub filter: String,
    /// The QoS asked for.
    #[serde(with = "mqtt_engine::qos_serde")]
    pub qos: QoS,
    pub state: SubState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SubState {
    /// SUBSCRIBE sent, no SUBACK yet.
    Pending(RequestId),
    Granted(#[serde(with = "mqtt_engine::qos_serde")] QoS),
    Refused(String),
    /// UNSUBSCRIBE sent, no UNSUBACK yet.
    Unsubscribing(RequestId),
}

/// The messages accepted and not yet acknowledged, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueView {
    /// Waiting to be sent (while the link is down, or past the broker's receive window).
    pub queued: usize,
    /// Their topic and payload bytes.
    pub bytes: usize,
    /// Refused because the queue was at its bound, since this session began.
    pub dropped: u64,
    /// Queued or in flight: everything kept in this browser until acknowledged.
    pub unacknowledged: usize,
    /// Read back from this browser's storage when the session began.
    pub restored: usize,
}

/// An error to show, with the wall-clock time it happened at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub at: f64,
    pub text: String,
}

/// What changed since the page was last told. The changes to the sent log apply in order;
/// the other parts are the latest values, or what was added. An empty update tells nothing.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub status: Option<Status>,
    pub received: Vec<Received>,
    pub sent: Vec<SentChange>,
    /// The whole list, when it changed.
    pub subscriptions: Option<Vec<Subscription>>,
    pub notices: Vec<Notice>,
    pub retry: Option<RetryStatus>,
    pub queue: Option<QueueView>,
}

impl Update {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A change to the log of sent messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SentChange {
    /// A message handed to the session (or restored from storage).
    Added(Sent),
    /// What became of the message with this id.
    Outcome(PublishId, Outcome),
    /// The session was replaced (Connect with other settings): what it had not had
    /// acknowledged is now only in this browser's storage.
    UnacknowledgedStored,
}

/// One turn's events, sorted by what they change.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub status: Option<Status>,
    pub received: Vec<Received>,
    pub outcomes: Vec<(PublishId, Outcome)>,
    pub subscribed: Vec<(RequestId, Vec<SubscribeResult>)>,
    pub unsubscribed: Vec<RequestId>,
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
                Event::PublishReceived { id } => changes.outcomes.push((id, Outcome::Received)),
                Event::Published { id } => changes.outcomes.push((id, Outcome::Delivered)),
                Event::PublishFailed { id, reason } => {
                    changes.failed(id, format!("the broker refused the message: {reason}"));
                }
                Event::PublishGivenUp { id } => changes.failed(
                    id,
                    format!(
                        "not sent again: the broker closed the connection each of the last \
                         {CLOSES_BEFORE_GIVING_UP} times it was sent. It may be larger than the \
                         broker takes, or a message the broker refuses"
                    ),
                ),
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
                    changes.status = Some(Status::Disconnected {
                        by_you: reason == DisconnectReason::ClientRequested,
                        reason: reason.to_string(),
                    });
                }
            }
        }
        changes
    }

    /// A message that will not be delivered: said in the errors and in its outcome.
    fn failed(&mut self, id: PublishId, text: String) {
        self.errors.push(text.clone());
        self.outcomes.push((id, Outcome::Failed(text)));
    }

    /// Brings the list of subscriptions up to date.
    ///
    /// The session outlives its links: a request unanswered when a link drops is sent again
    /// after the next CONNACK, and after a reconnect that finds the broker's session gone the
    /// session subscribes again to every granted filter, under a request id of its own. So
    /// results are matched by filter; an entry whose own request is still out waits for that.
    pub fn apply_to_subscriptions(&self, subscriptions: &mut Vec<Subscription>) {
        for (id, results) in &self.subscribed {
            for result in results {
                let state = match result.outcome {
                    Ok(qos) => SubState::Granted(qos),
                    Err(reason) => SubState::Refused(reason.to_string()),
                };
                match subscriptions.iter_mut().find(|s| s.filter == result.filter) {
                    Some(entry) => match entry.state {
                        SubState::Pending(pending) if pending != *id => {}
                        SubState::Unsubscribing(_) => {}
                        _ => entry.state = state,
                    },
                    None => subscriptions.push(Subscription {
                        filter: result.filter.clone(),
                        qos: result.outcome.unwrap_or(QoS::AtMostOnce),
                        state,
                    }),
                }
            }
        }
        subscriptions.retain(|s| match s.state {
            SubState::Unsubscribing(id) => !self.unsubscribed.contains(&id),
            _ => true,
        });
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
    use mqtt_engine::{Duration, ReasonCode};

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
    fn requests_outlive_a_lost_link_and_the_sessions_own_resubscribe_is_matched_by_filter() {
        let mut subscriptions = Vec::new();
        subscription_requested(&mut subscriptions, "kept", QoS::AtLeastOnce, RequestId(1));
        subscriptions[0].state = SubState::Granted(QoS::AtLeastOnce);
        subscription_requested(&mut subscriptions, "pending", QoS::AtMostOnce, RequestId(2));
        subscription_requested(&mut subscriptions, "going", QoS::AtMostOnce, RequestId(3));
        unsubscribe_requested(&mut subscriptions, "going", RequestId(4));
        let before = subscriptions.clone();
        Changes::from_events(
            vec![
                Event::Disconnected {
                    reason: DisconnectReason::TransportClosed("gone".into()),
                },
                Event::Connected {
                    session_present: false,
                },
            ],
            0.0,
        )
        .apply_to_subscriptions(&mut subscriptions);
        assert_eq!(
            subscriptions, before,
            "nothing is dropped: the session sends them again"
        );

        // After the CONNACK: the session's own SUBSCRIBE for what was granted (an id the app
        // never saw), then the answer to the request that was pending.
        Changes::from_events(
            vec![
                Event::Subscribed {
                    id: RequestId(9),
                    results: vec![
                        result("kept", Err(ReasonCode(0x87))),
                        result("pending", Ok(QoS::AtMostOnce)),
                        result("going", Ok(QoS::AtMostOnce)),
                    ],
                },
                Event::Subscribed {
                    id: RequestId(2),
                    results: vec![result("pending", Ok(QoS::AtMostOnce))],
                },
                Event::Unsubscribed {
                    id: RequestId(4),
                    filters: vec!["going".into()],
                },
            ],
            0.0,
        )
        .apply_to_subscriptions(&mut subscriptions);
        let states: Vec<_> = subscriptions
            .iter()
            .map(|s| (s.filter.as_str(), s.state.clone()))
            .collect();
        assert_eq!(
            states,
            [
                (
                    "kept",
                    SubState::Refused("not authorized (reason code 0x87)".into())
                ),
                ("pending", SubState::Granted(QoS::AtMostOnce)),
            ]
        );
    }

    #[test]
    fn a_result_for_a_filter_not_listed_is_listed() {
        let mut subscriptions = Vec::new();
        Changes::from_events(
            vec![Event::Subscribed {
                id: RequestId(1),
                results: vec![result("a/#", Ok(QoS::ExactlyOnce))],
            }],
            0.0,
        )
        .apply_to_subscriptions(&mut subscriptions);
        assert_eq!(subscriptions[0].filter, "a/#");
        assert_eq!(subscriptions[0].state, SubState::Granted(QoS::ExactlyOnce));
    }

    #[test]
    fn reconnecting_reads_as_such() {
        let status = Status::Reconnecting {
            reason: "the connection to the broker was lost".into(),
        };
        assert_eq!(status.kind(), "reconnecting");
        assert!(status.is_active() && !status.is_connected());
        assert_eq!(
            status.text(),
            "Connection lost: the connection to the broker was lost. Reconnecting…"
        );
    }

    #[test]
    fn a_lost_link_changes_no_outcome() {
        let changes = Changes::from_events(
            vec![
                Event::Published { id: PublishId(2) },
                Event::Disconnected {
                    reason: DisconnectReason::PingTimeout {
                        after: Duration::from_millis(10),
                    },
                },
            ],
            0.0,
        );
        assert_eq!(
            changes.outcomes,
            [(PublishId(2), Outcome::Delivered)],
            "the session sends the rest again after the reconnect"
        );
    }
}
