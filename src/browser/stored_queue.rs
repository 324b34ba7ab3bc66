//! The messages not yet acknowledged, kept in the browser's localStorage so that a reload loses
//! none: one record per broker URL and client id, rewritten (debounced) whenever the session's
//! [`pending_messages`](crate::mqtt::Session::pending_messages) change, and published again into
//! a new session for the same broker and client id before it connects.
//!
//! The record is JSON through serde; payloads are base64 text, about a third larger than the
//! bytes. MQTT 5.0 properties are not kept (the app sets none). Why gloo-storage rather than
//! `web_sys::Storage` by hand: it is the rustwasm group's small, kept wrapper that does the
//! serde_json round trip and turns a missing key, bad JSON and a JavaScript exception (a full
//! quota) into one error type, which is all the code here would otherwise be.
//! localStorage holds about 5 MB a site: past that, saving fails and the driver says so.
//!
//! The record's format is plain Rust, tested natively; reading and writing localStorage is
//! built for wasm32 only.

use crate::mqtt::{Message, QoS};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// What every key of this app's stored queues starts with.
const KEY_PREFIX: &str = "wasm-mqtt/queue\n";
/// The record's format, for whoever reads it after a change.
const FORMAT: u32 = 1;

/// The localStorage key for a broker and client id. A newline never appears in a valid broker
/// URL (the driver refuses whitespace in one), so the two read back unambiguously.
pub fn key(broker: &str, client_id: &str) -> String {
    format!("{KEY_PREFIX}{broker}\n{client_id}")
}

/// The client id of a key, if the key belongs to a queue for `broker`.
pub fn client_id_of<'k>(key: &'k str, broker: &str) -> Option<&'k str> {
    key.strip_prefix(KEY_PREFIX)?
        .strip_prefix(broker)?
        .strip_prefix('\n')
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredQueue {
    pub format: u32,
    pub broker: String,
    pub client_id: String,
    /// Oldest first.
    pub messages: Vec<StoredMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub topic: String,
    /// Base64.
    pub payload: String,
    pub qos: u8,
    #[serde(default)]
    pub retain: bool,
}

impl StoredQueue {
    pub fn new(broker: &str, client_id: &str, messages: &[Message]) -> Self {
        Self {
            format: FORMAT,
            broker: broker.to_string(),
            client_id: client_id.to_string(),
            messages: messages
                .iter()
                .map(|message| StoredMessage {
                    topic: message.topic.clone(),
                    payload: BASE64.encode(&message.payload),
                    qos: message.qos as u8,
                    retain: message.retain,
                })
                .collect(),
        }
    }

    /// The messages, oldest first; what cannot be read (a record edited by hand, or written by
    /// a later format) is named.
    pub fn into_messages(self) -> Result<Vec<Message>, String> {
        if self.format != FORMAT {
            return Err(format!(
                "the record has format {}, not {FORMAT}",
                self.format
            ));
        }
        self.messages
            .into_iter()
            .enumerate()
            .map(|(index, stored)| {
                let payload = BASE64.decode(stored.payload.as_bytes()).map_err(|error| {
                    format!("message {index}: the payload is not base64: {error}")
                })?;
                let qos = match stored.qos {
                    0 => QoS::AtMostOnce,
                    1 => QoS::AtLeastOnce,
                    2 => QoS::ExactlyOnce,
                    other => return Err(format!("message {index}: QoS {other} is not 0, 1 or 2")),
                };
                let mut message = Message::new(stored.topic, payload, qos);
                message.retain = stored.retain;
                Ok(message)
            })
            .collect()
    }
}

#[cfg(target_arch = "wasm32")]
pub use local::{client_ids, load, save};

#[cfg(target_arch = "wasm32")]
mod local {
    use super::{client_id_of, key, StoredQueue};
    use crate::mqtt::Message;
    use gloo_storage::errors::StorageError;
    use gloo_storage::{LocalStorage, Storage};

    /// Stores `messages` for this broker and client id; no messages removes the record.
    pub fn save(broker: &str, client_id: &str, messages: &[Message]) -> Result<(), String> {
        let key = key(broker, client_id);
        if messages.is_empty() {
            LocalStorage::delete(key);
            return Ok(());
        }
        LocalStorage::set(key, StoredQueue::new(broker, client_id, messages)).map_err(|error| {
            let detail = match &error {
                StorageError::JsError(js) if js.name == "QuotaExceededError" => {
                    "the browser's storage for this site is full".to_string()
                }
                other => other.to_string(),
            };
            let what = match messages.len() {
                1 => "the unsent message".to_string(),
                n => format!("{n} unsent messages"),
            };
            format!(
                "could not keep {what} in this browser: {detail}; until they are sent they are \
                 kept only while this page stays open"
            )
        })
    }

    /// The messages stored for this broker and client id, oldest first.
    pub fn load(broker: &str, client_id: &str) -> Result<Vec<Message>, String> {
        match LocalStorage::get::<StoredQueue>(key(broker, client_id)) {
            Ok(stored) => stored.into_messages(),
            Err(StorageError::KeyNotFound(_)) => Ok(Vec::new()),
            Err(error) => Err(error.to_string()),
        }
        .map_err(|error| {
            format!(
                "the unsent messages stored in this browser for {broker} as '{client_id}' could \
                 not be read, and were dropped: {error}"
            )
        })
    }

    /// The client ids that have unsent messages stored for `broker`.
    pub fn client_ids(broker: &str) -> Vec<String> {
        let storage = LocalStorage::raw();
        let count = storage.length().unwrap_or(0);
        (0..count)
            .filter_map(|index| storage.key(index).ok().flatten())
            .filter_map(|key| client_id_of(&key, broker).map(str::to_string))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_in_and_come_back_the_same_in_order() {
        let mut retained = Message::new("a/b", vec![0xff, 0x00, b'x'], QoS::ExactlyOnce);
        retained.retain = true;
        let messages = vec![
            Message::new("python/mqtt", "messages: 0", QoS::AtMostOnce),
            retained,
            Message::new("c", "", QoS::AtLeastOnce),
        ];
        let stored = StoredQueue::new("ws://h/mqtt", "me", &messages);
        let json = serde_json::to_string(&stored).unwrap();
        assert!(json.contains(r#""payload":"/wB4""#), "{json}");
        let read: StoredQueue = serde_json::from_str(&json).unwrap();
        assert_eq!(read.broker, "ws://h/mqtt");
        assert_eq!(read.client_id, "me");
        assert_eq!(read.into_messages().unwrap(), messages);
    }

    #[test]
    fn a_record_that_cannot_be_read_is_named() {
        let record = |message: &str| {
            serde_json::from_str::<StoredQueue>(&format!(
                r#"{{"format":1,"broker":"b","client_id":"c","messages":[{message}]}}"#
            ))
            .unwrap()
            .into_messages()
        };
        assert!(record(r#"{"topic":"t","payload":"!!","qos":0}"#)
            .unwrap_err()
            .contains("message 0: the payload is not base64"));
        assert!(record(r#"{"topic":"t","payload":"","qos":3}"#)
            .unwrap_err()
            .contains("QoS 3"));
        let later = StoredQueue {
            format: 2,
            ..StoredQueue::new("b", "c", &[])
        };
        assert!(later.into_messages().unwrap_err().contains("format 2"));
    }

    #[test]
    fn keys_name_the_broker_and_the_client_id() {
        let key = key("ws://h:1/mqtt", "me\nyou");
        assert_eq!(client_id_of(&key, "ws://h:1/mqtt"), Some("me\nyou"));
        assert_eq!(client_id_of(&key, "ws://h:1/mq"), None);
        assert_eq!(client_id_of(&key, "ws://h:2/mqtt"), None);
        assert_eq!(client_id_of("other/app", "ws://h:1/mqtt"), None);
    }
}
