//! The settings as typed: the connection form's, and the options they make; how many received
//! messages the log keeps.

use mqtt_engine::{ConnectOptions, Credentials, Version};

/// The tutorial's public broker, over WebSocket; `wss` when the page itself is on https.
pub fn default_broker(page_is_https: bool) -> &'static str {
    if page_is_https {
        "wss://broker.emqx.io:8084/mqtt"
    } else {
        "ws://broker.emqx.io:8083/mqtt"
    }
}

/// What the connection form holds, as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectSettings {
    pub client_id: String,
    pub username: String,
    pub password: String,
    pub version: Version,
    /// Seconds, as typed.
    pub keep_alive: String,
    pub clean_start: bool,
    /// Seconds, as typed; MQTT 5.0 only (3.1.1 has no such setting).
    pub session_expiry: String,
    /// The bounds of the queue of unsent messages, as typed: messages, and megabytes.
    pub queue_messages: String,
    pub queue_megabytes: String,
}

/// The largest queue bounds the form accepts.
const MAX_QUEUE_MESSAGES: usize = 1_000_000;
const MAX_QUEUE_MEGABYTES: usize = 1_024;

/// The most received messages the log keeps: its list, 28 px a row, stays within the tallest
/// element Firefox lays out (about 17.9 million px).
const MAX_RECEIVED_KEPT: usize = 500_000;

/// How many received messages the log keeps, from the field as typed.
pub fn received_kept(text: &str) -> Result<usize, String> {
    (text.trim().parse::<usize>().ok())
        .filter(|kept| (1..=MAX_RECEIVED_KEPT).contains(kept))
        .ok_or_else(|| {
            format!(
                "the log keeps a whole number of messages from 1 to {MAX_RECEIVED_KEPT}, not '{}'",
                text.trim()
            )
        })
}

impl ConnectSettings {
    /// The options to connect with, or what is wrong with the form, in words.
    pub fn options(&self) -> Result<ConnectOptions, String> {
        let keep_alive_secs = self.keep_alive.trim().parse::<u16>().map_err(|_| {
            format!(
                "the keep-alive must be a whole number of seconds from 0 to 65535, not '{}'",
                self.keep_alive.trim()
            )
        })?;
        if self.username.is_empty() && !self.password.is_empty() {
            return Err("a password needs a user name".into());
        }
        let session_expiry_secs = match self.version {
            Version::V5 => self.session_expiry.trim().parse::<u32>().map_err(|_| {
                format!(
                    "the session expiry must be a whole number of seconds from 0 to {}, not '{}'",
                    u32::MAX,
                    self.session_expiry.trim()
                )
            })?,
            Version::V3_1_1 => 0,
        };
        let whole = |text: &str, max: usize, what: &str| {
            (text.trim().parse::<usize>().ok())
                .filter(|value| *value <= max)
                .ok_or_else(|| {
                    format!(
                        "the queue's bound must be a whole number of {what} from 0 to {max}, \
                         not '{}'",
                        text.trim()
                    )
                })
        };
        let max_queued_messages = whole(&self.queue_messages, MAX_QUEUE_MESSAGES, "messages")?;
        let max_queued_megabytes = whole(&self.queue_megabytes, MAX_QUEUE_MEGABYTES, "MB")?;
        let mut options = ConnectOptions::new(self.client_id.trim());
        options.version = self.version;
        options.keep_alive_secs = keep_alive_secs;
        options.clean_start = self.clean_start;
        options.session_expiry_secs = session_expiry_secs;
        options.max_queued_messages = max_queued_messages;
        options.max_queued_bytes = max_queued_megabytes * 1024 * 1024;
        if !self.username.is_empty() {
            options.credentials = Some(Credentials {
                username: self.username.clone(),
                password: self.password.clone(),
            });
        }
        options.validate().map_err(|error| error.to_string())?;
        Ok(options)
    }

    /// What the broker does with the session under these settings, in a sentence.
    pub fn session_note(&self) -> String {
        let expiry = self.session_expiry.trim().parse::<u32>().unwrap_or(0);
        match (self.clean_start, self.version, expiry) {
            (true, _, _) => "Each connection starts a new session on the broker. After a lost \
                             link the app subscribes again and sends what it queued."
                .into(),
            (false, Version::V3_1_1, _) => "The broker keeps the session (subscriptions, QoS 1 \
                                            and 2 messages) while the link is down."
                .into(),
            (false, Version::V5, 0) => "With a session expiry of 0 the broker ends the session \
                                        when the link closes: set an expiry to resume it."
                .into(),
            (false, Version::V5, secs) => format!(
                "The broker keeps the session (subscriptions, QoS 1 and 2 messages) for {secs} s \
                 after the link closes."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ConnectSettings {
        ConnectSettings {
            client_id: " me ".into(),
            username: String::new(),
            password: String::new(),
            version: Version::V3_1_1,
            keep_alive: "30".into(),
            clean_start: true,
            session_expiry: "0".into(),
            queue_messages: "10000".into(),
            queue_megabytes: "10".into(),
        }
    }

    #[test]
    fn session_and_queue_settings_make_options() {
        let defaults = settings().options().unwrap();
        assert_eq!(
            defaults.max_queued_messages,
            mqtt_engine::DEFAULT_MAX_QUEUED_MESSAGES
        );
        assert_eq!(
            defaults.max_queued_bytes,
            mqtt_engine::DEFAULT_MAX_QUEUED_BYTES
        );
        assert_eq!(defaults.session_expiry_secs, 0);
        let resumable = ConnectSettings {
            version: Version::V5,
            clean_start: false,
            session_expiry: " 3600 ".into(),
            queue_messages: "5".into(),
            queue_megabytes: "1".into(),
            ..settings()
        };
        let options = resumable.options().unwrap();
        assert_eq!(options.session_expiry_secs, 3_600);
        assert!(!options.clean_start);
        assert_eq!(options.max_queued_messages, 5);
        assert_eq!(options.max_queued_bytes, 1_048_576);
        assert!(resumable.session_note().contains("for 3600 s"));
        // 3.1.1 has no session expiry: whatever the field holds is not read.
        let v3 = ConnectSettings {
            session_expiry: "soon".into(),
            clean_start: false,
            ..settings()
        };
        assert_eq!(v3.options().unwrap().session_expiry_secs, 0);
        assert!(v3.session_note().contains("keeps the session"));
        let forgotten = ConnectSettings {
            session_expiry: "0".into(),
            ..resumable.clone()
        };
        assert!(forgotten.session_note().contains("set an expiry"));
    }

    #[test]
    fn bad_session_and_queue_settings_are_named() {
        let error = |settings: ConnectSettings| settings.options().unwrap_err();
        assert!(error(ConnectSettings {
            version: Version::V5,
            session_expiry: "-1".into(),
            ..settings()
        })
        .contains("session expiry"));
        assert!(error(ConnectSettings {
            queue_messages: "2000000".into(),
            ..settings()
        })
        .contains("from 0 to 1000000, not '2000000'"));
        assert!(error(ConnectSettings {
            queue_megabytes: "1.5".into(),
            ..settings()
        })
        .contains("whole number of MB"));
    }

    #[test]
    fn the_form_makes_options() {
        let options = settings().options().unwrap();
        assert_eq!(options.client_id, "me");
        assert_eq!(options.version, Version::V3_1_1);
        assert_eq!(options.keep_alive_secs, 30);
        assert_eq!(options.credentials, None);
        let with_login = ConnectSettings {
            username: "alice".into(),
            password: "secret1".into(),
            ..settings()
        };
        assert_eq!(
            with_login.options().unwrap().credentials,
            Some(Credentials {
                username: "alice".into(),
                password: "secret1".into()
            })
        );
    }

    #[test]
    fn mistakes_are_named() {
        let bad_keep_alive = ConnectSettings {
            keep_alive: "70000".into(),
            ..settings()
        };
        assert!(bad_keep_alive.options().unwrap_err().contains("keep-alive"));
        let password_alone = ConnectSettings {
            password: "x".into(),
            ..settings()
        };
        assert_eq!(
            password_alone.options().unwrap_err(),
            "a password needs a user name"
        );
        let empty_id_kept_session = ConnectSettings {
            client_id: String::new(),
            clean_start: false,
            ..settings()
        };
        assert!(empty_id_kept_session
            .options()
            .unwrap_err()
            .contains("clean start"));
    }

    #[test]
    fn the_received_log_keeps_what_it_is_told() {
        assert_eq!(received_kept(" 100000 "), Ok(100_000));
        assert_eq!(received_kept("1"), Ok(1));
        for bad in ["0", "500001", "many", "-5", ""] {
            assert!(
                received_kept(bad).unwrap_err().contains("from 1 to 500000"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_default_broker_follows_the_page() {
        assert_eq!(default_broker(false), "ws://broker.emqx.io:8083/mqtt");
        assert_eq!(default_broker(true), "wss://broker.emqx.io:8084/mqtt");
    }
}
