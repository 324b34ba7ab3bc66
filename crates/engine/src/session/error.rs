//! Why the session refused a publish, a subscribe or an unsubscribe.

use crate::reason::ReasonCode;
use crate::topic::TopicError;
use mqttbytes::QoS;
use std::fmt;

/// Why `publish` refused a message.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishError {
    NotConnected,
    InvalidTopic(TopicError),
    /// The queue of messages waiting to be sent is at its bound; the message was dropped.
    QueueFull {
        messages: usize,
        bytes: usize,
    },
    TooLarge {
        size: usize,
        max: usize,
    },
    QoSNotSupported {
        max: QoS,
    },
    RetainNotSupported,
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotConnected => write!(f, "not connected"),
            Self::InvalidTopic(error) => write!(f, "invalid topic: {error}"),
            Self::QueueFull { messages, bytes } => write!(
                f,
                "the queue of unsent messages is full ({messages} messages, {bytes} bytes): dropped"
            ),
            Self::TooLarge { size, max } => write!(
                f,
                "the message is {size} bytes encoded, over the broker's limit of {max} bytes"
            ),
            Self::QoSNotSupported { max } => {
                write!(f, "the broker accepts QoS {} at most", *max as u8)
            }
            Self::RetainNotSupported => write!(f, "the broker does not support retained messages"),
        }
    }
}

impl std::error::Error for PublishError {}

impl PublishError {
    /// The MQTT 5.0 reason code for a refusal found only once the broker's limits are known.
    pub(super) fn reason_code(&self) -> ReasonCode {
        ReasonCode(match self {
            Self::TooLarge { .. } => 0x95,
            Self::QoSNotSupported { .. } => 0x9B,
            Self::RetainNotSupported => 0x9A,
            _ => 0x80,
        })
    }
}

/// Why `subscribe` or `unsubscribe` refused a request.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscribeError {
    NotConnected,
    NoFilters,
    InvalidFilter { filter: String, error: TopicError },
}

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotConnected => write!(f, "not connected"),
            Self::NoFilters => write!(f, "no topic filter given"),
            Self::InvalidFilter { filter, error } => {
                write!(f, "invalid topic filter '{filter}': {error}")
            }
        }
    }
}

impl std::error::Error for SubscribeError {}
