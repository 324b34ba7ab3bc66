//! The engine against aedes (node), a second, independent broker: MQTT 3.1.1 only over
//! WebSocket. aedes writes each MQTT packet as several tiny WebSocket messages, so these
//! stories also prove that the session reassembles packets across messages.

mod support;

use mqtt_engine::{DisconnectReason, Event, Message, QoS, ReasonCode, Version};
use std::time::Instant;
use support::brokers::Aedes;
use support::driver::Client;
use support::options;

const QOS_LEVELS: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];

#[test]
fn messages_arrive_at_every_qos_across_tiny_websocket_messages() {
    let started = Instant::now();
    let broker = Aedes::start();
    let mut publisher = Client::connect(broker.ws_port, options(Version::V3_1_1, "publisher"));
    let mut observer = Client::connect(broker.ws_port, options(Version::V3_1_1, "observer"));
    for client in [&mut publisher, &mut observer] {
        let results = client.subscribe(&[("qos/#", QoS::ExactlyOnce)]);
        assert_eq!(results[0].outcome, Ok(QoS::ExactlyOnce));
    }

    let payload = |level: u8| format!("at QoS {level}, {}", "x".repeat(200));
    let ids: Vec<_> = QOS_LEVELS
        .iter()
        .map(|&qos| {
            let level = qos as u8;
            publisher.publish(Message::new(format!("qos/{level}"), payload(level), qos))
        })
        .collect();
    for id in ids {
        assert_eq!(publisher.outcome(id), Ok(()));
    }
    for client in [&mut publisher, &mut observer] {
        let mut received: Vec<Message> = (0..3).map(|_| client.next_message()).collect();
        received.sort_by(|a, b| a.topic.cmp(&b.topic));
        for (message, qos) in received.iter().zip(QOS_LEVELS) {
            let level = qos as u8;
            assert_eq!(message.topic, format!("qos/{level}"));
            assert_eq!(message.payload, payload(level));
            assert_eq!(message.qos, qos);
        }
    }

    // The observer got CONNACK, SUBACK, and the three messages: PUBLISH, PUBLISH + PUBREL for
    // QoS 2. That is 6 packets, which came in far more WebSocket messages.
    let packets = 6;
    let stats = observer.stats;
    assert!(
        stats.messages_in > 2 * packets,
        "{packets} packets came in only {} WebSocket messages",
        stats.messages_in
    );
    println!(
        "aedes: {packets} packets to the observer in {} WebSocket messages ({} bytes); {:?}",
        stats.messages_in,
        stats.bytes_in,
        started.elapsed()
    );
}

#[test]
fn two_hundred_qos2_messages_arrive_exactly_once() {
    const COUNT: usize = 200;
    let started = Instant::now();
    let broker = Aedes::start();
    let mut client = Client::connect(broker.ws_port, options(Version::V3_1_1, "burst"));
    client.subscribe(&[("burst", QoS::ExactlyOnce)]);
    for index in 0..COUNT {
        client.publish(Message::new("burst", format!("{index}"), QoS::ExactlyOnce));
    }
    let outcomes = client.take("publish outcomes", COUNT, |event| {
        matches!(event, Event::Published { .. } | Event::PublishFailed { .. })
    });
    assert!(outcomes
        .iter()
        .all(|event| matches!(event, Event::Published { .. })));
    let messages = client.take("messages", COUNT, |event| {
        matches!(event, Event::Message(_))
    });
    let mut payloads: Vec<usize> = messages
        .iter()
        .map(|event| match event {
            Event::Message(message) => std::str::from_utf8(&message.payload)
                .unwrap()
                .parse()
                .unwrap(),
            _ => unreachable!(),
        })
        .collect();
    payloads.sort_unstable();
    assert_eq!(payloads, (0..COUNT).collect::<Vec<_>>());
    println!(
        "aedes: {COUNT} QoS 2 round trips in {:?}",
        started.elapsed()
    );
}

/// aedes speaks 3.1.1 only over WebSocket. It answers a 5.0 CONNECT with a 3.1.1 CONNACK
/// carrying return code 1, "unacceptable protocol version": the user should read that, not
/// a complaint about a malformed packet.
#[test]
fn mqtt5_is_refused_as_an_unsupported_version() {
    let broker = Aedes::start();
    let mut client = Client::open(broker.ws_port, options(Version::V5, "modern")).unwrap();
    let reason = client.wait_disconnected();
    assert_eq!(reason, DisconnectReason::Refused(ReasonCode(0x84)));
    assert_eq!(
        reason.to_string(),
        "the broker refused the connection: \
         the broker does not support this MQTT version (reason code 0x84)"
    );
}
