//! Publishes from the broker: acknowledged, and a QoS 2 one delivered once.

use super::{Event, Message, Session};
use crate::codec::Packet;
use crate::time::Instant;
use mqttbytes::v5::{self, DisconnectReasonCode};
use mqttbytes::QoS;
use std::hash::{Hash, Hasher};

/// Tells a retransmitted QoS 2 message (same topic and payload under the same id) from a new
/// one. A 64-bit hash: a collision between two messages under one open id is not a concern.
fn fingerprint(publish: &v5::Publish) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    publish.topic.hash(&mut hasher);
    publish.payload.hash(&mut hasher);
    hasher.finish()
}

impl Session {
    pub(super) fn handle_incoming_publish(&mut self, publish: v5::Publish, now: Instant) {
        if publish.topic.is_empty() {
            // Only a topic alias could stand for an empty topic, and this client allows none.
            self.violation(
                DisconnectReasonCode::TopicAliasInvalid,
                "the broker sent a message without a topic".to_string(),
                now,
            );
            return;
        }
        let deliver = match publish.qos {
            QoS::AtMostOnce => true,
            QoS::AtLeastOnce => {
                self.send(&Packet::PubAck(v5::PubAck::new(publish.pkid)), now);
                true
            }
            QoS::ExactlyOnce => {
                let fingerprint = fingerprint(&publish);
                let first_time =
                    self.incoming_qos2.insert(publish.pkid, fingerprint) != Some(fingerprint);
                self.send(&Packet::PubRec(v5::PubRec::new(publish.pkid)), now);
                first_time
            }
        };
        if deliver {
            self.events.push_back(Event::Message(Message {
                topic: publish.topic,
                payload: publish.payload,
                qos: publish.qos,
                retain: publish.retain,
                properties: publish.properties,
            }));
        }
    }
}
