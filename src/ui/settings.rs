//! The connection form's values, and the options they make.

use crate::mqtt::{ConnectOptions, Credentials, Version};

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
        let mut options = ConnectOptions::new(self.client_id.trim());
        options.version = self.version;
        options.keep_alive_secs = keep_alive_secs;
        options.clean_start = self.clean_start;
        if !self.username.is_empty() {
            options.credentials = Some(Credentials {
                username: self.username.clone(),
                password: self.password.clone(),
            });
        }
        options.validate().map_err(|error| error.to_string())?;
        Ok(options)
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
        }
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
    fn the_default_broker_follows_the_page() {
        assert_eq!(default_broker(false), "ws://broker.emqx.io:8083/mqtt");
        assert_eq!(default_broker(true), "wss://broker.emqx.io:8084/mqtt");
    }
}
