//! The session's outgoing side: publishes that wait to go out, bounded in messages and bytes,
//! and QoS 1 and 2 publishes in flight under a packet id until the broker acknowledges them.
//!
//! Nothing is kept that can be worked out: the queue's length is the queue's, and the order
//! publishes went out in is a place each one in flight holds, so no second list can disagree
//! with the map. Sorting by place is left to what needs the order (a resend after a reconnect,
//! [`Outgoing::pending`]), which is rare beside acknowledgements, found by packet id.

use super::{Message, PublishError, PublishId};
use crate::codec::Packet;
use crate::options::ConnectOptions;
use crate::time::{Duration, Instant};
use mqttbytes::v5;
use mqttbytes::QoS;
use std::collections::{HashMap, VecDeque};

/// Links in a row the broker may close just after a message goes out before that message is
/// given up (`Event::PublishGivenUp`).
pub const CLOSES_BEFORE_GIVING_UP: u8 = 3;
/// "Just after": nothing came from the broker later than this after the message went out.
pub(super) const CLOSE_BLAME_WINDOW: Duration = Duration::from_secs(5);

/// Messages accepted by `publish` and not yet handed to the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    pub messages: usize,
    /// Topic and payload bytes.
    pub bytes: usize,
    /// Messages refused since the session began because the queue was full.
    pub dropped: u64,
}

/// A message accepted and not yet acknowledged, and how far it got ([`Session::pending`]).
///
/// [`Session::pending`]: super::Session::pending
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub message: Message,
    /// The packet id it went out under; `None` while it waits to go out.
    pub packet_id: Option<u16>,
    /// QoS 2: the broker answered PUBREC; only PUBREL and PUBCOMP are left.
    pub released: bool,
}

#[derive(Default)]
pub(super) struct Outgoing {
    /// QoS 1 and 2 publishes by packet id, awaiting their acknowledgement.
    in_flight: HashMap<u16, InFlight>,
    /// The place in the send order that the next publish to go out takes.
    next_place: u64,
    waiting: Waiting,
    /// Publishes refused since the session began because the queue was full.
    dropped: u64,
}

/// An outgoing QoS 1 or 2 publish that holds a packet id (`publish.pkid`).
struct InFlight {
    id: PublishId,
    publish: v5::Publish,
    /// Where it stands in the order publishes went out: resends follow it.
    place: u64,
    /// QoS 2 only: PUBREC came, PUBREL sent, waiting for PUBCOMP.
    released: bool,
    /// When it last went out.
    sent_at: Instant,
    /// Links in a row the broker closed soon after it went out, as the oldest unacknowledged.
    closes: u8,
}

/// Publishes not yet sent, in order: while the link is down, or (QoS 1/2) until the broker's
/// receive window has room.
#[derive(Default)]
struct Waiting {
    queue: VecDeque<(PublishId, v5::Publish)>,
    /// What `queue` counts against the byte bound. Summing it on each publish would cost a
    /// walk of the queue, so it is kept as the queue changes; `push` and `pop` alone write it.
    bytes: usize,
}

impl Waiting {
    fn push(&mut self, id: PublishId, publish: v5::Publish) {
        self.bytes += queued_bytes(&publish);
        self.queue.push_back((id, publish));
    }

    fn pop(&mut self) -> Option<(PublishId, v5::Publish)> {
        let (id, publish) = self.queue.pop_front()?;
        self.bytes -= queued_bytes(&publish);
        Some((id, publish))
    }
}

impl Outgoing {
    /// What waits to be sent, and what the bound refused.
    pub fn stats(&self) -> QueueStats {
        QueueStats {
            messages: self.waiting.queue.len(),
            bytes: self.waiting.bytes,
            dropped: self.dropped,
        }
    }

    /// Publishes in flight or waiting.
    pub fn unacknowledged(&self) -> usize {
        self.in_flight.len() + self.waiting.queue.len()
    }

    /// Whether a publish in flight holds packet id `pkid`.
    pub fn holds(&self, pkid: u16) -> bool {
        self.in_flight.contains_key(&pkid)
    }

    /// Queues a publish behind the others, unless the queue is at one of its bounds: then it is
    /// refused and counted as dropped.
    pub fn enqueue(
        &mut self,
        id: PublishId,
        publish: v5::Publish,
        options: &ConnectOptions,
    ) -> Result<(), PublishError> {
        let messages = self.waiting.queue.len();
        let bytes = self.waiting.bytes;
        if messages >= options.max_queued_messages
            || bytes + queued_bytes(&publish) > options.max_queued_bytes
        {
            self.dropped += 1;
            return Err(PublishError::QueueFull { messages, bytes });
        }
        self.waiting.push(id, publish);
        Ok(())
    }

    /// The next publish to send, taken from the queue: QoS 0 at any time, QoS 1 and 2 while
    /// fewer than `window` are in flight.
    pub fn next_waiting(&mut self, window: usize) -> Option<(PublishId, v5::Publish)> {
        let (_, head) = self.waiting.queue.front()?;
        if head.qos != QoS::AtMostOnce && self.in_flight.len() >= window {
            return None;
        }
        self.waiting.pop()
    }

    /// A QoS 1 or 2 publish went out at `sent_at` under `publish.pkid` (or, `released`, was
    /// answered with PUBREC before a reload): it is in flight until acknowledged.
    pub fn track(&mut self, id: PublishId, publish: v5::Publish, released: bool, sent_at: Instant) {
        let place = self.next_place;
        self.next_place += 1;
        let in_flight = InFlight {
            id,
            publish,
            place,
            released,
            sent_at,
            closes: 0,
        };
        self.in_flight.insert(in_flight.publish.pkid, in_flight);
    }

    /// PUBREC came for `pkid`: the publish's id, the first time only.
    pub fn release(&mut self, pkid: u16) -> Option<PublishId> {
        let in_flight = self.in_flight.get_mut(&pkid)?;
        if in_flight.released {
            return None;
        }
        in_flight.released = true;
        Some(in_flight.id)
    }

    /// The exchange for `pkid` is over: the publish's id, unless it was over already.
    pub fn finish(&mut self, pkid: u16) -> Option<PublishId> {
        self.in_flight.remove(&pkid).map(|in_flight| in_flight.id)
    }

    /// Takes out the QoS 2 publishes the broker answered with PUBREC, in the order sent: a
    /// broker that lost the session has them as its own (MQTT section 4.3.3).
    pub fn take_released(&mut self) -> Vec<PublishId> {
        let released: Vec<u16> = (self.in_send_order().into_iter())
            .filter(|in_flight| in_flight.released)
            .map(|in_flight| in_flight.publish.pkid)
            .collect();
        (released.into_iter())
            .filter_map(|pkid| self.finish(pkid))
            .collect()
    }

    /// After a reconnect, what is in flight goes out again at `now`, in the order first sent:
    /// PUBLISH (with DUP set to `dup`) or, past PUBREC, PUBREL.
    pub fn resend(&mut self, dup: bool, now: Instant) -> Vec<Packet> {
        let order: Vec<u16> = (self.in_send_order().into_iter())
            .map(|in_flight| in_flight.publish.pkid)
            .collect();
        let mut packets = Vec::with_capacity(order.len());
        for pkid in order {
            let Some(in_flight) = self.in_flight.get_mut(&pkid) else {
                continue;
            };
            in_flight.sent_at = now;
            packets.push(if in_flight.released {
                Packet::PubRel(v5::PubRel::new(pkid))
            } else {
                let mut publish = in_flight.publish.clone();
                publish.dup = dup;
                Packet::Publish(publish)
            });
        }
        packets
    }

    /// Every publish not yet acknowledged, oldest first: those in flight, then those waiting.
    pub fn pending(&self) -> Vec<Pending> {
        let in_flight = self.in_send_order().into_iter().map(|in_flight| Pending {
            message: message_of(&in_flight.publish),
            packet_id: Some(in_flight.publish.pkid),
            released: in_flight.released,
        });
        let waiting = self.waiting.queue.iter().map(|(_, publish)| Pending {
            message: message_of(publish),
            packet_id: None,
            released: false,
        });
        in_flight.chain(waiting).collect()
    }

    /// The broker closed the link, having last been heard at `heard_at`: if it did so soon
    /// after the oldest unacknowledged message went out, that message may be why (see
    /// `Event::PublishGivenUp`). After `CLOSES_BEFORE_GIVING_UP` such links in a row it is
    /// given up: taken out, its id returned. A broker that dies, or a network that drops, does
    /// not end several links in a row that way: what is resent after CONNACK is acknowledged
    /// then.
    pub fn blame_oldest_unacknowledged(&mut self, heard_at: Instant) -> Option<PublishId> {
        let oldest = (self.in_flight.values_mut())
            .filter(|in_flight| !in_flight.released)
            .min_by_key(|in_flight| in_flight.place)?;
        if heard_at - oldest.sent_at > CLOSE_BLAME_WINDOW {
            oldest.closes = 0;
            return None;
        }
        oldest.closes += 1;
        if oldest.closes < CLOSES_BEFORE_GIVING_UP {
            return None;
        }
        let pkid = oldest.publish.pkid;
        self.finish(pkid)
    }

    fn in_send_order(&self) -> Vec<&InFlight> {
        let mut in_flight: Vec<&InFlight> = self.in_flight.values().collect();
        in_flight.sort_unstable_by_key(|in_flight| in_flight.place);
        in_flight
    }
}

/// What a waiting message counts against the queue's byte bound.
fn queued_bytes(publish: &v5::Publish) -> usize {
    publish.topic.len() + publish.payload.len()
}

/// The message a PUBLISH carries.
fn message_of(publish: &v5::Publish) -> Message {
    Message {
        topic: publish.topic.clone(),
        payload: publish.payload.clone(),
        qos: publish.qos,
        retain: publish.retain,
        properties: publish.properties.clone(),
    }
}

#[cfg(test)]
mod tests;
