//! Bytes to packets and back, over `mqttbytes`, for MQTT 3.1.1 and 5.0 alike.
//!
//! The rest of the engine sees one packet type, mqttbytes' MQTT 5.0 [`Packet`], whichever
//! version is on the wire: 5.0 is a superset of 3.1.1, and 3.1.1 packets are converted at this
//! boundary (their return codes mapped onto 5.0's reason codes, properties left empty).
//!
//! mqttbytes is guarded here where it goes wrong (see the tests at the end):
//! - it accepts reserved packet types and wrong fixed-header flags, which the spec calls
//!   malformed: they are checked before it reads;
//! - a 5.0 DISCONNECT with no reason code (remaining length 0, meaning "normal") or with a
//!   reason code and no property length (remaining length 1) is an error there, and the
//!   latter is what its own writer produces: both are read here;
//! - a malformed packet can come back as `InsufficientBytes`, which would make a stream reader
//!   wait forever for bytes that never come: past framing, every error is "malformed";
//! - `Connect::write` patches its flags byte at an offset from the start of the buffer, so it
//!   corrupts a buffer that already holds bytes: CONNECT is written into a buffer of its own;
//! - a broker that speaks only 3.1.1 answers a 5.0 CONNECT with a 3.1.1 CONNACK (return code
//!   1, unacceptable protocol version), which mqttbytes' 5.0 reader calls malformed: it is read
//!   as the refusal it is;
//! - a 5.0 CONNACK without properties is written without its property length, which its own
//!   reader then refuses: the tests' scripted broker writes an empty property list instead.

use super::options::Version;
use super::reason::{from_v3_connect_return, ReasonCode};
use bytes::{Bytes, BytesMut};
use mqttbytes::v4;
pub use mqttbytes::v5::Packet;
use mqttbytes::v5::{self, ConnectReturnCode, SubscribeReasonCode};
use mqttbytes::{FixedHeader, PacketType, QoS};
use std::fmt;

/// Why bytes from the broker could not be read as MQTT. The stream cannot be resynchronised
/// after any of these: the link must close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    TooLarge {
        size: usize,
        max: usize,
    },
    Malformed(String),
    /// A packet only a client sends (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ), by name: it is
    /// refused whatever it holds, so it is not read.
    FromClient(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, max } => write!(
                f,
                "the broker sent a packet of {size} bytes, over this client's limit of {max}"
            ),
            Self::Malformed(what) => write!(f, "the broker sent a malformed packet: {what}"),
            Self::FromClient(name) => {
                write!(f, "the broker sent {name}, which only a client may send")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a packet could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the packet could not be encoded: {}", self.0)
    }
}

impl std::error::Error for EncodeError {}

/// Reassembles packets from the chunks a transport delivers: a WebSocket message may hold part
/// of a packet, one packet, or many.
pub struct StreamDecoder {
    version: Version,
    max_packet_size: usize,
    buffer: BytesMut,
}

impl StreamDecoder {
    pub fn new(version: Version, max_packet_size: usize) -> Self {
        Self {
            version,
            max_packet_size,
            buffer: BytesMut::new(),
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes received that do not yet make a whole packet.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    pub fn clear(&mut self) {
        self.buffer.clear();
    }

    /// The next whole packet from the broker, `None` until enough bytes have come. A packet
    /// only a client sends is [`DecodeError::FromClient`].
    pub fn next_packet(&mut self) -> Result<Option<Packet>, DecodeError> {
        self.next_with(read_from_broker)
    }

    /// The next whole packet of any kind: the unit tests' scripted broker and the fuzzer read
    /// what the session sends with it. (Unused by the app, so the app does not ship it.)
    pub fn next_any_packet(&mut self) -> Result<Option<Packet>, DecodeError> {
        self.next_with(read_any)
    }

    /// Frames the next packet and reads it with `read`.
    fn next_with(&mut self, read: FrameReader) -> Result<Option<Packet>, DecodeError> {
        let header = match mqttbytes::check(self.buffer.iter(), self.max_packet_size) {
            Ok(header) => header,
            Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
            Err(mqttbytes::Error::PayloadSizeLimitExceeded(size)) => {
                return Err(DecodeError::TooLarge {
                    size,
                    max: self.max_packet_size,
                })
            }
            Err(error) => return Err(malformed(error)),
        };
        let first_byte = self.buffer[0];
        check_fixed_header_flags(first_byte)?;
        if self.version == Version::V5 && first_byte == 0xE0 && header.frame_length() <= 3 {
            return self
                .read_short_v5_disconnect(header.frame_length())
                .map(Some);
        }
        // A 5.0 CONNACK always has a property length. One without is a 3.1.1 broker's answer
        // to a 5.0 CONNECT, most often "unacceptable protocol version" (1).
        let v3_connack = first_byte == 0x20 && header.frame_length() == 4;
        let version = if v3_connack {
            Version::V3_1_1
        } else {
            self.version
        };
        let frame = self.buffer.split_to(header.frame_length()).freeze();
        read(version, header, frame).map(Some)
    }

    /// A 5.0 DISCONNECT of remaining length 0 or 1: the reason code, when present, without
    /// properties. Both forms are valid (section 3.14.2.1 and 3.14.2.2.1); mqttbytes refuses them.
    fn read_short_v5_disconnect(&mut self, frame_length: usize) -> Result<Packet, DecodeError> {
        let frame = self.buffer.split_to(frame_length);
        let mut disconnect = v5::Disconnect::new();
        if let Some(&code) = frame.get(2) {
            disconnect.reason_code = code.try_into().map_err(malformed)?;
        }
        Ok(Packet::Disconnect(disconnect))
    }
}

/// Reads one whole frame (fixed header included) as a packet of `version`.
type FrameReader = fn(Version, FixedHeader, Bytes) -> Result<Packet, DecodeError>;

/// A packet a broker sends, read by mqttbytes' reader for its kind alone: `v5::read` and
/// `v4::read` would make the app ship the readers of a client's packets too (4.3 KB gzip,
/// CONNECT's above all).
fn read_from_broker(
    version: Version,
    header: FixedHeader,
    frame: Bytes,
) -> Result<Packet, DecodeError> {
    let kind = header.packet_type().map_err(malformed)?;
    let packet = match (version, kind) {
        (
            _,
            PacketType::Connect
            | PacketType::Subscribe
            | PacketType::Unsubscribe
            | PacketType::PingReq,
        ) => return Err(DecodeError::FromClient(type_name(kind))),
        (_, PacketType::PingResp) => Ok(Packet::PingResp),
        (Version::V3_1_1, PacketType::Disconnect) => Ok(Packet::Disconnect(v5::Disconnect::new())),
        // Only those may end with their fixed header, as mqttbytes' read has it.
        _ if frame.len() == 2 => Err(mqttbytes::Error::PayloadRequired),
        (Version::V5, PacketType::ConnAck) => v5::ConnAck::read(header, frame).map(Packet::ConnAck),
        (Version::V5, PacketType::Publish) => v5::Publish::read(header, frame).map(Packet::Publish),
        (Version::V5, PacketType::PubAck) => v5::PubAck::read(header, frame).map(Packet::PubAck),
        (Version::V5, PacketType::PubRec) => v5::PubRec::read(header, frame).map(Packet::PubRec),
        (Version::V5, PacketType::PubRel) => v5::PubRel::read(header, frame).map(Packet::PubRel),
        (Version::V5, PacketType::PubComp) => v5::PubComp::read(header, frame).map(Packet::PubComp),
        (Version::V5, PacketType::SubAck) => v5::SubAck::read(header, frame).map(Packet::SubAck),
        (Version::V5, PacketType::UnsubAck) => {
            v5::UnsubAck::read(header, frame).map(Packet::UnsubAck)
        }
        (Version::V5, PacketType::Disconnect) => {
            v5::Disconnect::read(header, frame).map(Packet::Disconnect)
        }
        (Version::V3_1_1, PacketType::ConnAck) => v4::ConnAck::read(header, frame)
            .map(v4::Packet::ConnAck)
            .map(from_v3),
        (Version::V3_1_1, PacketType::Publish) => v4::Publish::read(header, frame)
            .map(v4::Packet::Publish)
            .map(from_v3),
        (Version::V3_1_1, PacketType::PubAck) => v4::PubAck::read(header, frame)
            .map(v4::Packet::PubAck)
            .map(from_v3),
        (Version::V3_1_1, PacketType::PubRec) => v4::PubRec::read(header, frame)
            .map(v4::Packet::PubRec)
            .map(from_v3),
        (Version::V3_1_1, PacketType::PubRel) => v4::PubRel::read(header, frame)
            .map(v4::Packet::PubRel)
            .map(from_v3),
        (Version::V3_1_1, PacketType::PubComp) => v4::PubComp::read(header, frame)
            .map(v4::Packet::PubComp)
            .map(from_v3),
        (Version::V3_1_1, PacketType::SubAck) => v4::SubAck::read(header, frame)
            .map(v4::Packet::SubAck)
            .map(from_v3),
        (Version::V3_1_1, PacketType::UnsubAck) => v4::UnsubAck::read(header, frame)
            .map(v4::Packet::UnsubAck)
            .map(from_v3),
    };
    packet.map_err(malformed)
}

/// A packet of any kind, read by mqttbytes' `read`.
fn read_any(version: Version, _: FixedHeader, frame: Bytes) -> Result<Packet, DecodeError> {
    let mut frame = BytesMut::from(frame);
    let max = frame.len();
    match version {
        Version::V5 => v5::read(&mut frame, max),
        Version::V3_1_1 => v4::read(&mut frame, max).map(from_v3),
    }
    .map_err(malformed)
}

fn malformed(error: mqttbytes::Error) -> DecodeError {
    DecodeError::Malformed(in_words(error))
}

/// An mqttbytes error in words (its `Debug` names, such as `BoundaryCrossed(3)`, say little to
/// a user).
fn in_words(error: mqttbytes::Error) -> String {
    use mqttbytes::Error::*;
    match error {
        InvalidPacketType(kind) => format!("reserved packet type {kind}"),
        InvalidQoS(qos) => format!("QoS {qos} does not exist"),
        TopicNotUtf8 => "a topic or string that is not valid UTF-8".to_string(),
        PacketIdZero => "a packet identifier of 0".to_string(),
        MalformedRemainingLength => "a remaining length longer than 4 bytes".to_string(),
        InvalidConnectReturnCode(code) | InvalidReason(code) | InvalidSubscribeReasonCode(code) => {
            format!("unknown reason code 0x{code:02X}")
        }
        InvalidPropertyType(kind) => format!("unknown property 0x{kind:02X}"),
        InvalidRetainForwardRule(rule) => format!("unknown retain handling {rule}"),
        InvalidProtocolLevel(level) => format!("unknown protocol level {level}"),
        NotConnect(_) | UnexpectedConnect | InvalidProtocol => {
            "a CONNECT where none belongs, or a wrong one".to_string()
        }
        SubscriptionIdZero => "a subscription identifier of 0".to_string(),
        PayloadSizeLimitExceeded(size) => format!("a payload of {size} bytes, over the limit"),
        PayloadTooLong => "a string or payload longer than its length field allows".to_string(),
        PayloadRequired => "a packet without its required payload".to_string(),
        BoundaryCrossed(_)
        | PayloadSizeIncorrect
        | IncorrectPacketFormat
        | MalformedPacket
        | InsufficientBytes(_) => "lengths that do not match the packet's contents".to_string(),
    }
}

/// The spec fixes the low four bits of every fixed header but PUBLISH's (section 2.2.2).
fn check_fixed_header_flags(first_byte: u8) -> Result<(), DecodeError> {
    let (kind, flags) = (first_byte >> 4, first_byte & 0x0F);
    let valid = match kind {
        // PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0b0010.
        6 | 8 | 10 => flags == 0b0010,
        // PUBLISH: QoS 3 does not exist, and a QoS 0 message is never a duplicate.
        3 => {
            let qos = (flags >> 1) & 0b11;
            qos != 3 && !(qos == 0 && flags & 0b1000 != 0)
        }
        1..=14 => flags == 0,
        _ => {
            return Err(DecodeError::Malformed(format!(
                "reserved packet type {kind}"
            )))
        }
    };
    if valid {
        Ok(())
    } else {
        Err(DecodeError::Malformed(format!(
            "invalid flags 0b{flags:04b} in the header of a packet of type {kind}"
        )))
    }
}

/// Appends `packet` to `out` in the wire format of `version`: only packets a client sends. A
/// broker's own (CONNACK, SUBACK, UNSUBACK, PINGRESP) are refused, so that the app does not ship
/// their writers; the unit tests' scripted broker writes them with `encode_as_broker`.
pub fn encode(packet: &Packet, version: Version, out: &mut BytesMut) -> Result<(), EncodeError> {
    let written = match version {
        Version::V5 => encode_v5(packet, out),
        Version::V3_1_1 => encode_v3(packet, out),
    };
    let Some(written) = written else {
        return Err(EncodeError("a packet only a broker sends".to_string()));
    };
    written
        .map(drop)
        .map_err(|error| EncodeError(in_words(error)))
}

/// A client's packet in 5.0; `None` for a broker's.
fn encode_v5(packet: &Packet, out: &mut BytesMut) -> Option<Result<usize, mqttbytes::Error>> {
    Some(match packet {
        Packet::Connect(connect) => write_connect(|buffer| connect.write(buffer), out),
        Packet::Publish(publish) => publish.write(out),
        Packet::PubAck(ack) => ack.write(out),
        Packet::PubRec(ack) => ack.write(out),
        Packet::PubRel(ack) => ack.write(out),
        Packet::PubComp(ack) => ack.write(out),
        Packet::Subscribe(subscribe) => subscribe.write(out),
        Packet::Unsubscribe(unsubscribe) => unsubscribe.write(out),
        Packet::PingReq => v5::PingReq.write(out),
        Packet::Disconnect(disconnect) => disconnect.write(out),
        Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
            return None
        }
    })
}

/// A client's packet in 3.1.1; `None` for a broker's.
fn encode_v3(packet: &Packet, out: &mut BytesMut) -> Option<Result<usize, mqttbytes::Error>> {
    Some(match packet {
        Packet::Connect(connect) => {
            let connect = v4::Connect {
                protocol: mqttbytes::Protocol::V4,
                keep_alive: connect.keep_alive,
                client_id: connect.client_id.clone(),
                clean_session: connect.clean_session,
                last_will: connect.last_will.as_ref().map(|will| v4::LastWill {
                    topic: will.topic.clone(),
                    message: will.message.clone(),
                    qos: will.qos,
                    retain: will.retain,
                }),
                login: connect.login.as_ref().map(|login| v4::Login {
                    username: login.username.clone(),
                    password: login.password.clone(),
                }),
            };
            write_connect(|buffer| connect.write(buffer), out)
        }
        Packet::Publish(publish) => v4::Publish {
            dup: publish.dup,
            qos: publish.qos,
            retain: publish.retain,
            topic: publish.topic.clone(),
            pkid: publish.pkid,
            payload: publish.payload.clone(),
        }
        .write(out),
        Packet::PubAck(ack) => v4::PubAck::new(ack.pkid).write(out),
        Packet::PubRec(ack) => v4::PubRec::new(ack.pkid).write(out),
        Packet::PubRel(ack) => v4::PubRel::new(ack.pkid).write(out),
        Packet::PubComp(ack) => v4::PubComp::new(ack.pkid).write(out),
        Packet::Subscribe(subscribe) => v4::Subscribe {
            pkid: subscribe.pkid,
            filters: subscribe
                .filters
                .iter()
                .map(|filter| v4::SubscribeFilter::new(filter.path.clone(), filter.qos))
                .collect(),
        }
        .write(out),
        Packet::Unsubscribe(unsubscribe) => v4::Unsubscribe {
            pkid: unsubscribe.pkid,
            topics: unsubscribe.filters.clone(),
        }
        .write(out),
        Packet::PingReq => v4::PingReq.write(out),
        Packet::Disconnect(_) => v4::Disconnect.write(out),
        Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp => {
            return None
        }
    })
}

/// [`encode`] for the unit tests' scripted broker: a broker's packets too.
#[cfg(test)]
pub(crate) fn encode_as_broker(
    packet: &Packet,
    version: Version,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let written = match (packet, version) {
        // mqttbytes omits the property length of a CONNACK without properties, which its own
        // reader (rightly) refuses.
        (Packet::ConnAck(connack), Version::V5) if connack.properties.is_none() => v5::ConnAck {
            properties: Some(v5::ConnAckProperties::new()),
            ..connack.clone()
        }
        .write(out),
        (Packet::ConnAck(connack), Version::V5) => connack.write(out),
        (Packet::SubAck(suback), Version::V5) => suback.write(out),
        (Packet::UnsubAck(unsuback), Version::V5) => unsuback.write(out),
        (Packet::PingResp, Version::V5) => v5::PingResp.write(out),
        (Packet::ConnAck(connack), Version::V3_1_1) => v3_connect_return(connack.code)
            .and_then(|code| v4::ConnAck::new(code, connack.session_present).write(out)),
        (Packet::SubAck(suback), Version::V3_1_1) => v4::SubAck::new(
            suback.pkid,
            suback
                .return_codes
                .iter()
                .map(|code| match granted_qos(*code) {
                    Ok(qos) => v4::SubscribeReasonCode::Success(qos),
                    Err(_) => v4::SubscribeReasonCode::Failure,
                })
                .collect(),
        )
        .write(out),
        (Packet::UnsubAck(unsuback), Version::V3_1_1) => {
            v4::UnsubAck::new(unsuback.pkid).write(out)
        }
        (Packet::PingResp, Version::V3_1_1) => v4::PingResp.write(out),
        _ => return encode(packet, version, out),
    };
    written
        .map(drop)
        .map_err(|error| EncodeError(in_words(error)))
}

/// Writes a CONNECT through a scratch buffer; see the module notes.
fn write_connect(
    write: impl FnOnce(&mut BytesMut) -> Result<usize, mqttbytes::Error>,
    out: &mut BytesMut,
) -> Result<usize, mqttbytes::Error> {
    let mut scratch = BytesMut::new();
    write(&mut scratch)?;
    out.extend_from_slice(&scratch);
    Ok(scratch.len())
}

/// The QoS a SUBACK granted, or the reason the subscription was refused.
pub fn granted_qos(code: SubscribeReasonCode) -> Result<QoS, ReasonCode> {
    match code {
        SubscribeReasonCode::QoS0 => Ok(QoS::AtMostOnce),
        SubscribeReasonCode::QoS1 => Ok(QoS::AtLeastOnce),
        SubscribeReasonCode::QoS2 => Ok(QoS::ExactlyOnce),
        refused => Err(ReasonCode(refused as u8)),
    }
}

#[cfg(test)]
fn v3_connect_return(code: ConnectReturnCode) -> Result<v4::ConnectReturnCode, mqttbytes::Error> {
    use v4::ConnectReturnCode as V3;
    Ok(match code {
        ConnectReturnCode::Success => V3::Success,
        ConnectReturnCode::UnsupportedProtocolVersion => V3::RefusedProtocolVersion,
        ConnectReturnCode::ClientIdentifierNotValid => V3::BadClientId,
        ConnectReturnCode::ServerUnavailable => V3::ServiceUnavailable,
        ConnectReturnCode::BadUserNamePassword => V3::BadUserNamePassword,
        ConnectReturnCode::NotAuthorized => V3::NotAuthorized,
        other => return Err(mqttbytes::Error::InvalidConnectReturnCode(other as u8)),
    })
}

fn v5_connect_return(code: v4::ConnectReturnCode) -> ConnectReturnCode {
    use ConnectReturnCode as V5;
    match from_v3_connect_return(code).0 {
        0x00 => V5::Success,
        0x84 => V5::UnsupportedProtocolVersion,
        0x85 => V5::ClientIdentifierNotValid,
        0x88 => V5::ServerUnavailable,
        0x86 => V5::BadUserNamePassword,
        _ => V5::NotAuthorized,
    }
}

/// Lifts a 3.1.1 packet into the one packet type.
fn from_v3(packet: v4::Packet) -> Packet {
    match packet {
        v4::Packet::Connect(connect) => Packet::Connect(v5::Connect {
            protocol: mqttbytes::Protocol::V4,
            keep_alive: connect.keep_alive,
            client_id: connect.client_id,
            clean_session: connect.clean_session,
            last_will: connect.last_will.map(|will| v5::LastWill {
                topic: will.topic,
                message: will.message,
                qos: will.qos,
                retain: will.retain,
                properties: None,
            }),
            login: connect.login.map(|login| v5::Login {
                username: login.username,
                password: login.password,
            }),
            properties: None,
        }),
        v4::Packet::ConnAck(connack) => Packet::ConnAck(v5::ConnAck::new(
            v5_connect_return(connack.code),
            connack.session_present,
        )),
        v4::Packet::Publish(publish) => Packet::Publish(v5::Publish {
            dup: publish.dup,
            qos: publish.qos,
            retain: publish.retain,
            topic: publish.topic,
            pkid: publish.pkid,
            properties: None,
            payload: publish.payload,
        }),
        v4::Packet::PubAck(ack) => Packet::PubAck(v5::PubAck::new(ack.pkid)),
        v4::Packet::PubRec(ack) => Packet::PubRec(v5::PubRec::new(ack.pkid)),
        v4::Packet::PubRel(ack) => Packet::PubRel(v5::PubRel::new(ack.pkid)),
        v4::Packet::PubComp(ack) => Packet::PubComp(v5::PubComp::new(ack.pkid)),
        v4::Packet::Subscribe(subscribe) => Packet::Subscribe(v5::Subscribe {
            pkid: subscribe.pkid,
            filters: subscribe
                .filters
                .into_iter()
                .map(|filter| v5::SubscribeFilter::new(filter.path, filter.qos))
                .collect(),
            properties: None,
        }),
        v4::Packet::SubAck(suback) => Packet::SubAck(v5::SubAck::new(
            suback.pkid,
            suback
                .return_codes
                .into_iter()
                .map(|code| match code {
                    v4::SubscribeReasonCode::Success(QoS::AtMostOnce) => SubscribeReasonCode::QoS0,
                    v4::SubscribeReasonCode::Success(QoS::AtLeastOnce) => SubscribeReasonCode::QoS1,
                    v4::SubscribeReasonCode::Success(QoS::ExactlyOnce) => SubscribeReasonCode::QoS2,
                    v4::SubscribeReasonCode::Failure => SubscribeReasonCode::Unspecified,
                })
                .collect(),
        )),
        v4::Packet::Unsubscribe(unsubscribe) => Packet::Unsubscribe(v5::Unsubscribe {
            pkid: unsubscribe.pkid,
            filters: unsubscribe.topics,
            properties: None,
        }),
        v4::Packet::UnsubAck(unsuback) => Packet::UnsubAck(v5::UnsubAck::new(unsuback.pkid)),
        v4::Packet::PingReq => Packet::PingReq,
        v4::Packet::PingResp => Packet::PingResp,
        v4::Packet::Disconnect => Packet::Disconnect(v5::Disconnect::new()),
    }
}

/// The packet type's name, for messages.
pub fn packet_name(packet: &Packet) -> &'static str {
    let kind = match packet {
        Packet::Connect(_) => PacketType::Connect,
        Packet::ConnAck(_) => PacketType::ConnAck,
        Packet::Publish(_) => PacketType::Publish,
        Packet::PubAck(_) => PacketType::PubAck,
        Packet::PubRec(_) => PacketType::PubRec,
        Packet::PubRel(_) => PacketType::PubRel,
        Packet::PubComp(_) => PacketType::PubComp,
        Packet::Subscribe(_) => PacketType::Subscribe,
        Packet::SubAck(_) => PacketType::SubAck,
        Packet::Unsubscribe(_) => PacketType::Unsubscribe,
        Packet::UnsubAck(_) => PacketType::UnsubAck,
        Packet::PingReq => PacketType::PingReq,
        Packet::PingResp => PacketType::PingResp,
        Packet::Disconnect(_) => PacketType::Disconnect,
    };
    type_name(kind)
}

/// The name of a packet type, for messages.
fn type_name(kind: PacketType) -> &'static str {
    [
        "CONNECT",
        "CONNACK",
        "PUBLISH",
        "PUBACK",
        "PUBREC",
        "PUBREL",
        "PUBCOMP",
        "SUBSCRIBE",
        "SUBACK",
        "UNSUBSCRIBE",
        "UNSUBACK",
        "PINGREQ",
        "PINGRESP",
        "DISCONNECT",
    ][kind as usize - 1]
}

#[cfg(test)]
mod tests;
