//! The session as a script: packets a broker would send go in, the packets and events that come
//! out are checked. No sockets, no sleeping: time is a number.

use super::outgoing::CLOSE_BLAME_WINDOW;
use super::*;
use crate::Credentials;
use mqttbytes::v5::{ConnAck, ConnectReturnCode};

/// The broker's side of the conversation, speaking `version`.
struct Broker {
    version: Version,
}

impl Broker {
    fn bytes(&self, packets: &[Packet]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for packet in packets {
            codec::encode_as_broker(packet, self.version, &mut out).expect("encodes");
        }
        out.to_vec()
    }

    /// Everything the session wants to send, as packets.
    fn received(&self, session: &mut Session) -> Vec<Packet> {
        let mut decoder = StreamDecoder::new(self.version, 1 << 20);
        while let Some(bytes) = session.poll_transmit() {
            decoder.push(&bytes);
        }
        let mut packets = Vec::new();
        while let Some(packet) = decoder
            .next_any_packet()
            .expect("the session sends valid packets")
        {
            packets.push(packet);
        }
        assert_eq!(decoder.buffered(), 0, "no partial packet");
        packets
    }

    fn connack(&self, session: &mut Session, connack: ConnAck, now: Instant) {
        session.handle_bytes(&self.bytes(&[Packet::ConnAck(connack)]), now);
    }
}

/// The instant `ms` milliseconds into the test's clock.
fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn events(session: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| session.poll_event()).collect()
}

/// The reason, in words, of the one event out: the link's end.
fn the_disconnect_reason(session: &mut Session) -> String {
    match &events(session)[..] {
        [Event::Disconnected { reason }] => reason.to_string(),
        other => panic!("expected the link's end, got {other:?}"),
    }
}

fn options(version: Version) -> ConnectOptions {
    let mut options = ConnectOptions::new("test-client");
    options.version = version;
    options.keep_alive_secs = 10;
    options
}

/// A session past CONNACK, its CONNECT and Connected event consumed.
fn connected(version: Version, connack: ConnAck) -> (Session, Broker) {
    let broker = Broker { version };
    let mut session = Session::new(options(version)).unwrap();
    session.connect(at(0));
    broker.received(&mut session);
    broker.connack(&mut session, connack, at(1));
    assert_eq!(session.state(), State::Connected);
    events(&mut session);
    (session, broker)
}

fn accepted() -> ConnAck {
    ConnAck::new(ConnectReturnCode::Success, false)
}

fn both_versions() -> [Version; 2] {
    [Version::V3_1_1, Version::V5]
}

fn publish_packet(topic: &str, qos: QoS, pkid: u16, payload: &str) -> v5::Publish {
    let mut publish = v5::Publish::new(topic, qos, payload);
    publish.pkid = pkid;
    publish
}

#[test]
fn connect_sends_the_options_and_connack_connects() {
    for version in both_versions() {
        let broker = Broker { version };
        let mut options = options(version);
        options.credentials = Some(Credentials {
            username: "alice".into(),
            password: "secret1".into(),
        });
        options.clean_start = false;
        options.session_expiry_secs = 300;
        options.will = Some(crate::Will {
            topic: "clients/test-client".into(),
            payload: Bytes::from_static(b"gone"),
            qos: QoS::AtLeastOnce,
            retain: true,
        });
        let mut session = Session::new(options).unwrap();
        session.connect(at(0));
        assert_eq!(session.state(), State::Connecting);
        let [Packet::Connect(connect)] = &broker.received(&mut session)[..] else {
            panic!("one CONNECT")
        };
        assert_eq!(connect.client_id, "test-client");
        assert_eq!(connect.keep_alive, 10);
        assert!(!connect.clean_session);
        assert_eq!(connect.login.as_ref().unwrap().password, "secret1");
        let will = connect.last_will.as_ref().unwrap();
        assert_eq!(
            (will.topic.as_str(), will.qos, will.retain),
            ("clients/test-client", QoS::AtLeastOnce, true)
        );
        if version == Version::V5 {
            let properties = connect.properties.as_ref().unwrap();
            assert_eq!(properties.session_expiry_interval, Some(300));
            assert_eq!(properties.max_packet_size, Some(4 * 1024 * 1024));
        }
        broker.connack(
            &mut session,
            ConnAck::new(ConnectReturnCode::Success, true),
            at(5),
        );
        assert_eq!(
            events(&mut session),
            vec![Event::Connected {
                session_present: true
            }]
        );
    }
}

#[test]
fn a_refused_connack_reads_as_words() {
    for (version, code, text) in [
        (
            Version::V3_1_1,
            ConnectReturnCode::BadUserNamePassword,
            "the broker refused the connection: bad user name or password (reason code 0x86); check the user name and password",
        ),
        (
            Version::V3_1_1,
            ConnectReturnCode::NotAuthorized,
            "the broker refused the connection: not authorized (reason code 0x87); check the user name and password",
        ),
        (
            Version::V5,
            ConnectReturnCode::Banned,
            "the broker refused the connection: this client is banned (reason code 0x8A)",
        ),
    ] {
        let broker = Broker { version };
        let mut session = Session::new(options(version)).unwrap();
        session.connect(at(0));
        broker.received(&mut session);
        broker.connack(&mut session, ConnAck::new(code, false), at(3));
        assert_eq!(the_disconnect_reason(&mut session), text);
        assert_eq!(session.state(), State::Disconnected);
        assert_eq!(session.poll_timeout(), None);
    }
}

#[test]
fn no_connack_in_time_says_the_server_may_not_be_mqtt() {
    let mut session = Session::new(options(Version::V5)).unwrap();
    session.connect(at(1_000));
    assert_eq!(session.poll_timeout(), Some(at(11_000)));
    session.handle_timeout(at(10_999));
    assert!(events(&mut session).is_empty());
    session.handle_timeout(at(11_000));
    assert_eq!(
        the_disconnect_reason(&mut session),
        "no answer to CONNECT after 10.0 s: is this an MQTT broker?"
    );
}

#[test]
fn keepalive_pings_when_idle_and_a_missing_pingresp_means_a_dead_link() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        // CONNECT went out at 0: the first ping is due at 10 s.
        assert_eq!(session.poll_timeout(), Some(at(10_000)));
        session.handle_timeout(at(10_000));
        assert_eq!(broker.received(&mut session), vec![Packet::PingReq]);
        assert_eq!(session.poll_timeout(), Some(at(20_000)));
        session.handle_bytes(&broker.bytes(&[Packet::PingResp]), at(10_050));
        assert_eq!(
            session.poll_timeout(),
            Some(at(20_000)),
            "next ping 10 s after the last"
        );

        // Traffic we send postpones the ping.
        session
            .publish(Message::new("t", "x", QoS::AtMostOnce), at(15_000))
            .unwrap();
        broker.received(&mut session);
        assert_eq!(session.poll_timeout(), Some(at(25_000)));
        session.handle_timeout(at(25_000));
        assert_eq!(broker.received(&mut session), vec![Packet::PingReq]);
        events(&mut session);

        // No PINGRESP: dead after the response timeout.
        session.handle_timeout(at(34_999));
        assert!(events(&mut session).is_empty());
        session.handle_timeout(at(35_000));
        assert_eq!(
            the_disconnect_reason(&mut session),
            "the connection is dead: no answer to a ping after 10.0 s"
        );
    }
}

#[test]
fn server_keep_alive_overrides_ours() {
    let mut connack = accepted();
    let mut properties = v5::ConnAckProperties::new();
    properties.server_keep_alive = Some(3);
    connack.properties = Some(properties);
    let (session, _) = connected(Version::V5, connack);
    assert_eq!(session.poll_timeout(), Some(at(3_000)));
}

#[test]
fn qos0_publish_goes_out_at_once() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let id = session
            .publish(
                Message::new("python/mqtt", "messages: 0", QoS::AtMostOnce),
                at(5),
            )
            .unwrap();
        assert_eq!(
            broker.received(&mut session),
            vec![Packet::Publish(publish_packet(
                "python/mqtt",
                QoS::AtMostOnce,
                0,
                "messages: 0"
            ))]
        );
        assert_eq!(events(&mut session), vec![Event::Published { id }]);
    }
}

#[test]
fn qos1_publish_completes_on_puback() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let id = session
            .publish(Message::new("a", "1", QoS::AtLeastOnce), at(5))
            .unwrap();
        let [Packet::Publish(sent)] = &broker.received(&mut session)[..] else {
            panic!()
        };
        assert_ne!(sent.pkid, 0);
        assert!(events(&mut session).is_empty(), "not done before PUBACK");
        assert_eq!(session.unacknowledged(), 1);
        session.handle_bytes(
            &broker.bytes(&[Packet::PubAck(v5::PubAck::new(sent.pkid))]),
            at(6),
        );
        assert_eq!(events(&mut session), vec![Event::Published { id }]);
        assert_eq!(session.unacknowledged(), 0);
        // A repeated PUBACK is ignored.
        session.handle_bytes(
            &broker.bytes(&[Packet::PubAck(v5::PubAck::new(sent.pkid))]),
            at(7),
        );
        assert!(events(&mut session).is_empty());
    }
}

#[test]
fn qos2_publish_goes_through_pubrec_pubrel_pubcomp() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let id = session
            .publish(Message::new("a", "2", QoS::ExactlyOnce), at(5))
            .unwrap();
        let [Packet::Publish(sent)] = &broker.received(&mut session)[..] else {
            panic!()
        };
        session.handle_bytes(
            &broker.bytes(&[Packet::PubRec(v5::PubRec::new(sent.pkid))]),
            at(6),
        );
        assert_eq!(
            broker.received(&mut session),
            vec![Packet::PubRel(v5::PubRel::new(sent.pkid))]
        );
        assert_eq!(events(&mut session), vec![Event::PublishReceived { id }]);
        // A PUBREC repeated (the broker's answer to a resent PUBLISH) is said once.
        session.handle_bytes(
            &broker.bytes(&[Packet::PubRec(v5::PubRec::new(sent.pkid))]),
            at(6),
        );
        assert!(events(&mut session).is_empty());
        assert_eq!(
            broker.received(&mut session),
            vec![Packet::PubRel(v5::PubRel::new(sent.pkid))]
        );
        session.handle_bytes(
            &broker.bytes(&[Packet::PubComp(v5::PubComp::new(sent.pkid))]),
            at(7),
        );
        assert_eq!(events(&mut session), vec![Event::Published { id }]);
    }
}

#[test]
fn a_v5_broker_refusing_a_publish_is_reported() {
    let (mut session, broker) = connected(Version::V5, accepted());
    let id = session
        .publish(Message::new("a", "1", QoS::AtLeastOnce), at(5))
        .unwrap();
    let [Packet::Publish(sent)] = &broker.received(&mut session)[..] else {
        panic!()
    };
    let mut puback = v5::PubAck::new(sent.pkid);
    puback.reason = v5::PubAckReason::NotAuthorized;
    session.handle_bytes(&broker.bytes(&[Packet::PubAck(puback)]), at(6));
    assert_eq!(
        events(&mut session),
        vec![Event::PublishFailed {
            id,
            reason: ReasonCode(0x87)
        }]
    );
    // Past Mosquitto's in-flight limit, QoS 2 gets PUBREC 0x97: the exchange ends there.
    let id = session
        .publish(Message::new("a", "2", QoS::ExactlyOnce), at(7))
        .unwrap();
    let [Packet::Publish(sent)] = &broker.received(&mut session)[..] else {
        panic!()
    };
    let mut pubrec = v5::PubRec::new(sent.pkid);
    pubrec.reason = v5::PubRecReason::QuotaExceeded;
    session.handle_bytes(&broker.bytes(&[Packet::PubRec(pubrec)]), at(8));
    assert!(broker.received(&mut session).is_empty(), "no PUBREL");
    let [Event::PublishFailed { id: failed, reason }] = &events(&mut session)[..] else {
        panic!()
    };
    assert_eq!(
        (*failed, reason.to_string()),
        (id, "quota exceeded (reason code 0x97)".into())
    );
}

#[test]
fn the_window_honours_receive_maximum_and_sends_the_rest_in_order() {
    let mut connack = accepted();
    let mut properties = v5::ConnAckProperties::new();
    properties.receive_max = Some(2);
    connack.properties = Some(properties);
    let (mut session, broker) = connected(Version::V5, connack);
    let ids: Vec<PublishId> = (0..5)
        .map(|n| {
            session
                .publish(Message::new("a", format!("{n}"), QoS::AtLeastOnce), at(5))
                .unwrap()
        })
        .collect();
    let first = broker.received(&mut session);
    assert_eq!(first.len(), 2, "only Receive Maximum in flight");
    assert_eq!(session.unacknowledged(), 5);

    let mut payloads = Vec::new();
    let mut pending = first;
    while !pending.is_empty() {
        let mut acks = Vec::new();
        for packet in pending {
            let Packet::Publish(publish) = packet else {
                panic!()
            };
            payloads.push(String::from_utf8(publish.payload.to_vec()).unwrap());
            acks.push(Packet::PubAck(v5::PubAck::new(publish.pkid)));
        }
        session.handle_bytes(&broker.bytes(&acks), at(6));
        pending = broker.received(&mut session);
        assert!(pending.len() <= 2);
    }
    assert_eq!(payloads, ["0", "1", "2", "3", "4"]);
    let published: Vec<Event> = ids.into_iter().map(|id| Event::Published { id }).collect();
    assert_eq!(events(&mut session), published);
}

#[test]
fn v3_caps_the_window_at_max_inflight() {
    let (mut session, broker) = connected(Version::V3_1_1, accepted());
    for n in 0..25 {
        session
            .publish(Message::new("a", format!("{n}"), QoS::ExactlyOnce), at(5))
            .unwrap();
    }
    assert_eq!(broker.received(&mut session).len(), 20);
}

#[test]
fn what_is_due_comes_out_in_buffers_of_whole_packets_up_to_the_chunk() {
    let (mut session, _broker) = connected(Version::V3_1_1, accepted());
    let publish = |session: &mut Session, payload: String| {
        (session.publish(Message::new("a", payload, QoS::AtMostOnce), at(5))).unwrap();
    };
    let fit = TRANSMIT_CHUNK / 1006; // 1,006 bytes a packet
    for n in 0..fit + 35 {
        publish(&mut session, format!("{n:>1000}"));
    }
    publish(&mut session, "big".repeat(TRANSMIT_CHUNK / 3 + 1));
    for n in fit + 35..fit + 45 {
        publish(&mut session, format!("{n:>1000}"));
    }
    let mut per_buffer = Vec::new();
    let mut payloads = Vec::new();
    while let Some(buffer) = session.poll_transmit() {
        let mut decoder = StreamDecoder::new(Version::V3_1_1, 4 * TRANSMIT_CHUNK);
        decoder.push(&buffer);
        let mut packets = 0;
        while let Some(Packet::Publish(publish)) = decoder.next_any_packet().unwrap() {
            payloads.push(String::from_utf8(publish.payload.to_vec()).unwrap());
            packets += 1;
        }
        assert_eq!(decoder.buffered(), 0, "whole packets only");
        assert!(buffer.len() <= TRANSMIT_CHUNK || packets == 1);
        per_buffer.push(packets);
    }
    assert_eq!(per_buffer, [fit, 35, 1, 10]);
    let numbers: Vec<&str> = (payloads.iter())
        .filter(|payload| payload.len() == 1000)
        .map(|payload| payload.trim())
        .collect();
    let expected: Vec<String> = (0..fit + 45).map(|n| n.to_string()).collect();
    assert_eq!(numbers, expected, "in order");
    assert!(payloads[fit + 35].starts_with("bigbig"));
}

#[test]
fn incoming_qos0_asks_for_nothing_to_be_sent() {
    let (mut session, broker) = connected(Version::V3_1_1, accepted());
    let publish = publish_packet("python/mqtt", QoS::AtMostOnce, 0, "messages: 1");
    session.handle_bytes(&broker.bytes(&[Packet::Publish(publish)]), at(5));
    assert!(!session.has_transmit());
    assert_eq!(events(&mut session).len(), 1);
}

#[test]
fn incoming_qos1_is_acknowledged_and_delivered() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let mut publish = publish_packet("python/mqtt", QoS::AtLeastOnce, 9, "messages: 3");
        publish.retain = true;
        session.handle_bytes(&broker.bytes(&[Packet::Publish(publish)]), at(5));
        assert!(session.has_transmit());
        assert_eq!(
            broker.received(&mut session),
            vec![Packet::PubAck(v5::PubAck::new(9))]
        );
        assert!(!session.has_transmit());
        let [Event::Message(message)] = &events(&mut session)[..] else {
            panic!()
        };
        assert_eq!(
            (
                message.topic.as_str(),
                &message.payload[..],
                message.qos,
                message.retain
            ),
            ("python/mqtt", &b"messages: 3"[..], QoS::AtLeastOnce, true)
        );
    }
}

#[test]
fn incoming_qos2_reaches_the_app_exactly_once() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let publish = publish_packet("t", QoS::ExactlyOnce, 4, "once");
        session.handle_bytes(&broker.bytes(&[Packet::Publish(publish.clone())]), at(5));
        assert_eq!(
            broker.received(&mut session),
            vec![Packet::PubRec(v5::PubRec::new(4))]
        );
        // The broker did not see our PUBREC and sends the message again, with DUP.
        let mut again = publish.clone();
        again.dup = true;
        session.handle_bytes(&broker.bytes(&[Packet::Publish(again)]), at(6));
        assert_eq!(
            broker.received(&mut session),
            vec![Packet::PubRec(v5::PubRec::new(4))]
        );
        session.handle_bytes(&broker.bytes(&[Packet::PubRel(v5::PubRel::new(4))]), at(7));
        assert_eq!(
            broker.received(&mut session),
            vec![Packet::PubComp(v5::PubComp::new(4))]
        );
        let messages = events(&mut session)
            .into_iter()
            .filter(|event| matches!(event, Event::Message(_)))
            .count();
        assert_eq!(messages, 1);
        // After PUBREL the id is free: a new message with it is a new message.
        session.handle_bytes(&broker.bytes(&[Packet::Publish(publish)]), at(8));
        assert!(matches!(events(&mut session)[..], [Event::Message(_)]));
    }
}

#[test]
fn a_new_qos2_message_under_an_id_still_open_is_delivered() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let publish = |payload: &str, dup: bool| {
            let mut publish = publish_packet("t", QoS::ExactlyOnce, 7, payload);
            publish.dup = dup;
            broker.bytes(&[Packet::Publish(publish)])
        };
        let shown = |session: &mut Session| -> Vec<String> {
            events(session)
                .into_iter()
                .filter_map(|event| match event {
                    Event::Message(message) => {
                        Some(String::from_utf8_lossy(&message.payload).into_owned())
                    }
                    _ => None,
                })
                .collect()
        };
        session.handle_bytes(&publish("1", false), at(2));
        assert_eq!(shown(&mut session), ["1"]);
        // The broker dies before its PUBREL. Restarted from an older save, it has the session
        // but not this exchange: it resends "1", then sends "2" under the same id.
        session.handle_closed("killed");
        reconnect(
            &mut session,
            &broker,
            ConnAck::new(ConnectReturnCode::Success, true),
            at(10),
        );
        events(&mut session);
        session.handle_bytes(&publish("1", true), at(12));
        assert!(
            shown(&mut session).is_empty(),
            "a retransmission is not shown twice"
        );
        session.handle_bytes(&publish("2", false), at(13));
        session.handle_bytes(&publish("2", true), at(14));
        assert_eq!(shown(&mut session), ["2"], "a new message under an open id");
    }
}

#[test]
fn suback_reports_granted_qos_and_refusals_per_filter() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let id = session
            .subscribe(
                vec![
                    ("python/mqtt".into(), QoS::ExactlyOnce),
                    ("secret/#".into(), QoS::AtMostOnce),
                ],
                at(5),
            )
            .unwrap();
        let [Packet::Subscribe(subscribe)] = &broker.received(&mut session)[..] else {
            panic!()
        };
        assert_eq!(subscribe.filters.len(), 2);
        let suback = v5::SubAck::new(
            subscribe.pkid,
            vec![
                v5::SubscribeReasonCode::QoS1,
                v5::SubscribeReasonCode::Unspecified,
            ],
        );
        session.handle_bytes(&broker.bytes(&[Packet::SubAck(suback)]), at(6));
        assert_eq!(
            events(&mut session),
            vec![Event::Subscribed {
                id,
                results: vec![
                    SubscribeResult {
                        filter: "python/mqtt".into(),
                        outcome: Ok(QoS::AtLeastOnce)
                    },
                    SubscribeResult {
                        filter: "secret/#".into(),
                        outcome: Err(ReasonCode(0x80))
                    },
                ]
            }]
        );

        let id = session
            .unsubscribe(vec!["python/mqtt".into()], at(7))
            .unwrap();
        let [Packet::Unsubscribe(unsubscribe)] = &broker.received(&mut session)[..] else {
            panic!()
        };
        let mut unsuback = v5::UnsubAck::new(unsubscribe.pkid);
        unsuback.reasons = vec![v5::UnsubAckReason::Success];
        session.handle_bytes(&broker.bytes(&[Packet::UnsubAck(unsuback)]), at(8));
        assert_eq!(
            events(&mut session),
            vec![Event::Unsubscribed {
                id,
                filters: vec!["python/mqtt".into()]
            }]
        );
    }
}

#[test]
fn bad_input_is_refused_with_a_reason_and_nothing_is_sent() {
    let (mut session, broker) = connected(Version::V5, accepted());
    let refusals = [
        session
            .publish(Message::new("a/+", "x", QoS::AtMostOnce), at(5))
            .unwrap_err()
            .to_string(),
        session
            .publish(Message::new("", "x", QoS::AtMostOnce), at(5))
            .unwrap_err()
            .to_string(),
        session
            .subscribe(vec![("a/#/b".into(), QoS::AtMostOnce)], at(5))
            .unwrap_err()
            .to_string(),
        session.subscribe(vec![], at(5)).unwrap_err().to_string(),
    ];
    assert_eq!(
        refusals,
        [
            "invalid topic: a topic to publish to cannot contain the wildcards '+' or '#'",
            "invalid topic: the topic is empty",
            "invalid topic filter 'a/#/b': '#' must be the last level of a filter, alone in its level (as in 'a/#')",
            "no topic filter given",
        ]
    );
    assert!(broker.received(&mut session).is_empty());
    assert!(events(&mut session).is_empty());
    assert_eq!(session.state(), State::Connected);
}

#[test]
fn broker_limits_from_connack_are_enforced() {
    let mut connack = accepted();
    let mut properties = v5::ConnAckProperties::new();
    properties.max_packet_size = Some(100);
    properties.max_qos = Some(1);
    properties.retain_available = Some(0);
    connack.properties = Some(properties);
    let (mut session, broker) = connected(Version::V5, connack);

    let error = session
        .publish(Message::new("a", vec![0u8; 200], QoS::AtMostOnce), at(5))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the message is 207 bytes encoded, over the broker's limit of 100 bytes"
    );
    // The size check is exact: a message of exactly the limit passes, at QoS 1 with the two
    // bytes of its packet id.
    session
        .publish(Message::new("a", vec![0u8; 94], QoS::AtMostOnce), at(5))
        .unwrap();
    session
        .publish(Message::new("a", vec![0u8; 92], QoS::AtLeastOnce), at(5))
        .unwrap();
    assert!(session
        .publish(Message::new("a", vec![0u8; 93], QoS::AtLeastOnce), at(5))
        .is_err());
    assert_eq!(broker.received(&mut session).len(), 2);
    assert_eq!(
        session
            .publish(Message::new("a", "x", QoS::ExactlyOnce), at(5))
            .unwrap_err(),
        PublishError::QoSNotSupported {
            max: QoS::AtLeastOnce
        }
    );
    let mut retained = Message::new("a", "x", QoS::AtMostOnce);
    retained.retain = true;
    assert_eq!(
        session.publish(retained, at(5)).unwrap_err(),
        PublishError::RetainNotSupported
    );
}

/// A session that connected once and lost its link.
fn offline(version: Version) -> (Session, Broker) {
    let (mut session, broker) = connected(version, accepted());
    session.handle_closed("closed");
    events(&mut session);
    (session, broker)
}

fn reconnect(
    session: &mut Session,
    broker: &Broker,
    connack: ConnAck,
    now: Instant,
) -> Vec<Packet> {
    session.connect(now);
    broker.received(session);
    broker.connack(session, connack, now + Duration::from_millis(1));
    broker.received(session)
}

fn payloads(packets: &[Packet]) -> Vec<String> {
    packets
        .iter()
        .filter_map(|packet| match packet {
            Packet::Publish(publish) => {
                Some(String::from_utf8_lossy(&publish.payload).into_owned())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn publishing_while_offline_queues_in_order_and_sends_after_connack() {
    for version in both_versions() {
        let (mut session, broker) = offline(version);
        let ids: Vec<PublishId> = [
            QoS::AtMostOnce,
            QoS::AtLeastOnce,
            QoS::ExactlyOnce,
            QoS::AtMostOnce,
        ]
        .into_iter()
        .enumerate()
        .map(|(n, qos)| {
            session
                .publish(Message::new("a", format!("{n}"), qos), at(10))
                .unwrap()
        })
        .collect();
        assert_eq!(session.poll_transmit(), None, "nothing goes out offline");
        assert_eq!(
            session.queue_stats(),
            QueueStats {
                messages: 4,
                bytes: 8,
                dropped: 0
            }
        );
        let sent = reconnect(&mut session, &broker, accepted(), at(20));
        assert_eq!(payloads(&sent), ["0", "1", "2", "3"]);
        assert_eq!(session.queue_stats().messages, 0);
        let published: Vec<Event> = events(&mut session)
            .into_iter()
            .filter(|event| matches!(event, Event::Published { .. }))
            .collect();
        assert_eq!(
            published,
            [
                Event::Published { id: ids[0] },
                Event::Published { id: ids[3] }
            ],
            "QoS 0 is done once sent; QoS 1 and 2 wait for their acknowledgements"
        );
    }
}

#[test]
fn the_queue_is_bounded_and_counts_what_it_drops() {
    let broker = Broker {
        version: Version::V5,
    };
    let mut options = options(Version::V5);
    options.max_queued_messages = 2;
    options.max_queued_bytes = 100;
    let mut session = Session::new(options).unwrap();
    session
        .publish(Message::new("a", "1", QoS::AtLeastOnce), at(0))
        .unwrap();
    session
        .publish(Message::new("a", "2", QoS::AtLeastOnce), at(0))
        .unwrap();
    let full = session
        .publish(Message::new("a", "3", QoS::AtLeastOnce), at(0))
        .unwrap_err();
    assert_eq!(
        full.to_string(),
        "the queue of unsent messages is full (2 messages, 4 bytes): dropped"
    );
    assert_eq!(session.queue_stats().dropped, 1);
    let sent = reconnect(&mut session, &broker, accepted(), at(5));
    assert_eq!(payloads(&sent), ["1", "2"]);
    // Sent messages leave the queue: there is room again, also by bytes.
    assert!(session
        .publish(Message::new("a", vec![0u8; 99], QoS::AtMostOnce), at(6))
        .is_ok());
    assert!(matches!(
        session.publish(Message::new("a", vec![0u8; 100], QoS::AtMostOnce), at(6)),
        Err(PublishError::QueueFull { .. })
    ));
}

#[test]
fn queued_messages_the_broker_forbids_fail_with_its_reason() {
    let (mut session, broker) = offline(Version::V5);
    let too_big = session
        .publish(Message::new("a", vec![0u8; 200], QoS::AtMostOnce), at(10))
        .unwrap();
    let fine = session
        .publish(Message::new("a", "ok", QoS::AtMostOnce), at(10))
        .unwrap();
    let mut connack = accepted();
    let mut properties = v5::ConnAckProperties::new();
    properties.max_packet_size = Some(100);
    connack.properties = Some(properties);
    let sent = reconnect(&mut session, &broker, connack, at(20));
    assert_eq!(payloads(&sent), ["ok"]);
    let outcomes: Vec<Event> = events(&mut session)
        .into_iter()
        .filter(|event| !matches!(event, Event::Connected { .. }))
        .collect();
    assert_eq!(
        outcomes,
        [
            Event::PublishFailed {
                id: too_big,
                reason: ReasonCode(0x95)
            },
            Event::Published { id: fine }
        ]
    );
}

#[test]
fn pending_lists_what_is_unacknowledged_oldest_first_with_how_far_it_got() {
    let (mut session, broker) = connected(Version::V3_1_1, accepted());
    for (payload, qos) in [
        ("in flight", QoS::AtLeastOnce),
        ("done", QoS::AtMostOnce),
        ("received", QoS::ExactlyOnce),
    ] {
        session
            .publish(Message::new("a", payload, qos), at(5))
            .unwrap();
    }
    let sent = broker.received(&mut session);
    let Some(Packet::Publish(received)) = sent.last() else {
        panic!("{sent:?}")
    };
    session.handle_bytes(
        &broker.bytes(&[Packet::PubRec(v5::PubRec::new(received.pkid))]),
        at(6),
    );
    session.handle_closed("closed");
    session
        .publish(Message::new("a", "queued", QoS::ExactlyOnce), at(7))
        .unwrap();
    let pending: Vec<_> = (session.pending().into_iter())
        .map(|p| (p.message.payload, p.message.qos, p.packet_id, p.released))
        .collect();
    assert_eq!(
        pending,
        [
            (Bytes::from("in flight"), QoS::AtLeastOnce, Some(1), false),
            (Bytes::from("received"), QoS::ExactlyOnce, Some(2), true),
            (Bytes::from("queued"), QoS::ExactlyOnce, None, false),
        ]
    );
}

/// What a session left unacknowledged, as a page stores it before a reload: a QoS 2 message the
/// broker answered with PUBREC, one it did not answer, a QoS 1 one, and one queued offline.
fn left_by_an_earlier_page(version: Version) -> Vec<Pending> {
    let (mut session, broker) = connected(version, accepted());
    session
        .publish(Message::new("a", "received", QoS::ExactlyOnce), at(5))
        .unwrap();
    let [Packet::Publish(received)] = &broker.received(&mut session)[..] else {
        panic!()
    };
    session.handle_bytes(
        &broker.bytes(&[Packet::PubRec(v5::PubRec::new(received.pkid))]),
        at(6),
    );
    broker.received(&mut session);
    for (payload, qos) in [("sent", QoS::ExactlyOnce), ("one", QoS::AtLeastOnce)] {
        session
            .publish(Message::new("a", payload, qos), at(7))
            .unwrap();
    }
    broker.received(&mut session);
    session.handle_closed("the page is reloaded");
    session
        .publish(Message::new("a", "queued", QoS::AtLeastOnce), at(8))
        .unwrap();
    session.pending()
}

#[test]
fn restored_messages_keep_their_packet_ids_so_a_kept_session_completes_them_once() {
    for version in both_versions() {
        let pending = left_by_an_earlier_page(version);
        let broker = Broker { version };
        let mut session = Session::new(options(version)).unwrap();
        let ids = session.restore(pending);
        assert!(ids.iter().all(Result::is_ok), "{ids:?}");
        session.connect(at(10));
        broker.received(&mut session);
        broker.connack(&mut session, resumed(), at(11));
        let sent = broker.received(&mut session);
        let [Packet::PubRel(release), Packet::Publish(sent_again), Packet::Publish(one), Packet::Publish(queued)] =
            &sent[..]
        else {
            panic!("{sent:?}")
        };
        assert_eq!(release.pkid, 1, "PUBREL for the message the broker has");
        assert_eq!((sent_again.pkid, sent_again.dup), (2, true));
        assert_eq!((one.pkid, one.dup), (3, true));
        assert_eq!(queued.payload, Bytes::from("queued"));
        assert!(
            ![1, 2, 3].contains(&queued.pkid),
            "a fresh id: {}",
            queued.pkid
        );
        session.handle_bytes(
            &broker.bytes(&[Packet::PubComp(v5::PubComp::new(1))]),
            at(12),
        );
        assert!(events(&mut session).ends_with(&[Event::Published {
            id: *ids[0].as_ref().unwrap()
        }]));
    }
}

#[test]
fn restored_messages_start_afresh_when_the_broker_kept_no_session() {
    let pending = left_by_an_earlier_page(Version::V5);
    let broker = Broker {
        version: Version::V5,
    };
    let mut session = Session::new(options(Version::V5)).unwrap();
    let ids = session.restore(pending);
    session.connect(at(10));
    broker.received(&mut session);
    broker.connack(&mut session, accepted(), at(11));
    let sent = broker.received(&mut session);
    // The message the broker answered with PUBREC was the broker's: not sent again.
    assert_eq!(payloads(&sent), ["sent", "one", "queued"]);
    assert!(sent.iter().all(|packet| match packet {
        Packet::Publish(publish) => !publish.dup,
        _ => false,
    }));
    assert!(events(&mut session).contains(&Event::Published {
        id: *ids[0].as_ref().unwrap()
    }));
}

#[test]
fn a_lost_session_subscribes_again_to_every_granted_filter() {
    let (mut session, broker) = connected(Version::V5, accepted());
    session
        .subscribe(
            vec![
                ("python/mqtt".into(), QoS::AtLeastOnce),
                ("refused/#".into(), QoS::AtMostOnce),
                ("dropped".into(), QoS::AtMostOnce),
            ],
            at(5),
        )
        .unwrap();
    let [Packet::Subscribe(subscribe)] = &broker.received(&mut session)[..] else {
        panic!()
    };
    let suback = v5::SubAck::new(
        subscribe.pkid,
        vec![
            v5::SubscribeReasonCode::QoS1,
            v5::SubscribeReasonCode::NotAuthorized,
            v5::SubscribeReasonCode::QoS0,
        ],
    );
    session.handle_bytes(&broker.bytes(&[Packet::SubAck(suback)]), at(6));
    session.unsubscribe(vec!["dropped".into()], at(7)).unwrap();
    let [Packet::Unsubscribe(unsubscribe)] = &broker.received(&mut session)[..] else {
        panic!()
    };
    let mut unsuback = v5::UnsubAck::new(unsubscribe.pkid);
    unsuback.reasons = vec![v5::UnsubAckReason::Success];
    session.handle_bytes(&broker.bytes(&[Packet::UnsubAck(unsuback)]), at(8));
    assert_eq!(
        session.subscriptions().collect::<Vec<_>>(),
        [("python/mqtt", QoS::AtLeastOnce)]
    );
    session.handle_closed("closed");
    events(&mut session);

    // The broker kept the session: nothing to ask again.
    let sent = reconnect(
        &mut session,
        &broker,
        ConnAck::new(ConnectReturnCode::Success, true),
        at(20),
    );
    assert!(sent.is_empty(), "{sent:?}");
    session.handle_closed("closed");
    events(&mut session);

    // It lost it: the granted filter is asked for again.
    let sent = reconnect(&mut session, &broker, accepted(), at(30));
    let [Packet::Subscribe(again)] = &sent[..] else {
        panic!("{sent:?}")
    };
    let filters: Vec<(&str, QoS)> = (again.filters.iter())
        .map(|filter| (filter.path.as_str(), filter.qos))
        .collect();
    assert_eq!(filters, [("python/mqtt", QoS::AtLeastOnce)]);
    let suback = v5::SubAck::new(again.pkid, vec![v5::SubscribeReasonCode::QoS1]);
    session.handle_bytes(&broker.bytes(&[Packet::SubAck(suback)]), at(32));
    assert!(matches!(
        &events(&mut session)[..],
        [Event::Connected { .. }, Event::Subscribed { .. }]
    ));
}

#[test]
fn subscribing_while_offline_goes_out_after_connack() {
    let (mut session, broker) = offline(Version::V3_1_1);
    session
        .subscribe(vec![("python/mqtt".into(), QoS::AtMostOnce)], at(10))
        .unwrap();
    assert_eq!(session.poll_transmit(), None);
    let sent = reconnect(
        &mut session,
        &broker,
        ConnAck::new(ConnectReturnCode::Success, true),
        at(20),
    );
    assert!(matches!(&sent[..], [Packet::Subscribe(_)]), "{sent:?}");
}

#[test]
fn a_malformed_packet_closes_the_link_with_a_reason() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        // PUBLISH with a topic that is not UTF-8.
        session.handle_bytes(&[0x30, 0x06, 0x00, 0x02, 0xC3, 0x28, b'h', b'i'], at(5));
        assert_eq!(
            the_disconnect_reason(&mut session),
            "the broker sent a malformed packet: a topic or string that is not valid UTF-8"
        );
        let sent = broker.received(&mut session);
        if version == Version::V5 {
            let [Packet::Disconnect(disconnect)] = &sent[..] else {
                panic!("{sent:?}")
            };
            assert_eq!(
                disconnect.reason_code,
                DisconnectReasonCode::MalformedPacket
            );
        } else {
            assert!(sent.is_empty());
        }
        // Nothing more is read once the link is over.
        session.handle_bytes(&broker.bytes(&[Packet::PingResp]), at(6));
        assert!(events(&mut session).is_empty());
    }
}

#[test]
fn anything_but_connack_first_is_a_protocol_violation() {
    let broker = Broker {
        version: Version::V3_1_1,
    };
    let mut session = Session::new(options(Version::V3_1_1)).unwrap();
    session.connect(at(0));
    broker.received(&mut session);
    session.handle_bytes(&broker.bytes(&[Packet::PingResp]), at(1));
    assert_eq!(
        the_disconnect_reason(&mut session),
        "the server answered CONNECT with PINGRESP, not CONNACK"
    );
}

#[test]
fn a_server_disconnect_carries_its_reason() {
    let (mut session, broker) = connected(Version::V5, accepted());
    let mut disconnect = v5::Disconnect::new();
    disconnect.reason_code = DisconnectReasonCode::SessionTakenOver;
    session.handle_bytes(&broker.bytes(&[Packet::Disconnect(disconnect)]), at(5));
    assert_eq!(
        the_disconnect_reason(&mut session),
        "the broker closed the connection: another client connected with the same client id (session taken over) (reason code 0x8E)"
    );
}

#[test]
fn disconnect_says_goodbye() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        session.disconnect(at(5));
        assert!(matches!(
            broker.received(&mut session)[..],
            [Packet::Disconnect(_)]
        ));
        assert_eq!(
            events(&mut session),
            vec![Event::Disconnected {
                reason: DisconnectReason::ClientRequested
            }]
        );
        assert_eq!(session.state(), State::Disconnected);
    }
}

#[test]
fn a_v5_session_with_an_expiry_resumes_on_reconnect_even_after_a_clean_start() {
    let broker = Broker {
        version: Version::V5,
    };
    let mut options = options(Version::V5);
    options.session_expiry_secs = 300;
    let mut session = Session::new(options).unwrap();
    let mut clean_start_of_each_connect = Vec::new();
    for now in [at(0), at(100)] {
        session.connect(now);
        let [Packet::Connect(connect)] = &broker.received(&mut session)[..] else {
            panic!()
        };
        clean_start_of_each_connect.push(connect.clean_session);
        broker.connack(&mut session, accepted(), now + Duration::from_millis(1));
        session.handle_closed("closed");
    }
    assert_eq!(clean_start_of_each_connect, [true, false]);
}

#[test]
fn a_link_cut_in_the_middle_of_a_packet_says_so() {
    let (mut session, broker) = connected(Version::V5, accepted());
    let publish = broker.bytes(&[Packet::Publish(publish_packet(
        "t",
        QoS::AtMostOnce,
        0,
        "x",
    ))]);
    session.handle_bytes(&publish[..3], at(5));
    session.handle_closed("the server closed the connection");
    assert_eq!(
        the_disconnect_reason(&mut session),
        "the server closed the connection, in the middle of a packet"
    );
}

#[test]
fn a_closed_transport_is_reported_once() {
    let (mut session, _) = connected(Version::V5, accepted());
    session.handle_closed("the connection to ws://127.0.0.1:1/mqtt closed (code 1006)");
    session.handle_closed("again");
    assert_eq!(
        events(&mut session),
        vec![Event::Disconnected {
            reason: DisconnectReason::TransportClosed(
                "the connection to ws://127.0.0.1:1/mqtt closed (code 1006)".into()
            )
        }]
    );
}

/// A QoS 1 message "one" awaiting PUBACK and a QoS 2 message "two" the broker answered with
/// PUBREC, when the link drops. Gives their ids and the packet id of "two".
fn dropped_mid_flight(version: Version) -> (Session, Broker, [PublishId; 2], u16) {
    let (mut session, broker) = connected(version, accepted());
    let one = session
        .publish(Message::new("a", "one", QoS::AtLeastOnce), at(5))
        .unwrap();
    let two = session
        .publish(Message::new("a", "two", QoS::ExactlyOnce), at(5))
        .unwrap();
    let sent = broker.received(&mut session);
    let Packet::Publish(two_sent) = &sent[1] else {
        panic!()
    };
    let two_pkid = two_sent.pkid;
    session.handle_bytes(
        &broker.bytes(&[Packet::PubRec(v5::PubRec::new(two_pkid))]),
        at(6),
    );
    broker.received(&mut session);
    session.handle_closed("closed");
    events(&mut session);
    (session, broker, [one, two], two_pkid)
}

#[test]
fn a_resumed_session_resends_what_was_in_flight_with_dup() {
    let (mut session, broker, _, two_pkid) = dropped_mid_flight(Version::V3_1_1);
    let present = ConnAck::new(ConnectReturnCode::Success, true);
    let resent = reconnect(&mut session, &broker, present, at(100));
    let [Packet::Publish(one), Packet::PubRel(pubrel)] = &resent[..] else {
        panic!("{resent:?}")
    };
    assert!(one.dup);
    assert_eq!(&one.payload[..], b"one");
    assert_eq!(pubrel.pkid, two_pkid);
}

#[test]
fn a_lost_session_sends_in_flight_messages_anew_but_not_what_the_broker_took() {
    let (mut session, broker, [one, two], _) = dropped_mid_flight(Version::V5);
    // The broker answered "two" with PUBREC: it is the broker's now (section 4.3.3).
    let resent = reconnect(&mut session, &broker, accepted(), at(100));
    let [Packet::Publish(again)] = &resent[..] else {
        panic!("{resent:?}")
    };
    assert!(!again.dup);
    assert_eq!(&again.payload[..], b"one");
    assert_eq!(
        events(&mut session),
        vec![
            Event::Connected {
                session_present: false
            },
            Event::Published { id: two }
        ]
    );
    session.handle_bytes(
        &broker.bytes(&[Packet::PubAck(v5::PubAck::new(again.pkid))]),
        at(102),
    );
    assert_eq!(events(&mut session), vec![Event::Published { id: one }]);
}

#[test]
fn many_packets_in_one_call_come_out_as_one_transmit() {
    let (mut session, broker) = connected(Version::V5, accepted());
    let incoming: Vec<Packet> = (1..=50)
        .map(|pkid| Packet::Publish(publish_packet("t", QoS::AtLeastOnce, pkid, "x")))
        .collect();
    session.handle_bytes(&broker.bytes(&incoming), at(5));
    assert_eq!(
        broker.received(&mut session).len(),
        50,
        "50 PUBACKs in one buffer"
    );
    assert_eq!(session.poll_transmit(), None);
    assert_eq!(events(&mut session).len(), 50);
}

#[test]
fn packet_ids_skip_those_still_in_use() {
    let (mut session, broker) = connected(Version::V5, accepted());
    session.next_packet_id = u16::MAX;
    session
        .publish(Message::new("a", "x", QoS::AtLeastOnce), at(5))
        .unwrap();
    session
        .publish(Message::new("a", "y", QoS::AtLeastOnce), at(5))
        .unwrap();
    let pkids: Vec<u16> = broker
        .received(&mut session)
        .into_iter()
        .map(|packet| match packet {
            Packet::Publish(publish) => publish.pkid,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(pkids, [u16::MAX, 1], "0 is never a packet id");
    session.next_packet_id = u16::MAX;
    session
        .subscribe(vec![("a".into(), QoS::AtMostOnce)], at(6))
        .unwrap();
    let [Packet::Subscribe(subscribe)] = &broker.received(&mut session)[..] else {
        panic!()
    };
    assert_eq!(subscribe.pkid, 2, "65535 and 1 are in flight");
}

/// A CONNACK that says the broker kept the session.
fn resumed() -> ConnAck {
    ConnAck::new(ConnectReturnCode::Success, true)
}

#[test]
fn a_message_the_broker_drops_the_link_for_three_times_in_a_row_is_given_up() {
    for version in both_versions() {
        let (mut session, broker) = connected(version, accepted());
        let too_big = session
            .publish(Message::new("a", "too big", QoS::AtLeastOnce), at(5))
            .unwrap();
        let next = session
            .publish(Message::new("a", "next", QoS::AtLeastOnce), at(5))
            .unwrap();
        broker.received(&mut session);
        // The broker acknowledges nothing from the message on, and closes the link.
        session.handle_closed("closed");
        events(&mut session);
        for attempt in 1..CLOSES_BEFORE_GIVING_UP {
            let now = at(100 * u64::from(attempt));
            let sent = reconnect(&mut session, &broker, resumed(), now);
            assert_eq!(payloads(&sent), ["too big", "next"], "sent again");
            session.handle_closed("closed");
            let given_up = events(&mut session)
                .into_iter()
                .filter(|event| matches!(event, Event::PublishGivenUp { .. }))
                .collect::<Vec<_>>();
            if attempt + 1 < CLOSES_BEFORE_GIVING_UP {
                assert!(given_up.is_empty(), "attempt {attempt}");
            } else {
                assert_eq!(given_up, vec![Event::PublishGivenUp { id: too_big }]);
            }
        }
        let sent = reconnect(&mut session, &broker, resumed(), at(1_000));
        assert_eq!(payloads(&sent), ["next"], "the rest goes on");
        let [Packet::Publish(publish)] = &sent[..] else {
            panic!("{sent:?}")
        };
        session.handle_bytes(
            &broker.bytes(&[Packet::PubAck(v5::PubAck::new(publish.pkid))]),
            at(1_001),
        );
        assert!(events(&mut session).ends_with(&[Event::Published { id: next }]));
    }
}

#[test]
fn a_link_that_lived_on_after_a_message_went_out_is_not_blamed_on_it() {
    let (mut session, broker) = connected(Version::V3_1_1, accepted());
    session
        .publish(Message::new("a", "slow", QoS::AtLeastOnce), at(5))
        .unwrap();
    broker.received(&mut session);
    for _ in 0..CLOSES_BEFORE_GIVING_UP + 1 {
        // The broker answers pings well after the message went out, then the link drops.
        let now = session.poll_timeout().expect("a keep-alive deadline");
        assert!(now > at(5) + CLOSE_BLAME_WINDOW);
        session.handle_timeout(now);
        assert_eq!(broker.received(&mut session), vec![Packet::PingReq]);
        session.handle_bytes(
            &broker.bytes(&[Packet::PingResp]),
            now + Duration::from_millis(1),
        );
        session.handle_closed("closed");
        events(&mut session);
        let sent = reconnect(
            &mut session,
            &broker,
            resumed(),
            now + Duration::from_millis(10),
        );
        assert_eq!(payloads(&sent), ["slow"], "still sent again");
    }
    assert!(events(&mut session)
        .iter()
        .all(|event| !matches!(event, Event::PublishGivenUp { .. })));
}

#[test]
fn a_message_resent_after_a_broker_restart_and_acknowledged_is_delivered() {
    let (mut session, broker) = connected(Version::V5, accepted());
    let id = session
        .publish(Message::new("a", "x", QoS::AtLeastOnce), at(5))
        .unwrap();
    broker.received(&mut session);
    session.handle_closed("killed");
    events(&mut session);
    let sent = reconnect(&mut session, &broker, resumed(), at(100));
    let [Packet::Publish(publish)] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert!(publish.dup);
    session.handle_bytes(
        &broker.bytes(&[Packet::PubAck(v5::PubAck::new(publish.pkid))]),
        at(101),
    );
    assert!(events(&mut session).ends_with(&[Event::Published { id }]));
}
