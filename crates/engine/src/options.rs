//! What the client asks for when it connects: version, client id, credentials, will, timers.

use super::time::Duration;
use super::topic::{TopicError, TopicName};
use bytes::Bytes;
use mqttbytes::QoS;
use std::fmt;

/// The MQTT protocol version spoken on the wire.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// MQTT 3.1.1 (protocol level 4).
    V3_1_1,
    /// MQTT 5.0 (protocol level 5).
    #[default]
    V5,
}

impl Version {
    /// The name users know it by: "3.1.1" or "5.0".
    pub fn label(self) -> &'static str {
        match self {
            Self::V3_1_1 => "3.1.1",
            Self::V5 => "5.0",
        }
    }
}

/// User name and password for the CONNECT packet.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// The message the broker publishes for this client if the link dies without a DISCONNECT.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Will {
    pub topic: String,
    pub payload: Bytes,
    #[cfg_attr(feature = "serde", serde(with = "crate::qos_serde"))]
    pub qos: QoS,
    pub retain: bool,
}

/// A sane incoming packet limit: mqttbytes' default of 10 KiB is too small for real payloads,
/// and a browser tab should not be made to buffer the protocol's 256 MiB maximum.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 4 * 1024 * 1024;

/// The cap on QoS 1 and 2 publishes in flight when the broker announces no Receive Maximum
/// (always so on MQTT 3.1.1). Mosquitto refuses QoS 2 past its default of 20.
pub const DEFAULT_MAX_INFLIGHT: u16 = 20;

/// The default bounds of the queue of unsent messages.
pub const DEFAULT_MAX_QUEUED_MESSAGES: usize = 10_000;
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 10 * 1024 * 1024;

#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOptions {
    pub version: Version,
    pub client_id: String,
    /// Clean session (3.1.1) or clean start (5.0): begin with no stored session.
    pub clean_start: bool,
    /// Seconds between packets the client promises; 0 turns keep-alive off.
    pub keep_alive_secs: u16,
    pub credentials: Option<Credentials>,
    pub will: Option<Will>,
    /// MQTT 5.0 only: how long the broker keeps the session after the link closes.
    pub session_expiry_secs: u32,
    /// The largest packet this client accepts (announced to MQTT 5.0 brokers).
    pub max_packet_size: usize,
    /// See [`DEFAULT_MAX_INFLIGHT`].
    pub max_inflight: u16,
    /// How long to wait for CONNACK, and for PINGRESP, before the link is declared dead.
    pub response_timeout: Duration,
    /// Bounds on the messages waiting to be sent (while the link is down, or past the
    /// broker's receive window): a publish past either is refused and counted as dropped.
    pub max_queued_messages: usize,
    pub max_queued_bytes: usize,
}

impl ConnectOptions {
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            version: Version::default(),
            client_id: client_id.into(),
            clean_start: true,
            keep_alive_secs: 60,
            credentials: None,
            will: None,
            session_expiry_secs: 0,
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            response_timeout: Duration::from_secs(10),
            max_queued_messages: DEFAULT_MAX_QUEUED_MESSAGES,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
        }
    }

    /// Checks what the wire format cannot carry, so the mistake is named before connecting.
    pub fn validate(&self) -> Result<(), OptionsError> {
        let too_long = |value: &str| value.len() > u16::MAX as usize;
        if too_long(&self.client_id) {
            return Err(OptionsError::ClientIdTooLong);
        }
        if let Some(credentials) = &self.credentials {
            if too_long(&credentials.username) || too_long(&credentials.password) {
                return Err(OptionsError::CredentialsTooLong);
            }
        }
        if let Some(will) = &self.will {
            TopicName::new(will.topic.as_str()).map_err(OptionsError::WillTopic)?;
            if will.payload.len() > u16::MAX as usize {
                return Err(OptionsError::WillPayloadTooLong);
            }
        }
        if self.client_id.is_empty() && !self.clean_start {
            return Err(OptionsError::EmptyClientIdNeedsCleanStart);
        }
        Ok(())
    }
}

/// A client id in the form `wasm-mqtt-<8 hex digits>`; the caller brings the randomness,
/// since the engine has no random source of its own.
pub fn generated_client_id(random: u32) -> String {
    format!("wasm-mqtt-{random:08x}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionsError {
    ClientIdTooLong,
    CredentialsTooLong,
    WillTopic(TopicError),
    WillPayloadTooLong,
    EmptyClientIdNeedsCleanStart,
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientIdTooLong => write!(f, "the client id is longer than 65,535 bytes"),
            Self::CredentialsTooLong => {
                write!(f, "the user name or password is longer than 65,535 bytes")
            }
            Self::WillTopic(error) => write!(f, "the will topic is not valid: {error}"),
            Self::WillPayloadTooLong => write!(f, "the will message is longer than 65,535 bytes"),
            Self::EmptyClientIdNeedsCleanStart => write!(
                f,
                "an empty client id needs clean start: the broker cannot keep a session for it"
            ),
        }
    }
}

impl std::error::Error for OptionsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_the_expected_form() {
        assert_eq!(generated_client_id(0xabc), "wasm-mqtt-00000abc");
    }

    #[test]
    fn validation_names_the_mistake() {
        let mut options = ConnectOptions::new("id");
        assert_eq!(options.validate(), Ok(()));
        options.will = Some(Will {
            topic: "a/+".into(),
            payload: Bytes::new(),
            qos: QoS::AtMostOnce,
            retain: false,
        });
        assert_eq!(
            options.validate(),
            Err(OptionsError::WillTopic(TopicError::WildcardInName))
        );
        let mut options = ConnectOptions::new("");
        options.clean_start = false;
        assert!(options
            .validate()
            .unwrap_err()
            .to_string()
            .contains("clean start"));
    }
}
