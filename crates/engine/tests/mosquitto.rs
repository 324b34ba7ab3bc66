//! The engine against Mosquitto 2.0 over WebSocket, in MQTT 3.1.1 and 5.0. Every story starts
//! its own broker on free loopback ports.

mod support;

use bytes::Bytes;
use mqtt_engine::{Credentials, DisconnectReason, Event, Message, QoS, ReasonCode, Version, Will};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::brokers::Mosquitto;
use support::driver::Client;
use support::options;

/// Runs each story once per MQTT version: `story::v3_1_1` and `story::v5`.
macro_rules! in_both_versions {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            #[test]
            fn v3_1_1() {
                super::timed(stringify!($story), mqtt_engine::Version::V3_1_1, super::$story);
            }
            #[test]
            fn v5() {
                super::timed(stringify!($story), mqtt_engine::Version::V5, super::$story);
            }
        }
    )*};
}

in_both_versions!(
    messages_arrive_at_every_qos,
    two_hundred_qos2_messages_arrive_exactly_once,
    a_retained_message_reaches_a_later_subscriber,
    the_will_reaches_a_subscriber_when_the_link_drops,
    a_wrong_password_is_refused_in_words,
    a_forbidden_topic_is_refused_with_a_reason,
    unsubscribing_stops_delivery,
    a_large_message_makes_the_round_trip,
    keep_alive_pings_hold_an_idle_link_open,
    a_resumed_session_gets_what_was_published_while_away,
    messages_caught_by_a_dropped_link_go_out_on_the_next,
    a_frozen_broker_is_noticed_by_the_keep_alive,
);

fn timed(story: &str, version: Version, run: fn(Version)) {
    let started = Instant::now();
    run(version);
    println!(
        "mosquitto {story} (MQTT {}): {:?}",
        version.label(),
        started.elapsed()
    );
}

const QOS_LEVELS: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];

fn messages_arrive_at_every_qos(version: Version) {
    let broker = Mosquitto::start();
    let mut publisher = Client::connect(broker.ws_port, options(version, "publisher"));
    let mut observer = Client::connect(broker.ws_port, options(version, "observer"));
    for client in [&mut publisher, &mut observer] {
        let results = client.subscribe(&[("qos/#", QoS::ExactlyOnce)]);
        assert_eq!(results[0].outcome, Ok(QoS::ExactlyOnce));
    }

    let ids: Vec<_> = QOS_LEVELS
        .iter()
        .map(|&qos| {
            let level = qos as u8;
            publisher.publish(Message::new(
                format!("qos/{level}"),
                format!("at QoS {level}"),
                qos,
            ))
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
            assert_eq!(message.payload, format!("at QoS {level}"));
            assert_eq!(message.qos, qos);
            assert!(!message.retain);
        }
    }
}

/// Mosquitto allows 20 QoS 2 messages in flight and refuses the 21st (reason 0x97): the session
/// must keep to that window, announced in CONNACK (5.0) or assumed (3.1.1).
fn two_hundred_qos2_messages_arrive_exactly_once(version: Version) {
    const COUNT: usize = 200;
    let broker = Mosquitto::start();
    let mut client = Client::connect(broker.ws_port, options(version, "burst"));
    client.subscribe(&[("burst", QoS::ExactlyOnce)]);

    for index in 0..COUNT {
        let message = Message::new("burst", format!("{index}"), QoS::ExactlyOnce);
        client.publish(message);
    }
    let outcomes = client.take("publish outcomes", COUNT, |event| {
        matches!(event, Event::Published { .. } | Event::PublishFailed { .. })
    });
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|event| matches!(event, Event::PublishFailed { .. }))
        .collect();
    assert!(failed.is_empty(), "failed: {failed:?}");

    let messages = client.take("messages", COUNT, |event| {
        matches!(event, Event::Message(_))
    });
    let late = client.run_for(Duration::from_millis(200));
    let mut times_seen = BTreeMap::new();
    for event in messages.iter().chain(&late) {
        if let Event::Message(message) = event {
            assert_eq!(message.qos, QoS::ExactlyOnce);
            let index: usize = std::str::from_utf8(&message.payload)
                .unwrap()
                .parse()
                .unwrap();
            *times_seen.entry(index).or_insert(0) += 1;
        }
    }
    let expected: BTreeMap<usize, i32> = (0..COUNT).map(|index| (index, 1)).collect();
    assert_eq!(times_seen, expected);
    assert_eq!(client.session.unacknowledged(), 0);
}

fn a_retained_message_reaches_a_later_subscriber(version: Version) {
    let broker = Mosquitto::start();
    let mut publisher = Client::connect(broker.ws_port, options(version, "door"));
    let mut retained = Message::new("status/door", "open", QoS::AtLeastOnce);
    retained.retain = true;
    let id = publisher.publish(retained);
    assert_eq!(publisher.outcome(id), Ok(()));

    let mut latecomer = Client::connect(broker.ws_port, options(version, "latecomer"));
    latecomer.subscribe(&[("status/#", QoS::AtLeastOnce)]);
    let message = latecomer.next_message();
    assert_eq!(
        (message.topic.as_str(), &message.payload[..], message.retain),
        ("status/door", &b"open"[..], true)
    );

    // A message published while subscribed is live, not retained, even if sent with retain.
    let mut update = Message::new("status/door", "closed", QoS::AtLeastOnce);
    update.retain = true;
    publisher.publish(update);
    let message = latecomer.next_message();
    assert_eq!(
        (&message.payload[..], message.retain),
        (&b"closed"[..], false)
    );
}

fn the_will_reaches_a_subscriber_when_the_link_drops(version: Version) {
    let broker = Mosquitto::start();
    let mut watcher = Client::connect(broker.ws_port, options(version, "watcher"));
    watcher.subscribe(&[("clients/+/state", QoS::AtLeastOnce)]);
    let with_will = |name: &str| {
        let mut options = options(version, name);
        options.will = Some(Will {
            topic: format!("clients/{name}/state"),
            payload: Bytes::from("gone"),
            qos: QoS::AtLeastOnce,
            retain: false,
        });
        options
    };

    // Saying goodbye discards the will...
    let mut polite = Client::connect(broker.ws_port, with_will("polite"));
    assert_eq!(polite.disconnect(), DisconnectReason::ClientRequested);
    // ...and a link that just dies sends it.
    let mut doomed = Client::connect(broker.ws_port, with_will("doomed"));
    doomed.drop_link();

    let will = watcher.next_message();
    assert_eq!(will.topic, "clients/doomed/state");
    assert_eq!(will.payload, "gone");
    assert_eq!(will.qos, QoS::AtLeastOnce);
}

fn unsubscribing_stops_delivery(version: Version) {
    let broker = Mosquitto::start();
    let mut client = Client::connect(broker.ws_port, options(version, "fickle"));
    client.subscribe(&[("news/#", QoS::AtLeastOnce)]);
    client.publish(Message::new("news/today", "first", QoS::AtLeastOnce));
    assert_eq!(client.next_message().payload, "first");

    client.unsubscribe(&["news/#"]);
    client.subscribe(&[("weather", QoS::AtLeastOnce)]);
    let id = client.publish(Message::new("news/today", "second", QoS::AtLeastOnce));
    assert_eq!(client.outcome(id), Ok(()));
    client.publish(Message::new("weather", "rain", QoS::AtLeastOnce));
    // Mosquitto keeps the order of one client's messages: had "second" been delivered, it
    // would come first.
    let message = client.next_message();
    assert_eq!(
        (message.topic.as_str(), &message.payload[..]),
        ("weather", &b"rain"[..])
    );
}

/// Larger than mqttbytes' default packet limit of 10 KiB, which the session raises. (Not much
/// larger: Mosquitto 2.0.11 takes in one big WebSocket message at about 40 KB/s, 4 KiB per pass
/// of its 100 ms loop, so 100 KB would take 2.5 s.)
fn a_large_message_makes_the_round_trip(version: Version) {
    let broker = Mosquitto::start();
    let mut client = Client::connect(broker.ws_port, options(version, "heavy"));
    client.subscribe(&[("big", QoS::AtLeastOnce)]);
    let payload: Vec<u8> = (0..20_000).map(|index| (index % 251) as u8).collect();
    let id = client.publish(Message::new("big", payload.clone(), QoS::AtLeastOnce));
    assert_eq!(client.outcome(id), Ok(()));
    let message = client.next_message();
    assert!(message.payload == payload, "the payload came back changed");
}

/// Mosquitto drops a client silent for 1.5 keep-alive periods: with 1 s, an idle link lives
/// through 2.5 s only on pings.
fn keep_alive_pings_hold_an_idle_link_open(version: Version) {
    let broker = Mosquitto::start();
    let mut options = options(version, "idle");
    options.keep_alive_secs = 1;
    let mut client = Client::connect(broker.ws_port, options);
    let events = client.run_for(Duration::from_millis(2_500));
    assert_eq!(events, []);
    assert!(client.is_open());
    assert!(
        client.stats.messages_out >= 3,
        "CONNECT and at least two pings, not {} messages",
        client.stats.messages_out
    );
    let id = client.publish(Message::new("still/alive", "yes", QoS::AtLeastOnce));
    assert_eq!(client.outcome(id), Ok(()));
}

/// A broker that stops answering while the link stays up: the unanswered ping ends the link.
fn a_frozen_broker_is_noticed_by_the_keep_alive(version: Version) {
    let broker = Mosquitto::start();
    let mut options = options(version, "hopeful");
    options.keep_alive_secs = 1;
    options.response_timeout = mqtt_engine::Duration::from_secs(1);
    let mut client = Client::connect(broker.ws_port, options);
    broker.freeze();
    let started = Instant::now();
    let reason = client.wait_disconnected();
    assert!(
        matches!(reason, DisconnectReason::PingTimeout { after } if after.as_millis() >= 1_000),
        "{reason:?}"
    );
    assert!(
        reason
            .to_string()
            .starts_with("the connection is dead: no answer to a ping after 1."),
        "{reason}"
    );
    assert!(started.elapsed() < Duration::from_millis(2_500));
    assert!(!client.is_open());
}

fn a_resumed_session_gets_what_was_published_while_away(version: Version) {
    let broker = Mosquitto::start();
    let mut sleeper_options = options(version, "sleeper");
    sleeper_options.clean_start = false;
    sleeper_options.session_expiry_secs = 300; // 5.0 ends the session with the link otherwise
    let mut sleeper = Client::open(broker.ws_port, sleeper_options).unwrap();
    assert!(!sleeper.wait_connected(), "a new session");
    sleeper.subscribe(&[("mail/#", QoS::ExactlyOnce)]);
    sleeper.drop_link();

    let mut sender = Client::connect(broker.ws_port, options(version, "sender"));
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let level = qos as u8;
        let id = sender.publish(Message::new(format!("mail/{level}"), "while away", qos));
        assert_eq!(sender.outcome(id), Ok(()));
    }

    sleeper.reopen(broker.ws_port).unwrap();
    assert!(sleeper.wait_connected(), "the broker kept the session");
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let message = sleeper.next_message();
        assert_eq!(message.topic, format!("mail/{}", qos as u8));
        assert_eq!(
            (&message.payload[..], message.qos),
            (&b"while away"[..], qos)
        );
    }
}

/// QoS 1 and 2 messages whose link died before they were sent stay in the session and go out
/// once it connects again, whether the broker kept the session or not.
fn messages_caught_by_a_dropped_link_go_out_on_the_next(version: Version) {
    let broker = Mosquitto::start();
    let mut observer = Client::connect(broker.ws_port, options(version, "observer"));
    observer.subscribe(&[("outbox/#", QoS::ExactlyOnce)]);

    for clean_start in [false, true] {
        let name = format!("unlucky-{clean_start}");
        let mut unlucky_options = options(version, &name);
        unlucky_options.clean_start = clean_start;
        unlucky_options.session_expiry_secs = if clean_start { 0 } else { 300 };
        let mut unlucky = Client::connect(broker.ws_port, unlucky_options);
        let ids: Vec<_> = [QoS::AtLeastOnce, QoS::ExactlyOnce]
            .into_iter()
            .map(|qos| {
                let message = Message::new(format!("outbox/{name}/{}", qos as u8), "late", qos);
                let now = unlucky.now();
                unlucky.session.publish(message, now).unwrap() // not flushed
            })
            .collect();
        unlucky.drop_link();
        assert_eq!(unlucky.session.unacknowledged(), 2);

        unlucky.reopen(broker.ws_port).unwrap();
        assert_eq!(unlucky.wait_connected(), !clean_start);
        for id in ids {
            assert_eq!(unlucky.outcome(id), Ok(()));
        }
        let mut topics: Vec<String> = (0..2).map(|_| observer.next_message().topic).collect();
        topics.sort();
        assert_eq!(topics, [1, 2].map(|level| format!("outbox/{name}/{level}")));
    }
    let late = observer.run_for(Duration::from_millis(200));
    assert_eq!(late, [], "nothing twice");
}

/// Mosquitto 2.0 answers a wrong password with "not authorized" in both versions: return code
/// 5 in 3.1.1, reason 0x87 in 5.0 (not 4 / 0x86, "bad user name or password").
fn a_wrong_password_is_refused_in_words(version: Version) {
    let broker = Mosquitto::setup().user("alice", "secret1").start();
    let with_password = |password: &str| {
        let mut options = options(version, "alice");
        options.credentials = Some(Credentials {
            username: "alice".into(),
            password: password.into(),
        });
        options
    };

    Client::connect(broker.ws_port, with_password("secret1"));

    let mut client = Client::open(broker.ws_port, with_password("secret2")).unwrap();
    let reason = client.wait_disconnected();
    assert_eq!(reason, DisconnectReason::Refused(ReasonCode(0x87)));
    assert_eq!(
        reason.to_string(),
        "the broker refused the connection: not authorized (reason code 0x87); check the user name and password"
    );
    assert!(!client.is_open());
}

fn a_forbidden_topic_is_refused_with_a_reason(version: Version) {
    let broker = Mosquitto::setup().deny("private/#").start();
    let mut client = Client::connect(broker.ws_port, options(version, "nosy"));

    let results = client.subscribe(&[
        ("public/news", QoS::AtLeastOnce),
        ("private/diary", QoS::AtLeastOnce),
    ]);
    assert_eq!(results[0].filter, "public/news");
    assert_eq!(results[0].outcome, Ok(QoS::AtLeastOnce));
    assert_eq!(results[1].filter, "private/diary");
    let refused = results[1].outcome.unwrap_err().to_string();
    let id = client.publish(Message::new(
        "private/diary",
        "dear diary",
        QoS::AtLeastOnce,
    ));
    let outcome = client.outcome(id);
    match version {
        // MQTT 3.1.1 has one failure code for SUBACK, without a reason, and none for PUBACK.
        Version::V3_1_1 => {
            assert_eq!(refused, "unspecified error (reason code 0x80)");
            assert_eq!(outcome, Ok(()));
        }
        Version::V5 => {
            assert_eq!(refused, "not authorized (reason code 0x87)");
            assert_eq!(outcome, Err(ReasonCode(0x87)));
        }
    }
    // The link survives both refusals.
    let id = client.publish(Message::new("public/news", "still here", QoS::AtLeastOnce));
    assert_eq!(client.outcome(id), Ok(()));
    assert_eq!(client.next_message().payload, "still here");
}

/// MQTT 5.0: a client that connects without an id learns the one the broker gave it.
#[test]
fn an_empty_client_id_is_replaced_by_the_one_the_broker_assigns() {
    let broker = Mosquitto::start();
    let client = Client::connect(broker.ws_port, options(Version::V5, ""));
    let assigned = &client.session.options().client_id;
    assert!(assigned.starts_with("auto-"), "{assigned:?}");
}

/// The driver pointed at Mosquitto's plain MQTT port: no WebSocket, and an error that says so.
#[test]
fn a_port_without_websockets_fails_the_handshake_clearly() {
    let broker = Mosquitto::start();
    let error = Client::open(broker.tcp_port, options(Version::V5, "lost"))
        .err()
        .expect("the handshake should fail");
    assert!(
        error.starts_with(&format!(
            "the WebSocket handshake with ws://127.0.0.1:{}/mqtt failed",
            broker.tcp_port
        )),
        "{error}"
    );
}
