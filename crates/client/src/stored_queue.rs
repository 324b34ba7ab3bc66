//! The record of the messages not yet acknowledged, kept in this browser so that a reload loses
//! none (in IndexedDB: [`queue_store`](crate::queue_store)): one record per broker URL and
//! client id, rewritten (debounced) whenever the session's
//! [`pending`](mqtt_engine::Session::pending) messages change, and taken up again
//! ([`restore`](mqtt_engine::Session::restore)) by a new session for the same broker and client
//! id before it connects.
//!
//! The record is text written and read here, easy to check by eye in the browser's developer
//! tools (serde, serde_json, base64 and gloo-storage for this one record cost 22 KB of a 200 KB
//! gzip download). A first line names the format and its version; then each message, oldest
//! first, is a header line and its topic and payload, each followed by a newline:
//!
//! ```text
//! wasm-mqtt queue 3
//! 1 - 11 text 11 7
//! python/mqtt
//! messages: 0
//! 2 retain 3 hex 6 8 released
//! a/b
//! ff0078
//! 1 - 1 text 1
//! c
//! d
//! ```
//!
//! The header is the QoS, `retain` or `-`, the topic's length, how the payload is written
//! (`text` when it is UTF-8, as the app's payloads are, else `hex`) and its length; lengths are
//! in bytes of the text as written, so a topic or payload may hold newlines. A message that
//! went out adds its packet id, and `released` once the broker answered it with PUBREC (QoS 2):
//! sent again under the same id, a broker that kept the session takes it once, or completes
//! it. Version 2, the same without ids, is still read. MQTT 5.0
//! properties are not kept (the app sets none). A record that cannot be read (edited by hand,
//! written by another version) is named in the error, never a panic.
//!
//! The format is plain Rust, tested natively.

use mqtt_engine::{Message, Pending, QoS};

/// What every key of this app's stored queues starts with.
pub const KEY_PREFIX: &str = "wasm-mqtt/queue\n";
/// The record's first line, up to its format version. Version 1 was JSON.
const MAGIC: &str = "wasm-mqtt queue ";
/// The record's format, for whoever reads it after a change.
const FORMAT: u32 = 3;
/// The earlier format this version still reads: version 3 without packet ids.
const FORMAT_WITHOUT_IDS: u32 = 2;

/// The record's key for a broker and client id (in localStorage, where earlier versions kept it,
/// and in IndexedDB). A newline never appears in a valid broker
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

/// The record for `messages`, oldest first.
pub fn encode(messages: &[Pending]) -> String {
    let mut record = format!("{MAGIC}{FORMAT}\n");
    for pending in messages {
        let message = &pending.message;
        let hex;
        let (kind, payload) = match std::str::from_utf8(&message.payload) {
            Ok(text) => ("text", text),
            Err(_) => {
                hex = to_hex(&message.payload);
                ("hex", hex.as_str())
            }
        };
        let retain = if message.retain { "retain" } else { "-" };
        let qos = message.qos as u8;
        let topic = &message.topic;
        record += &format!("{qos} {retain} {} {kind} {}", topic.len(), payload.len());
        if let Some(packet_id) = pending.packet_id {
            record += &format!(" {packet_id}");
            if pending.released {
                record += " released";
            }
        }
        record.push('\n');
        for part in [topic, payload] {
            record += part;
            record.push('\n');
        }
    }
    record
}

/// The messages of a record, oldest first; what cannot be read is named.
pub fn decode(record: &str) -> Result<Vec<Pending>, String> {
    let Some(rest) = record.strip_prefix(MAGIC) else {
        return Err(if record.starts_with('{') {
            "it is in the JSON format of an earlier version of this app".to_string()
        } else {
            "it is not a queue record of this app".to_string()
        });
    };
    let (version, mut rest) = rest.split_once('\n').unwrap_or((rest, ""));
    if version != FORMAT.to_string() && version != FORMAT_WITHOUT_IDS.to_string() {
        return Err(format!("the record has format {version}, not {FORMAT}"));
    }
    let mut messages = Vec::new();
    while !rest.is_empty() {
        let index = messages.len();
        let (message, after) =
            decode_message(rest).map_err(|error| format!("message {index}: {error}"))?;
        messages.push(message);
        rest = after;
    }
    Ok(messages)
}

/// One message off the front of `text`, and what follows it.
fn decode_message(text: &str) -> Result<(Pending, &str), String> {
    let (header, rest) = text
        .split_once('\n')
        .ok_or("the record ends inside a header")?;
    let fields: Vec<&str> = header.split(' ').collect();
    let (qos, retain, topic_len, kind, payload_len, sent) = match fields[..] {
        [qos, retain, topic_len, kind, payload_len, ref sent @ ..] if sent.len() <= 2 => {
            (qos, retain, topic_len, kind, payload_len, sent)
        }
        _ => return Err(format!("the header '{header}' does not have 5 to 7 fields")),
    };
    let (packet_id, released) = match sent {
        [] => (None, false),
        [id, rest @ ..] => {
            let id: u16 = (id.parse().ok())
                .filter(|id| *id != 0)
                .ok_or_else(|| format!("the packet id '{id}' is not a number from 1 to 65535"))?;
            match rest {
                [] => (Some(id), false),
                ["released"] => (Some(id), true),
                [other, ..] => return Err(format!("'{other}' is not 'released'")),
            }
        }
    };
    let qos = match qos {
        "0" => QoS::AtMostOnce,
        "1" => QoS::AtLeastOnce,
        "2" => QoS::ExactlyOnce,
        other => return Err(format!("QoS {other} is not 0, 1 or 2")),
    };
    let retain = match retain {
        "retain" => true,
        "-" => false,
        other => return Err(format!("'{other}' is neither 'retain' nor '-'")),
    };
    let (topic, rest) = field(rest, topic_len, "topic")?;
    let (payload, rest) = field(rest, payload_len, "payload")?;
    let payload = match kind {
        "text" => payload.as_bytes().to_vec(),
        "hex" => from_hex(payload).ok_or("the payload is not hex")?,
        other => {
            return Err(format!(
                "the payload kind '{other}' is neither 'text' nor 'hex'"
            ))
        }
    };
    let mut message = Message::new(topic, payload, qos);
    message.retain = retain;
    let pending = Pending {
        message,
        packet_id,
        released,
    };
    Ok((pending, rest))
}

/// A field of `len` bytes and its newline off the front of `text`, and what follows.
fn field<'t>(text: &'t str, len: &str, what: &str) -> Result<(&'t str, &'t str), String> {
    let len: usize = len
        .parse()
        .map_err(|_| format!("the {what}'s length '{len}' is not a number"))?;
    match text.split_at_checked(len) {
        Some((field, rest)) => match rest.strip_prefix('\n') {
            Some(rest) => Ok((field, rest)),
            None => Err(format!("the {what} is not followed by a newline")),
        },
        None if len > text.len() => Err(format!("the record ends inside the {what}")),
        None => Err(format!("the {what}'s length {len} ends inside a character")),
    }
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    hex
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| char::from(c).to_digit(16);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => Some((digit(*high)? * 16 + digit(*low)?) as u8),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages() -> Vec<Pending> {
        let mut retained = Message::new("a/b", vec![0xff, 0x00, b'x'], QoS::ExactlyOnce);
        retained.retain = true;
        let pending = |message, packet_id, released| Pending {
            message,
            packet_id,
            released,
        };
        vec![
            pending(
                Message::new("python/mqtt", "messages: 0", QoS::AtMostOnce),
                None,
                false,
            ),
            pending(retained, Some(65_535), true),
            pending(
                Message::new("c\nd", "two\nlines, é", QoS::AtLeastOnce),
                Some(1),
                false,
            ),
            pending(Message::new("e", "", QoS::AtLeastOnce), None, false),
        ]
    }

    #[test]
    fn messages_go_in_and_come_back_the_same_in_order() {
        let record = encode(&messages());
        assert_eq!(
            record,
            "wasm-mqtt queue 3\n\
             0 - 11 text 11\npython/mqtt\nmessages: 0\n\
             2 retain 3 hex 6 65535 released\na/b\nff0078\n\
             1 - 3 text 13 1\nc\nd\ntwo\nlines, é\n\
             1 - 1 text 0\ne\n\n"
        );
        assert_eq!(decode(&record).unwrap(), messages());
        assert_eq!(decode("wasm-mqtt queue 3\n").unwrap(), []);
        // Version 2 had no packet ids: its messages wait to go out.
        let version_2 = decode("wasm-mqtt queue 2\n1 - 1 text 1\nt\np\n").unwrap();
        assert_eq!(
            (version_2[0].packet_id, &version_2[0].message.payload[..]),
            (None, &b"p"[..])
        );
    }

    #[test]
    fn a_record_that_cannot_be_read_is_named() {
        let error = |record: &str| decode(record).unwrap_err();
        let message = |text: &str| error(&format!("wasm-mqtt queue 3\n0 - 1 text 1\nt\np\n{text}"));
        assert_eq!(
            error(r#"{"format":1,"broker":"b","client_id":"c","messages":[]}"#),
            "it is in the JSON format of an earlier version of this app"
        );
        assert_eq!(error("other app"), "it is not a queue record of this app");
        assert_eq!(
            error("wasm-mqtt queue 4\n"),
            "the record has format 4, not 3"
        );
        assert_eq!(
            message("3 - 1 text 1\nt\np\n"),
            "message 1: QoS 3 is not 0, 1 or 2"
        );
        assert_eq!(
            message("0 r 1 text 1\nt\np\n"),
            "message 1: 'r' is neither 'retain' nor '-'"
        );
        assert_eq!(
            message("0 - 1 text\nt\np\n"),
            "message 1: the header '0 - 1 text' does not have 5 to 7 fields"
        );
        assert_eq!(
            message("1 - 1 text 1 0\nt\np\n"),
            "message 1: the packet id '0' is not a number from 1 to 65535"
        );
        assert_eq!(
            message("2 - 1 text 1 7 done\nt\np\n"),
            "message 1: 'done' is not 'released'"
        );
        assert_eq!(
            message("0 - x text 1\nt\np\n"),
            "message 1: the topic's length 'x' is not a number"
        );
        assert_eq!(
            message("0 - 1 base64 1\nt\np\n"),
            "message 1: the payload kind 'base64' is neither 'text' nor 'hex'"
        );
        assert_eq!(
            message("0 - 1 hex 2\nt\nzz\n"),
            "message 1: the payload is not hex"
        );
        assert_eq!(
            message("0 - 1 hex 1\nt\nf\n"),
            "message 1: the payload is not hex"
        );
        assert_eq!(
            message("0 - 1 text 9\nt\np\n"),
            "message 1: the record ends inside the payload"
        );
        assert_eq!(
            message("0 - 2 text 1\nt\np\n"),
            "message 1: the topic is not followed by a newline"
        );
        assert_eq!(
            message("0 - 1"),
            "message 1: the record ends inside a header"
        );
        // A length that falls inside a character.
        assert_eq!(
            message("0 - 1 text 1\né\np\n"),
            "message 1: the topic's length 1 ends inside a character"
        );
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
