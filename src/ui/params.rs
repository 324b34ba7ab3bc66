//! The shareable URL: query parameters that prefill and drive the app. A contract:
//!
//! | parameter   | meaning                                                   |
//! |-------------|-----------------------------------------------------------|
//! | `broker`    | the broker's WebSocket URL                                |
//! | `client_id` | the client id                                             |
//! | `username`  | the user name (never the password)                        |
//! | `version`   | `3.1.1` or `5`                                            |
//! | `topic`     | the topic the counter publishes to                        |
//! | `filter`    | the topic filter to subscribe to                          |
//! | `qos`       | `0`, `1` or `2`, for the counter and the subscription     |
//! | `connect`   | `1`: connect on load                                      |
//! | `subscribe` | `1`: subscribe to `filter` once connected                 |
//! | `publish`   | `1`: start the counter once connected                     |
//! | `interval`  | the counter's period in milliseconds                      |

use mqtt_engine::{QoS, Version};

/// What the page's query asks for. Values it cannot read are reported in `problems`, in words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchParams {
    pub broker: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub version: Option<Version>,
    pub topic: Option<String>,
    pub filter: Option<String>,
    pub qos: Option<QoS>,
    pub connect: bool,
    pub subscribe: bool,
    pub publish: bool,
    pub interval_ms: Option<u32>,
    pub problems: Vec<String>,
}

/// The counter's period: from 10 ms to an hour.
pub const INTERVAL_RANGE_MS: std::ops::RangeInclusive<u32> = 10..=3_600_000;

impl LaunchParams {
    /// Reads a query string such as `?broker=ws%3A%2F%2Fh%2Fmqtt&connect=1`.
    pub fn from_query(query: &str) -> Self {
        let mut params = Self::default();
        let query = query.strip_prefix('?').unwrap_or(query);
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            params.set(&decode(key), decode(value));
        }
        params
    }

    fn set(&mut self, key: &str, value: String) {
        let text = |value: String| Some(value).filter(|value| !value.is_empty());
        match key {
            "broker" => self.broker = text(value),
            "client_id" => self.client_id = text(value),
            "username" => self.username = text(value),
            "topic" => self.topic = text(value),
            "filter" => self.filter = text(value),
            "version" => match value.as_str() {
                "3.1.1" | "3" | "4" => self.version = Some(Version::V3_1_1),
                "5" | "5.0" => self.version = Some(Version::V5),
                _ => self.problem(key, &value, "3.1.1 or 5"),
            },
            "qos" => match parse_qos(&value) {
                Some(qos) => self.qos = Some(qos),
                None => self.problem(key, &value, "0, 1 or 2"),
            },
            "connect" | "subscribe" | "publish" => {
                let Some(on) = parse_flag(&value) else {
                    return self.problem(key, &value, "1 or 0");
                };
                match key {
                    "connect" => self.connect = on,
                    "subscribe" => self.subscribe = on,
                    _ => self.publish = on,
                }
            }
            "interval" => match value.parse::<u32>() {
                Ok(ms) if INTERVAL_RANGE_MS.contains(&ms) => self.interval_ms = Some(ms),
                _ => self.problem(key, &value, "a period in milliseconds, from 10 to 3600000"),
            },
            _ => {} // other parameters belong to someone else (analytics, hosting)
        }
    }

    fn problem(&mut self, key: &str, value: &str, wanted: &str) {
        self.problems.push(format!(
            "the link's {key}={value} was ignored: {key} must be {wanted}"
        ));
    }
}

/// The settings a link carries, to build a shareable URL from the current form.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareSettings<'a> {
    pub broker: &'a str,
    pub username: &'a str,
    pub version: Version,
    pub topic: &'a str,
    pub filter: &'a str,
    pub qos: QoS,
    pub interval_ms: u32,
}

impl ShareSettings<'_> {
    /// A query that connects and subscribes on load. No client id (two tabs with one id throw
    /// each other off the broker) and no password.
    pub fn query(&self) -> String {
        let version = match self.version {
            Version::V3_1_1 => "3.1.1",
            Version::V5 => "5",
        };
        let mut pairs = vec![("broker", self.broker)];
        if !self.username.is_empty() {
            pairs.push(("username", self.username));
        }
        let qos = (self.qos as u8).to_string();
        let interval = self.interval_ms.to_string();
        pairs.extend([
            ("version", version),
            ("topic", self.topic),
            ("filter", self.filter),
            ("qos", &qos),
            ("interval", &interval),
            ("connect", "1"),
            ("subscribe", "1"),
        ]);
        let encoded: Vec<String> = pairs
            .into_iter()
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        format!("?{}", encoded.join("&"))
    }
}

pub fn parse_qos(value: &str) -> Option<QoS> {
    match value.trim() {
        "0" => Some(QoS::AtMostOnce),
        "1" => Some(QoS::AtLeastOnce),
        "2" => Some(QoS::ExactlyOnce),
        _ => None,
    }
}

fn parse_flag(value: &str) -> Option<bool> {
    match value {
        "1" | "true" | "yes" | "on" | "" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let digit = |at: usize| bytes.get(at).copied().and_then(hex);
                match (digit(i + 1), digit(i + 2)) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

/// Percent-encodes all but the characters a query value never needs escaped.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b':' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_reads() {
        let params = LaunchParams::from_query(
            "?broker=ws%3A%2F%2F127.0.0.1%3A8083%2Fmqtt&client_id=me&username=alice&version=3.1.1\
             &topic=python/mqtt&filter=python%2F%23&qos=1&connect=1&subscribe=1&publish=1\
             &interval=200",
        );
        assert_eq!(
            params,
            LaunchParams {
                broker: Some("ws://127.0.0.1:8083/mqtt".into()),
                client_id: Some("me".into()),
                username: Some("alice".into()),
                version: Some(Version::V3_1_1),
                topic: Some("python/mqtt".into()),
                filter: Some("python/#".into()),
                qos: Some(QoS::AtLeastOnce),
                connect: true,
                subscribe: true,
                publish: true,
                interval_ms: Some(200),
                problems: vec![],
            }
        );
        assert_eq!(
            LaunchParams::from_query("version=5").version,
            Some(Version::V5)
        );
        assert_eq!(LaunchParams::from_query(""), LaunchParams::default());
    }

    #[test]
    fn unreadable_values_are_reported_not_guessed() {
        let params = LaunchParams::from_query("qos=3&version=4.0&interval=5&connect=maybe&x=1");
        assert_eq!(params.qos, None);
        assert_eq!(params.version, None);
        assert_eq!(params.interval_ms, None);
        assert!(!params.connect);
        assert_eq!(params.problems.len(), 4);
        assert_eq!(
            params.problems[0],
            "the link's qos=3 was ignored: qos must be 0, 1 or 2"
        );
    }

    #[test]
    fn decoding_survives_bad_escapes_and_spaces() {
        assert_eq!(decode("a+b%20c"), "a b c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("caf%C3%A9"), "café");
    }

    #[test]
    fn a_shared_link_reads_back_the_same() {
        let settings = ShareSettings {
            broker: "wss://broker.emqx.io:8084/mqtt",
            username: "a b&c",
            version: Version::V3_1_1,
            topic: "python/mqtt",
            filter: "python/#",
            qos: QoS::ExactlyOnce,
            interval_ms: 500,
        };
        let query = settings.query();
        assert!(query.starts_with("?broker=wss://broker.emqx.io:8084/mqtt&username=a%20b%26c"));
        let params = LaunchParams::from_query(&query);
        assert_eq!(params.broker.as_deref(), Some(settings.broker));
        assert_eq!(params.username.as_deref(), Some("a b&c"));
        assert_eq!(params.filter.as_deref(), Some("python/#"));
        assert_eq!(params.qos, Some(QoS::ExactlyOnce));
        assert_eq!(params.interval_ms, Some(500));
        assert!(params.connect && params.subscribe && !params.publish);
        assert!(params.problems.is_empty());
    }
}
