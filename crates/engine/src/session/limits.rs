//! What the broker's CONNACK allows a publish: a size, a QoS, retain.

use super::{PublishError, Session};
use crate::options::{ConnectOptions, Version};
use mqttbytes::v5;
use mqttbytes::QoS;

/// What the broker's CONNACK allows; MQTT 3.1.1 brokers announce none of it.
pub(super) struct BrokerLimits {
    pub(super) receive_maximum: u16,
    pub(super) max_packet_size: usize,
    pub(super) max_qos: QoS,
    pub(super) retain_available: bool,
}

/// The largest packet MQTT can frame (a remaining length of 268,435,455 bytes).
const PROTOCOL_MAX_PACKET_SIZE: usize = 268_435_455 + 5;

impl BrokerLimits {
    pub(super) fn assumed(options: &ConnectOptions) -> Self {
        Self {
            receive_maximum: match options.version {
                Version::V3_1_1 => options.max_inflight.max(1),
                Version::V5 => u16::MAX,
            },
            max_packet_size: PROTOCOL_MAX_PACKET_SIZE,
            max_qos: QoS::ExactlyOnce,
            retain_available: true,
        }
    }
}

fn remaining_length_bytes(length: usize) -> usize {
    match length {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

impl Session {
    /// What the broker's CONNACK forbids: a size, a QoS, retain.
    pub(super) fn check_limits(&self, publish: &v5::Publish) -> Result<(), PublishError> {
        let limits = &self.limits;
        if publish.qos > limits.max_qos {
            return Err(PublishError::QoSNotSupported {
                max: limits.max_qos,
            });
        }
        if publish.retain && !limits.retain_available {
            return Err(PublishError::RetainNotSupported);
        }
        let size = self.encoded_publish_size(publish);
        if size > limits.max_packet_size {
            return Err(PublishError::TooLarge {
                size,
                max: limits.max_packet_size,
            });
        }
        Ok(())
    }

    /// The PUBLISH's size on the wire, computed without encoding it (this runs per message).
    pub(super) fn encoded_publish_size(&self, publish: &v5::Publish) -> usize {
        // mqttbytes counts the packet id only once one is given, after the window has room.
        let packet_id = if publish.qos != QoS::AtMostOnce && publish.pkid == 0 {
            2
        } else {
            0
        };
        let remaining = publish.len() + packet_id
            - match self.options.version {
                Version::V5 => 0,
                Version::V3_1_1 => 1, // no property length
            };
        1 + remaining_length_bytes(remaining) + remaining
    }
}
