//! The MQTT session as a pure state machine, in the shape of quinn-proto's `Connection`.
//!
//! The driver owns the transport and the clock. It calls the inputs (`connect`, `publish`,
//! `subscribe`, `handle_bytes`, `handle_timeout`, `handle_closed`, …) and then drains the
//! outputs: `poll_transmit` until it gives nothing (everything due, coalesced into as few buffers
//! as will do, since a browser pays per WebSocket message and not per byte: whole packets, up to
//! [`TRANSMIT_CHUNK`] bytes a buffer), `poll_event`, and `poll_timeout` (when to call
//! `handle_timeout` next).
//!
//! When an [`Event::Disconnected`] comes out, the link is finished: the driver sends what
//! `poll_transmit` still holds and closes the transport. What was in flight stays in the session,
//! so that `connect` on a new link resumes it.
//!
//! The concerns of the session sit beside it in `session/`: the handshake, publishes out
//! (`outgoing`, the state they are kept in) and in (`incoming`), subscribe requests, the
//! broker's limits, and the events and errors the application sees.

use super::codec::{self, DecodeError, EncodeError, Packet, StreamDecoder};
use super::options::{ConnectOptions, OptionsError, Version};
use super::reason::ReasonCode;
use super::time::{Duration, Instant};
use super::topic::TopicName;
use bytes::{Bytes, BytesMut};
use mqttbytes::v5::{self, DisconnectReasonCode};
use mqttbytes::QoS;
use std::collections::{HashMap, VecDeque};

mod error;
mod event;
mod handshake;
mod incoming;
mod limits;
mod outgoing;
mod requests;

pub use error::{PublishError, SubscribeError};
pub use event::{DisconnectReason, Event, Message, PublishId, RequestId, SubscribeResult};
use limits::BrokerLimits;
use outgoing::Outgoing;
pub use outgoing::{Pending, QueueStats, CLOSES_BEFORE_GIVING_UP};
use requests::{Granted, Request};

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Disconnected,
    /// CONNECT sent, waiting for CONNACK.
    Connecting,
    Connected,
}

/// The MQTT 5.0 DISCONNECT reason "session taken over": another client connected with this
/// client id.
pub(crate) const SESSION_TAKEN_OVER: u8 = 0x8E;

/// The most bytes of packets [`Session::poll_transmit`] gives in one buffer, unless one packet
/// is larger (it goes alone). A broker reads a WebSocket message whole before it acts on it,
/// and a buffer of tens of megabytes is copied over and over as it grows: a thousand 64 KB
/// messages published at once went 26 % faster in buffers of 1 MB than in one, and 1 KB ones
/// 12 %. Smaller buffers cost more `send`s (64 KB ones made 64-byte messages 14 % slower).
pub const TRANSMIT_CHUNK: usize = 1024 * 1024;

pub struct Session {
    options: ConnectOptions,
    state: State,
    decoder: StreamDecoder,
    /// Packets to send: full buffers first, then the one being filled.
    transmit_full: VecDeque<Bytes>,
    transmit: BytesMut,
    events: VecDeque<Event>,
    limits: BrokerLimits,
    keep_alive: Duration,
    last_sent: Instant,
    /// When the last packet came from the broker.
    heard_at: Instant,
    ping_sent_at: Option<Instant>,
    connack_deadline: Option<Instant>,
    /// Packet ids are shared by publishes and requests, so they are given out here.
    next_packet_id: u16,
    next_publish_id: u64,
    next_request_id: u64,
    outgoing: Outgoing,
    /// Filters the broker granted, with the QoS asked for: subscribed again when a reconnect
    /// finds the session gone.
    subscriptions: Granted,
    requests: HashMap<u16, Request>,
    /// Whether a CONNACK ever accepted this session.
    has_connected: bool,
    /// Incoming QoS 2 packet ids delivered and awaiting PUBREL: a redelivery is not shown twice.
    /// Each id maps to a fingerprint of the message it carried: a broker restarted from an
    /// older save may send a new message under an id still open here.
    incoming_qos2: HashMap<u16, u64>,
}

impl Session {
    pub fn new(options: ConnectOptions) -> Result<Self, OptionsError> {
        options.validate()?;
        Ok(Self {
            decoder: StreamDecoder::new(options.version, options.max_packet_size),
            limits: BrokerLimits::assumed(&options),
            keep_alive: Duration::from_secs(u64::from(options.keep_alive_secs)),
            options,
            state: State::Disconnected,
            transmit_full: VecDeque::new(),
            transmit: BytesMut::new(),
            events: VecDeque::new(),
            last_sent: Instant::ZERO,
            heard_at: Instant::ZERO,
            ping_sent_at: None,
            connack_deadline: None,
            next_packet_id: 1,
            next_publish_id: 1,
            next_request_id: 1,
            outgoing: Outgoing::default(),
            subscriptions: Granted::default(),
            requests: HashMap::new(),
            has_connected: false,
            incoming_qos2: HashMap::new(),
        })
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn options(&self) -> &ConnectOptions {
        &self.options
    }

    /// Publishes accepted but not yet acknowledged (in flight, or waiting to be sent).
    pub fn unacknowledged(&self) -> usize {
        self.outgoing.unacknowledged()
    }

    /// What waits to be sent, and what the bound refused.
    pub fn queue_stats(&self) -> QueueStats {
        self.outgoing.stats()
    }

    /// Every message accepted and not yet acknowledged, oldest first, with how far it got: what
    /// a page stores, to take up again after a reload with [`Session::restore`].
    pub fn pending(&self) -> Vec<Pending> {
        self.outgoing.pending()
    }

    /// Takes up what an earlier session with this client id left unacknowledged (as
    /// [`Session::pending`] listed it), before the first `connect`. A message that went out
    /// keeps its packet id, so that a broker that kept the session takes a QoS 2 message sent
    /// again once, and completes one it answered with PUBREC when PUBREL goes out; if the
    /// broker did not keep the session, it starts afresh as any in-flight message does. The
    /// rest waits in the queue. Returns each message's id, or why it was refused.
    pub fn restore(&mut self, pending: Vec<Pending>) -> Vec<Result<PublishId, PublishError>> {
        let mut ids = Vec::with_capacity(pending.len());
        for Pending {
            message,
            packet_id,
            released,
        } in pending
        {
            let free = packet_id.filter(|pkid| {
                *pkid != 0
                    && message.qos != QoS::AtMostOnce
                    && !self.outgoing.holds(*pkid)
                    && !self.requests.contains_key(pkid)
            });
            let Some(pkid) = free else {
                ids.push(self.publish(message, Instant::ZERO));
                continue;
            };
            let mut publish = match publish_packet(message) {
                Ok(publish) => publish,
                Err(error) => {
                    ids.push(Err(error));
                    continue;
                }
            };
            publish.pkid = pkid;
            let released = released && publish.qos == QoS::ExactlyOnce;
            let id = PublishId(self.next_publish_id);
            self.next_publish_id += 1;
            self.outgoing.track(id, publish, released, Instant::ZERO);
            ids.push(Ok(id));
        }
        ids
    }

    /// Publishes a message. While the link is down it waits in the queue, in order, and goes out
    /// after the next CONNACK; so do QoS 1 and 2 messages past the broker's receive window.
    pub fn publish(&mut self, message: Message, now: Instant) -> Result<PublishId, PublishError> {
        let publish = publish_packet(message)?;
        if self.state == State::Connected {
            self.check_limits(&publish)?;
        }
        let id = PublishId(self.next_publish_id);
        self.outgoing.enqueue(id, publish, &self.options)?;
        self.next_publish_id += 1;
        if self.state == State::Connected {
            self.send_waiting(now);
        }
        Ok(id)
    }

    /// Says goodbye with DISCONNECT (the broker then drops the will) and ends the link.
    pub fn disconnect(&mut self, now: Instant) {
        if self.state == State::Disconnected {
            return;
        }
        if self.state == State::Connected {
            self.send(&Packet::Disconnect(v5::Disconnect::new()), now);
        }
        self.end(DisconnectReason::ClientRequested);
    }

    /// Feeds what one transport message held: part of a packet, a packet, or several.
    pub fn handle_bytes(&mut self, bytes: &[u8], now: Instant) {
        if self.state == State::Disconnected {
            return;
        }
        self.decoder.push(bytes);
        while self.state != State::Disconnected {
            match self.decoder.next_packet() {
                Ok(Some(packet)) => self.handle_packet(packet, now),
                Ok(None) => break,
                Err(DecodeError::FromClient(name)) => self.unexpected_packet(name, now),
                Err(error @ DecodeError::TooLarge { .. }) => {
                    let what = error.to_string();
                    self.violation(DisconnectReasonCode::PacketTooLarge, what, now);
                }
                Err(error @ DecodeError::Malformed(_)) => {
                    let what = error.to_string();
                    self.violation(DisconnectReasonCode::MalformedPacket, what, now);
                }
            }
        }
    }

    /// Runs what is due at `now`: a keep-alive ping, or a timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Disconnected => {}
            State::Connecting => {
                if self
                    .connack_deadline
                    .is_some_and(|deadline| now >= deadline)
                {
                    self.end(DisconnectReason::ConnackTimeout {
                        after: self.options.response_timeout,
                    });
                }
            }
            State::Connected => {
                if let Some(sent) = self.ping_sent_at {
                    if now >= sent + self.options.response_timeout {
                        self.end(DisconnectReason::PingTimeout { after: now - sent });
                    }
                } else if !self.keep_alive.is_zero() && now >= self.last_sent + self.keep_alive {
                    self.send(&Packet::PingReq, now);
                    self.ping_sent_at = Some(now);
                }
            }
        }
    }

    /// The transport closed (or failed to open); `reason` is the driver's description.
    pub fn handle_closed(&mut self, reason: impl Into<String>) {
        if self.state != State::Disconnected {
            let mut reason = reason.into();
            if self.decoder.buffered() > 0 {
                reason.push_str(", in the middle of a packet");
            }
            self.end(DisconnectReason::TransportClosed(reason));
        }
        self.clear_transmit();
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has bytes to give.
    pub fn has_transmit(&self) -> bool {
        !self.transmit_full.is_empty() || !self.transmit.is_empty()
    }

    /// The next buffer of whole packets to send (one WebSocket message), in order; call until
    /// `None`.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        (self.transmit_full.pop_front())
            .or_else(|| (!self.transmit.is_empty()).then(|| self.transmit.split().freeze()))
    }

    fn clear_transmit(&mut self) {
        self.transmit_full.clear();
        self.transmit.clear();
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Disconnected => None,
            State::Connecting => self.connack_deadline,
            State::Connected => match self.ping_sent_at {
                Some(sent) => Some(sent + self.options.response_timeout),
                None if !self.keep_alive.is_zero() => Some(self.last_sent + self.keep_alive),
                None => None,
            },
        }
    }

    fn handle_packet(&mut self, packet: Packet, now: Instant) {
        self.heard_at = now;
        if self.state == State::Connecting {
            match packet {
                Packet::ConnAck(connack) => self.handle_connack(connack, now),
                Packet::Disconnect(disconnect) => self.handle_server_disconnect(disconnect),
                other => self.unexpected_packet(codec::packet_name(&other), now),
            }
            return;
        }
        match packet {
            Packet::Publish(publish) => self.handle_incoming_publish(publish, now),
            Packet::PubAck(ack) => self.finish_publish(ack.pkid, ReasonCode(ack.reason as u8), now),
            Packet::PubRec(ack) => self.handle_pubrec(ack, now),
            Packet::PubRel(ack) => {
                self.incoming_qos2.remove(&ack.pkid);
                self.send(&Packet::PubComp(v5::PubComp::new(ack.pkid)), now);
            }
            Packet::PubComp(ack) => {
                self.finish_publish(ack.pkid, ReasonCode(ack.reason as u8), now)
            }
            Packet::SubAck(suback) => self.handle_suback(suback),
            Packet::UnsubAck(unsuback) => self.handle_unsuback(unsuback),
            Packet::PingResp => self.ping_sent_at = None,
            Packet::Disconnect(disconnect) => self.handle_server_disconnect(disconnect),
            other => self.unexpected_packet(codec::packet_name(&other), now),
        }
    }

    /// A packet the broker may not send now: anything but CONNACK (or DISCONNECT) in answer to
    /// CONNECT, or a packet only a client sends.
    fn unexpected_packet(&mut self, name: &str, now: Instant) {
        let what = if self.state == State::Connecting {
            format!("the server answered CONNECT with {name}, not CONNACK")
        } else {
            format!("the broker sent {name}, which only a client may send")
        };
        self.violation(DisconnectReasonCode::ProtocolError, what, now);
    }

    fn handle_pubrec(&mut self, ack: v5::PubRec, now: Instant) {
        let reason = ReasonCode(ack.reason as u8);
        if reason.is_failure() {
            self.finish_publish(ack.pkid, reason, now);
            return;
        }
        if let Some(id) = self.outgoing.release(ack.pkid) {
            self.events.push_back(Event::PublishReceived { id });
        }
        self.send(&Packet::PubRel(v5::PubRel::new(ack.pkid)), now);
    }

    /// PUBACK, PUBCOMP or a failed PUBREC: the exchange for `pkid` is over.
    fn finish_publish(&mut self, pkid: u16, reason: ReasonCode, now: Instant) {
        let Some(id) = self.outgoing.finish(pkid) else {
            return; // a late or repeated acknowledgement
        };
        self.events.push_back(if reason.is_failure() {
            Event::PublishFailed { id, reason }
        } else {
            Event::Published { id }
        });
        self.send_waiting(now);
    }

    fn handle_server_disconnect(&mut self, disconnect: v5::Disconnect) {
        self.end(DisconnectReason::ByServer {
            reason: ReasonCode(disconnect.reason_code as u8),
            message: disconnect
                .properties
                .and_then(|properties| properties.reason_string),
        });
    }

    /// Sends waiting publishes in order: QoS 0 at once, QoS 1/2 while the broker's receive
    /// window has room. One the broker's limits forbid fails with the limit's reason code.
    fn send_waiting(&mut self, now: Instant) {
        let window = usize::from(self.limits.receive_maximum);
        while let Some((id, mut publish)) = self.outgoing.next_waiting(window) {
            if let Err(refusal) = self.check_limits(&publish) {
                let reason = refusal.reason_code();
                self.events.push_back(Event::PublishFailed { id, reason });
                continue;
            }
            if publish.qos == QoS::AtMostOnce {
                self.send(&Packet::Publish(publish), now);
                self.events.push_back(Event::Published { id });
                continue;
            }
            publish.pkid = self.allocate_packet_id();
            self.send(&Packet::Publish(publish.clone()), now);
            self.outgoing.track(id, publish, false, now);
        }
    }

    fn allocate_packet_id(&mut self) -> u16 {
        loop {
            let id = self.next_packet_id;
            self.next_packet_id = self.next_packet_id.checked_add(1).unwrap_or(1);
            if !self.outgoing.holds(id) && !self.requests.contains_key(&id) {
                return id;
            }
        }
    }

    fn send(&mut self, packet: &Packet, now: Instant) {
        let start = self.transmit.len();
        let encoded = codec::encode(packet, self.options.version, &mut self.transmit);
        self.sent(start, encoded, now);
    }

    /// A packet was encoded at `start` of the buffer being filled: past the chunk's bound, it
    /// begins the next buffer.
    fn sent(&mut self, start: usize, encoded: Result<(), EncodeError>, now: Instant) {
        if let Err(error) = encoded {
            // Only reachable through a bug: inputs are validated before they become packets.
            self.end(DisconnectReason::ProtocolViolation(error.to_string()));
            return;
        }
        if start > 0 && self.transmit.len() > TRANSMIT_CHUNK {
            let full = self.transmit.split_to(start).freeze();
            self.transmit_full.push_back(full);
        }
        self.last_sent = now;
    }

    /// The broker broke the protocol: tell it why (MQTT 5.0) and end the link.
    fn violation(&mut self, code: DisconnectReasonCode, what: String, now: Instant) {
        if self.options.version == Version::V5 {
            let mut disconnect = v5::Disconnect::new();
            disconnect.reason_code = code;
            self.send(&Packet::Disconnect(disconnect), now);
        }
        self.end(DisconnectReason::ProtocolViolation(what));
    }

    fn end(&mut self, reason: DisconnectReason) {
        let closed_by_broker = matches!(
            reason,
            DisconnectReason::TransportClosed(_) | DisconnectReason::ByServer { .. }
        );
        if self.state == State::Connected && closed_by_broker {
            if let Some(id) = self.outgoing.blame_oldest_unacknowledged(self.heard_at) {
                self.events.push_back(Event::PublishGivenUp { id });
            }
        }
        self.state = State::Disconnected;
        self.ping_sent_at = None;
        self.connack_deadline = None;
        self.decoder.clear();
        self.events.push_back(Event::Disconnected { reason });
    }
}

/// The PUBLISH that carries `message` (its packet id still 0), once its topic is valid.
fn publish_packet(message: Message) -> Result<v5::Publish, PublishError> {
    let topic = TopicName::new(message.topic).map_err(PublishError::InvalidTopic)?;
    let mut publish = v5::Publish::from_bytes(topic.into_string(), message.qos, message.payload);
    publish.retain = message.retain;
    publish.properties = message.properties;
    Ok(publish)
}

#[cfg(test)]
mod tests;
