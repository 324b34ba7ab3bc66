//! What the session reports to the application, and the messages it carries.

use crate::reason::ReasonCode;
use crate::time::Duration;
use bytes::Bytes;
use mqttbytes::v5;
use mqttbytes::QoS;
use std::fmt;

/// A message, published or received.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5.0 properties; always `None` on 3.1.1.
    pub properties: Option<v5::PublishProperties>,
}

impl Message {
    pub fn new(topic: impl Into<String>, payload: impl Into<Bytes>, qos: QoS) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            qos,
            retain: false,
            properties: None,
        }
    }
}

/// Names one `publish` call in the events that report on it.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublishId(pub u64);

/// Names one `subscribe` or `unsubscribe` call in the events that report on it.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

/// What the session reports to the application.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Connected {
        session_present: bool,
    },
    Message(Message),
    /// QoS 2 only: PUBREC came. The broker has the message and will pass it on once; PUBCOMP
    /// (`Published`) ends the exchange.
    PublishReceived {
        id: PublishId,
    },
    /// QoS 0: handed to the transport. QoS 1: PUBACK came. QoS 2: PUBCOMP came.
    Published {
        id: PublishId,
    },
    /// Not sent again: the broker closed the link soon after each of the last
    /// `CLOSES_BEFORE_GIVING_UP` times it was sent, with nothing older left unacknowledged. A
    /// 3.1.1 broker answers a message larger than it takes, or one it refuses, that way, and
    /// sending it again on every reconnect would be a reconnect loop.
    PublishGivenUp {
        id: PublishId,
    },
    /// The broker refused the message (MQTT 5.0 reason code 0x80 or above).
    PublishFailed {
        id: PublishId,
        reason: ReasonCode,
    },
    Subscribed {
        id: RequestId,
        results: Vec<SubscribeResult>,
    },
    Unsubscribed {
        id: RequestId,
        filters: Vec<String>,
    },
    Disconnected {
        reason: DisconnectReason,
    },
}

/// What the broker said of one filter of a SUBSCRIBE.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscribeResult {
    pub filter: String,
    /// The QoS granted, or why the broker refused the filter.
    pub outcome: Result<QoS, ReasonCode>,
}

/// Why the link ended, in words a user can read.
#[derive(Debug, Clone, PartialEq)]
pub enum DisconnectReason {
    /// The application called `disconnect`.
    ClientRequested,
    /// CONNACK refused the connection.
    Refused(ReasonCode),
    /// The broker sent DISCONNECT (MQTT 5.0).
    ByServer {
        reason: ReasonCode,
        message: Option<String>,
    },
    /// No CONNACK within the response timeout: often a server that is not an MQTT broker.
    ConnackTimeout { after: Duration },
    /// No PINGRESP within the response timeout: the link is dead.
    PingTimeout { after: Duration },
    /// The broker broke the protocol; the session closed the link.
    ProtocolViolation(String),
    /// The transport closed, as the driver describes it.
    TransportClosed(String),
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientRequested => write!(f, "disconnected by you"),
            Self::Refused(reason) => {
                write!(f, "the broker refused the connection: {reason}")?;
                // Mosquitto answers a wrong password with "not authorized".
                match reason.0 {
                    0x86 | 0x87 => write!(f, "; check the user name and password"),
                    _ => Ok(()),
                }
            }
            Self::ByServer { reason, message } => {
                write!(f, "the broker closed the connection: {reason}")?;
                match message {
                    Some(message) => write!(f, " ({message})"),
                    None => Ok(()),
                }
            }
            Self::ConnackTimeout { after } => write!(
                f,
                "no answer to CONNECT after {after}: is this an MQTT broker?"
            ),
            Self::PingTimeout { after } => write!(
                f,
                "the connection is dead: no answer to a ping after {after}"
            ),
            Self::ProtocolViolation(what) => write!(f, "{what}"),
            Self::TransportClosed(what) => write!(f, "{what}"),
        }
    }
}
