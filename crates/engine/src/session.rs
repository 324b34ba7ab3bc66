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

use super::codec::{self, granted_qos, DecodeError, EncodeError, Packet, StreamDecoder};
use super::options::{ConnectOptions, OptionsError, Version};
use super::reason::ReasonCode;
use super::time::{Duration, Instant};
use super::topic::{TopicError, TopicFilter, TopicName};
use bytes::{Bytes, BytesMut};
use mqttbytes::v5::{self, ConnAck, ConnectReturnCode, DisconnectReasonCode};
use mqttbytes::QoS;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};

mod outgoing;

use outgoing::Outgoing;
pub use outgoing::{Pending, QueueStats, CLOSES_BEFORE_GIVING_UP};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublishId(pub u64);

/// Names one `subscribe` or `unsubscribe` call in the events that report on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Disconnected,
    /// CONNECT sent, waiting for CONNACK.
    Connecting,
    Connected,
}

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
    fn reason_code(&self) -> ReasonCode {
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

/// Filters and their QoS, sorted by filter: a sorted Vec rather than a BTreeMap, since a client
/// has a few and BTreeMap's code cost the release wasm 2.6 KB gzip.
#[derive(Default)]
struct Granted(Vec<(String, QoS)>);

impl Granted {
    fn insert(&mut self, filter: &str, qos: QoS) {
        match self.find(filter) {
            Ok(at) => self.0[at].1 = qos,
            Err(at) => self.0.insert(at, (filter.to_string(), qos)),
        }
    }

    fn remove(&mut self, filter: &str) {
        if let Ok(at) = self.find(filter) {
            self.0.remove(at);
        }
    }

    fn find(&self, filter: &str) -> Result<usize, usize> {
        self.0
            .binary_search_by(|(known, _)| known.as_str().cmp(filter))
    }
}

/// A SUBSCRIBE or UNSUBSCRIBE awaiting its acknowledgement.
struct Request {
    id: RequestId,
    packet: Packet,
}

/// What the broker's CONNACK allows; MQTT 3.1.1 brokers announce none of it.
struct BrokerLimits {
    receive_maximum: u16,
    max_packet_size: usize,
    max_qos: QoS,
    retain_available: bool,
}

/// The largest packet MQTT can frame (a remaining length of 268,435,455 bytes).
const PROTOCOL_MAX_PACKET_SIZE: usize = 268_435_455 + 5;

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

    /// The filters the broker granted, with the QoS asked for.
    pub fn subscriptions(&self) -> impl Iterator<Item = (&str, QoS)> {
        (self.subscriptions.0.iter()).map(|(filter, qos)| (filter.as_str(), *qos))
    }

    /// Starts the MQTT handshake on a transport that has just opened.
    pub fn connect(&mut self, now: Instant) {
        let options = &self.options;
        let mut connect = v5::Connect::new(options.client_id.clone());
        connect.protocol = match options.version {
            Version::V3_1_1 => mqttbytes::Protocol::V4,
            Version::V5 => mqttbytes::Protocol::V5,
        };
        connect.keep_alive = options.keep_alive_secs;
        // A 5.0 session with an expiry outlives its link: reconnects resume it, whatever the
        // first CONNECT asked.
        let resumable = options.version == Version::V5 && options.session_expiry_secs > 0;
        connect.clean_session = options.clean_start && !(resumable && self.has_connected);
        if let Some(credentials) = &options.credentials {
            connect.set_login(credentials.username.clone(), credentials.password.clone());
        }
        connect.last_will = options.will.as_ref().map(|will| v5::LastWill {
            topic: will.topic.clone(),
            message: will.payload.clone(),
            qos: will.qos,
            retain: will.retain,
            properties: None,
        });
        if options.version == Version::V5 {
            connect.properties = Some(v5::ConnectProperties {
                session_expiry_interval: (options.session_expiry_secs > 0)
                    .then_some(options.session_expiry_secs),
                receive_maximum: None,
                max_packet_size: u32::try_from(options.max_packet_size).ok(),
                topic_alias_max: None,
                request_response_info: None,
                request_problem_info: None,
                user_properties: Vec::new(),
                authentication_method: None,
                authentication_data: None,
            });
        }
        self.decoder.clear();
        self.clear_transmit();
        self.limits = BrokerLimits::assumed(&self.options);
        self.keep_alive = Duration::from_secs(u64::from(self.options.keep_alive_secs));
        self.ping_sent_at = None;
        self.connack_deadline = Some(now + self.options.response_timeout);
        self.state = State::Connecting;
        self.send(&Packet::Connect(connect), now);
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

    /// What the broker's CONNACK forbids: a size, a QoS, retain.
    fn check_limits(&self, publish: &v5::Publish) -> Result<(), PublishError> {
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

    pub fn subscribe(
        &mut self,
        filters: Vec<(String, QoS)>,
        now: Instant,
    ) -> Result<RequestId, SubscribeError> {
        if filters.is_empty() {
            return Err(SubscribeError::NoFilters);
        }
        let mut packet = v5::Subscribe::empty_subscribe();
        for (filter, qos) in filters {
            let filter = valid_filter(filter)?;
            packet.filters.push(v5::SubscribeFilter::new(filter, qos));
        }
        Ok(self.request(Packet::Subscribe(packet), now))
    }

    pub fn unsubscribe(
        &mut self,
        filters: Vec<String>,
        now: Instant,
    ) -> Result<RequestId, SubscribeError> {
        if filters.is_empty() {
            return Err(SubscribeError::NoFilters);
        }
        let filters = filters
            .into_iter()
            .map(valid_filter)
            .collect::<Result<Vec<_>, _>>()?;
        let packet = v5::Unsubscribe {
            pkid: 0,
            filters,
            properties: None,
        };
        Ok(self.request(Packet::Unsubscribe(packet), now))
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

    fn handle_connack(&mut self, connack: ConnAck, now: Instant) {
        self.connack_deadline = None;
        if connack.code != ConnectReturnCode::Success {
            self.end(DisconnectReason::Refused(ReasonCode(connack.code as u8)));
            return;
        }
        if let Some(properties) = &connack.properties {
            let limits = &mut self.limits;
            if let Some(receive_maximum) = properties.receive_max {
                limits.receive_maximum = receive_maximum.max(1);
            }
            if let Some(max) = properties.max_packet_size {
                limits.max_packet_size = max as usize;
            }
            if let Some(max_qos) = properties.max_qos {
                limits.max_qos = mqttbytes::qos(max_qos).unwrap_or(QoS::AtMostOnce);
            }
            if let Some(retain) = properties.retain_available {
                limits.retain_available = retain == 1;
            }
            if let Some(keep_alive) = properties.server_keep_alive {
                self.keep_alive = Duration::from_secs(u64::from(keep_alive));
            }
            if let Some(client_id) = &properties.assigned_client_identifier {
                self.options.client_id = client_id.clone();
            }
        }
        self.state = State::Connected;
        self.has_connected = true;
        self.events.push_back(Event::Connected {
            session_present: connack.session_present,
        });
        if !connack.session_present {
            // The broker has no record of what was half done. A QoS 2 message it answered
            // with PUBREC is its own (section 4.3.3) and is never sent again; the rest start
            // afresh below.
            self.incoming_qos2.clear();
            for id in self.outgoing.take_released() {
                self.events.push_back(Event::Published { id });
            }
            self.subscribe_again();
        }
        self.resend_unacknowledged(connack.session_present, now);
        self.send_waiting(now);
    }

    /// After a reconnect: PUBLISH again (with DUP when the broker kept the session) or PUBREL
    /// again, in the order first sent; then unanswered SUBSCRIBE and UNSUBSCRIBE.
    fn resend_unacknowledged(&mut self, session_present: bool, now: Instant) {
        for packet in self.outgoing.resend(session_present, now) {
            self.send(&packet, now);
        }
        let mut pkids: Vec<u16> = self.requests.keys().copied().collect();
        pkids.sort_unstable();
        for pkid in pkids {
            self.send_request(pkid, now);
        }
    }

    /// Asks again for every granted filter, in one SUBSCRIBE that `resend_unacknowledged`
    /// sends with the other requests.
    fn subscribe_again(&mut self) {
        if self.subscriptions.0.is_empty() {
            return;
        }
        let mut packet = v5::Subscribe::empty_subscribe();
        for (filter, qos) in &self.subscriptions.0 {
            packet
                .filters
                .push(v5::SubscribeFilter::new(filter.clone(), *qos));
        }
        self.store_request(Packet::Subscribe(packet));
    }

    fn handle_incoming_publish(&mut self, publish: v5::Publish, now: Instant) {
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

    fn handle_suback(&mut self, suback: v5::SubAck) {
        let Some(Request {
            id,
            packet: Packet::Subscribe(packet),
        }) = self.requests.remove(&suback.pkid)
        else {
            return;
        };
        let mut results = Vec::with_capacity(packet.filters.len());
        for (index, filter) in packet.filters.into_iter().enumerate() {
            let outcome = (suback.return_codes.get(index))
                .map_or(Err(ReasonCode(0x80)), |code| granted_qos(*code));
            match outcome {
                Ok(_) => self.subscriptions.insert(&filter.path, filter.qos),
                Err(_) => self.subscriptions.remove(&filter.path),
            };
            results.push(SubscribeResult {
                filter: filter.path,
                outcome,
            });
        }
        self.events.push_back(Event::Subscribed { id, results });
    }

    fn handle_unsuback(&mut self, unsuback: v5::UnsubAck) {
        let Some(Request {
            id,
            packet: Packet::Unsubscribe(packet),
        }) = self.requests.remove(&unsuback.pkid)
        else {
            return;
        };
        for filter in &packet.filters {
            self.subscriptions.remove(filter);
        }
        self.events.push_back(Event::Unsubscribed {
            id,
            filters: packet.filters,
        });
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

    /// Sends a SUBSCRIBE or UNSUBSCRIBE now, or after the next CONNACK while the link is down.
    fn request(&mut self, packet: Packet, now: Instant) -> RequestId {
        let (id, pkid) = self.store_request(packet);
        if self.state == State::Connected {
            self.send_request(pkid, now);
        }
        id
    }

    /// Gives a request its packet id and keeps it until its acknowledgement.
    fn store_request(&mut self, mut packet: Packet) -> (RequestId, u16) {
        let pkid = self.allocate_packet_id();
        match &mut packet {
            Packet::Subscribe(subscribe) => subscribe.pkid = pkid,
            Packet::Unsubscribe(unsubscribe) => unsubscribe.pkid = pkid,
            _ => {}
        }
        let id = RequestId(self.next_request_id);
        self.next_request_id += 1;
        self.requests.insert(pkid, Request { id, packet });
        (id, pkid)
    }

    /// The PUBLISH's size on the wire, computed without encoding it (this runs per message).
    fn encoded_publish_size(&self, publish: &v5::Publish) -> usize {
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

    fn send(&mut self, packet: &Packet, now: Instant) {
        let start = self.transmit.len();
        let encoded = codec::encode(packet, self.options.version, &mut self.transmit);
        self.sent(start, encoded, now);
    }

    /// Sends the stored request `pkid` from where it is kept (no copy of the packet, which
    /// would also make the app ship a clone of every packet kind).
    fn send_request(&mut self, pkid: u16, now: Instant) {
        if let Some(request) = self.requests.get(&pkid) {
            let start = self.transmit.len();
            let encoded = codec::encode(&request.packet, self.options.version, &mut self.transmit);
            self.sent(start, encoded, now);
        }
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

impl BrokerLimits {
    fn assumed(options: &ConnectOptions) -> Self {
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

fn valid_filter(filter: String) -> Result<String, SubscribeError> {
    match TopicFilter::new(filter.as_str()) {
        Ok(_) => Ok(filter),
        Err(error) => Err(SubscribeError::InvalidFilter { filter, error }),
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

/// Tells a retransmitted QoS 2 message (same topic and payload under the same id) from a new
/// one. A 64-bit hash: a collision between two messages under one open id is not a concern.
fn fingerprint(publish: &v5::Publish) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    publish.topic.hash(&mut hasher);
    publish.payload.hash(&mut hasher);
    hasher.finish()
}

fn remaining_length_bytes(length: usize) -> usize {
    match length {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests;
