//! What crosses between the page and the worker that runs the connections, both ways as
//! postcard bytes in a transferred buffer: commands down, [`Update`]s up, gathered.

use crate::update::Update;
use bytes::Bytes;
use mqtt_engine::{ConnectOptions, Message, PublishId, QoS};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// Names one of the page's connections.
pub type ConnectionId = u32;

/// A message the page publishes. (MQTT 5.0 properties do not cross yet: the page sets none.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Bytes,
    #[serde(with = "mqtt_engine::qos_serde")]
    pub qos: QoS,
    pub retain: bool,
}

impl From<Outgoing> for Message {
    fn from(outgoing: Outgoing) -> Self {
        Message {
            retain: outgoing.retain,
            ..Message::new(outgoing.topic, outgoing.payload, outgoing.qos)
        }
    }
}

/// What the page asks of one connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    Connect {
        url: String,
        options: ConnectOptions,
    },
    Disconnect,
    CancelReconnect,
    RetryNow,
    /// `id` is the page's name for the message: what becomes of it is told under it.
    Publish {
        id: PublishId,
        message: Outgoing,
        queue_offline: bool,
    },
    Subscribe {
        filter: String,
        #[serde(with = "mqtt_engine::qos_serde")]
        qos: QoS,
    },
    Unsubscribe {
        filter: String,
    },
    /// Tests: hold the session's timer back, as a hidden tab's browser does.
    HoldTimer(bool),
    /// The page's client is gone: disconnect and forget the connection.
    Close,
    /// Tests: the worker stops at once, as a wasm panic (an abort) stops it.
    Crash,
}

/// What the page tells every connection: the worker sees neither the network's state changes
/// nor the page's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageEvent {
    Online,
    Offline,
    /// The page was shown again: timers held back meanwhile are caught up.
    Shown,
    /// The page is going: store what is unsent now.
    Hidden,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    Command {
        connection: ConnectionId,
        command: Command,
    },
    Page(PageEvent),
    /// The queues an earlier version kept in the page's localStorage, which the worker cannot
    /// read, as (key, record): kept in IndexedDB where it has none for the key. Answered with
    /// [`Reply::QueuesMoved`].
    MoveQueues(Vec<(String, String)>),
    /// Which client ids have messages stored for `broker`. Answered with
    /// [`Reply::StoredClientIds`].
    StoredClientIds {
        request: u32,
        broker: String,
    },
}

/// The worker's answer to a question of the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The keys of the queues kept (the page forgets them), or why none could be.
    QueuesMoved(Result<Vec<String>, String>),
    StoredClientIds {
        request: u32,
        client_ids: Vec<String>,
    },
}

/// What changed, gathered for about a frame, per connection; and the answers to the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToPage {
    pub updates: Vec<(ConnectionId, Update)>,
    pub replies: Vec<Reply>,
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Writing into a Vec fails only for types serde cannot describe, which these are not.
    postcard::to_allocvec(value).unwrap_or_default()
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, postcard::Error> {
    postcard::from_bytes(bytes)
}

impl Update {
    /// Adds a later update to this one, as if both had been one.
    pub fn merge(&mut self, later: Update) {
        let Update {
            status,
            received,
            sent,
            subscriptions,
            notices,
            retry,
            queue,
        } = later;
        self.status = status.or(self.status.take());
        self.received.extend(received);
        self.sent.extend(sent);
        self.subscriptions = subscriptions.or(self.subscriptions.take());
        self.notices.extend(notices);
        self.retry = retry.or(self.retry.take());
        self.queue = queue.or(self.queue.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::{Received, SentChange, Status};

    #[test]
    fn commands_and_updates_cross_unchanged() {
        let command = ToWorker::Command {
            connection: 7,
            command: Command::Connect {
                url: "ws://127.0.0.1:1/mqtt".into(),
                options: ConnectOptions::new("me"),
            },
        };
        assert_eq!(decode::<ToWorker>(&encode(&command)).unwrap(), command);
        let update = Update {
            status: Some(Status::Connected {
                session_present: true,
            }),
            received: vec![Received {
                at: 1.5,
                topic: "a/b".into(),
                payload: Bytes::from_static(b"\xff\x00"),
                qos: QoS::ExactlyOnce,
                retain: true,
            }],
            sent: vec![SentChange::UnacknowledgedStored],
            ..Update::default()
        };
        let to_page = ToPage {
            updates: vec![(7, update)],
            replies: vec![Reply::StoredClientIds {
                request: 1,
                client_ids: vec!["me".into()],
            }],
        };
        assert_eq!(decode::<ToPage>(&encode(&to_page)).unwrap(), to_page);
        assert!(
            decode::<ToPage>(&[0xff, 0xff, 0xff]).is_err(),
            "bad bytes are an error"
        );
    }

    #[test]
    fn updates_merge_as_one() {
        let mut first = Update {
            status: Some(Status::Connecting),
            notices: vec![],
            ..Update::default()
        };
        first.merge(Update {
            sent: vec![SentChange::UnacknowledgedStored],
            ..Update::default()
        });
        assert_eq!(
            first.status,
            Some(Status::Connecting),
            "kept when not changed"
        );
        first.merge(Update {
            status: Some(Status::Idle),
            sent: vec![SentChange::UnacknowledgedStored],
            ..Update::default()
        });
        assert_eq!(first.status, Some(Status::Idle), "the later one wins");
        assert_eq!(first.sent.len(), 2, "changes add up, in order");
    }
}
