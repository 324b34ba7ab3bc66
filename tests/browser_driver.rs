//! The browser driver against a real Mosquitto over WebSocket, in headless Chromium.
//! Run with scripts/browser-test, which starts the broker.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use mqtt_client::{Outcome, Status, SubState};
use mqtt_engine::{
    ConnectOptions, Credentials, Duration, Message, PublishError, QoS, TopicError, Version,
};
use wasm_bindgen_test::*;
use wasm_mqtt::Client;

wasm_bindgen_test_configure!(run_in_browser);

fn options(version: Version) -> ConnectOptions {
    let mut options = ConnectOptions::new(unique("driver"));
    options.version = version;
    options
}

/// Connects and waits for CONNACK.
async fn connected(version: Version) -> Client {
    let client = new_client();
    client.connect(&ws_url(), options(version));
    assert_eq!(status(client), Status::Connecting);
    wait_connected(client).await;
    client
}

/// Waits for the connection to fail and returns the reason shown.
async fn failure(client: Client) -> String {
    wait_until(
        "the connection to fail",
        10_000,
        || matches!(status(client), Status::Disconnected { .. }),
        || format!("{:?}", status(client)),
    )
    .await;
    match status(client) {
        Status::Disconnected { reason, by_you } => {
            assert!(!by_you, "a failure, not a disconnect the user asked for");
            reason
        }
        other => unreachable!("{other:?}"),
    }
}

async fn round_trip_at_every_qos(version: Version) {
    let client = connected(version).await;
    let topic = unique("driver/qos");
    client
        .subscribe(&topic, QoS::ExactlyOnce)
        .expect("subscribes");
    let granted = || {
        client
            .subscriptions()
            .with_untracked(|subscriptions| subscriptions.first().map(|s| s.state.clone()))
    };
    wait_until(
        "SUBACK",
        5_000,
        || granted().is_some_and(|state| !matches!(state, SubState::Pending(_))),
        || format!("{:?}", granted()),
    )
    .await;
    assert_eq!(granted(), Some(SubState::Granted(QoS::ExactlyOnce)));

    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let payload = format!("at qos {}", qos as u8);
        client
            .publish(Message::new(topic.clone(), payload, qos))
            .expect("publishes");
    }
    let received = || {
        client.received().with_untracked(|log| {
            log.iter()
                .map(|(_, m)| (String::from_utf8_lossy(&m.payload).into_owned(), m.qos))
                .collect::<Vec<_>>()
        })
    };
    wait_until(
        "three messages back",
        5_000,
        || received().len() == 3,
        || format!("{:?}", received()),
    )
    .await;
    let mut received = received();
    received.sort_by_key(|(_, qos)| *qos as u8);
    assert_eq!(
        received,
        [
            ("at qos 0".to_string(), QoS::AtMostOnce),
            ("at qos 1".to_string(), QoS::AtLeastOnce),
            ("at qos 2".to_string(), QoS::ExactlyOnce),
        ]
    );
    let outcomes = || outcomes_of(client);
    wait_until(
        "every publish acknowledged",
        5_000,
        || outcomes().iter().all(|o| *o == Outcome::Delivered),
        || format!("{:?}", outcomes()),
    )
    .await;
    assert_eq!(outcomes().len(), 3);

    client.unsubscribe(&topic).expect("unsubscribes");
    wait_until(
        "UNSUBACK",
        5_000,
        || client.subscriptions().with_untracked(Vec::is_empty),
        || format!("{:?}", client.subscriptions().get_untracked()),
    )
    .await;
    client.disconnect();
    assert!(matches!(
        status(client),
        Status::Disconnected { by_you: true, .. }
    ));
}

#[wasm_bindgen_test]
async fn round_trip_at_qos_0_1_2_over_mqtt_5() {
    round_trip_at_every_qos(Version::V5).await;
}

#[wasm_bindgen_test]
async fn round_trip_at_qos_0_1_2_over_mqtt_3_1_1() {
    round_trip_at_every_qos(Version::V3_1_1).await;
}

#[wasm_bindgen_test]
async fn a_wrong_password_is_named() {
    for version in [Version::V3_1_1, Version::V5] {
        let client = new_client();
        let mut options = options(version);
        options.credentials = Some(Credentials {
            username: "alice".into(),
            password: "wrong".into(),
        });
        client.connect(&ws_auth_url(), options);
        let reason = failure(client).await;
        // Mosquitto 2.0.11 answers "not authorized" (3.1.1 return code 5, 5.0 reason 0x87).
        assert!(
            reason.contains("the broker refused the connection: not authorized")
                || reason.contains("the broker refused the connection: bad user name or password"),
            "{version:?}: {reason}"
        );
    }
}

#[wasm_bindgen_test]
async fn the_right_password_connects() {
    let client = new_client();
    let mut options = options(Version::V5);
    options.credentials = Some(Credentials {
        username: "alice".into(),
        password: "secret1".into(),
    });
    client.connect(&ws_auth_url(), options);
    wait_connected(client).await;
    client.disconnect();
}

#[wasm_bindgen_test]
async fn a_refused_port_is_named() {
    let client = new_client();
    let url = closed_url();
    client.connect(&url, options(Version::V5));
    let reason = failure(client).await;
    assert!(
        reason.contains(&format!("could not open a WebSocket to {url}")),
        "{reason}"
    );
    assert!(reason.contains("The port may be closed"), "{reason}");
}

#[wasm_bindgen_test]
async fn a_server_that_is_not_mqtt_over_websocket_is_named() {
    let client = new_client();
    client.connect(&tcp_as_ws_url(), options(Version::V5));
    let reason = failure(client).await;
    assert!(
        reason.contains("does not speak MQTT over WebSocket"),
        "{reason}"
    );
}

#[wasm_bindgen_test]
async fn websocket_servers_that_are_not_mqtt_are_named() {
    let cases = [
        (
            "close",
            "accepted the WebSocket but closed it before answering CONNECT",
        ),
        ("close", "1002: protocol error"),
        ("echo", "answered CONNECT with CONNECT, not CONNACK"),
        ("text", "sent a text message"),
    ];
    for (path, expected) in cases {
        let client = new_client();
        client.connect(&not_mqtt_url(path), options(Version::V5));
        let reason = failure(client).await;
        assert!(reason.contains(expected), "{path}: {reason}");
    }
}

#[wasm_bindgen_test]
async fn bad_addresses_are_named_at_once() {
    let client = new_client();
    let cases = [
        (
            "http://127.0.0.1:8083/mqtt",
            "reached with ws://127.0.0.1:8083/mqtt",
        ),
        ("mqtt://127.0.0.1:1883", "cannot open plain TCP"),
        ("127.0.0.1:8083", "must start with ws:// or wss://"),
        ("ws://[::1/mqtt", "the browser refused the address"),
    ];
    for (url, expected) in cases {
        client.connect(url, options(Version::V5));
        // Named without trying the network: as soon as the worker has the Connect.
        wait_until(
            "the address to be refused",
            1_000,
            || !status(client).is_active(),
            || format!("{:?}", status(client)),
        )
        .await;
        match status(client) {
            Status::Disconnected {
                reason,
                by_you: false,
            } => assert!(reason.contains(expected), "{url}: {reason}"),
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn invalid_settings_are_named() {
    let client = new_client();
    let mut options = options(Version::V5);
    options.client_id = String::new();
    options.clean_start = false;
    client.connect(&ws_url(), options);
    let reason = failure(client).await;
    assert!(reason.contains("settings are not valid"), "{reason}");
    assert!(reason.contains("clean start"), "{reason}");
}

#[wasm_bindgen_test]
async fn the_timer_keeps_an_idle_connection_alive() {
    // Keep-alive 1 s: without pings the broker drops the client after 1.5 s.
    let client = new_client();
    let mut options = options(Version::V3_1_1);
    options.keep_alive_secs = 1;
    options.response_timeout = Duration::from_secs(1);
    client.connect(&ws_url(), options);
    wait_connected(client).await;
    pause(3_500).await;
    assert!(status(client).is_connected(), "{:?}", status(client));
    client.disconnect();
}

#[wasm_bindgen_test]
async fn commands_of_one_turn_go_out_in_one_send() {
    // Through the relay, which counts the WebSocket messages that carry PUBLISHes.
    let name = unique("coalesce");
    let client = new_client();
    client.connect(&relay_url(&name), options(Version::V5));
    wait_connected(client).await;
    let topic = unique("driver/coalesce");
    client
        .subscribe(&topic, QoS::AtMostOnce)
        .expect("subscribes");
    wait_granted(client, &topic).await;

    // QoS 0: QoS 1 and 2 would wait for room in the broker's receive window.
    for n in 0..100 {
        client
            .publish(Message::new(topic.clone(), format!("{n}"), QoS::AtMostOnce))
            .expect("publishes");
    }
    wait_until(
        "100 messages back",
        5_000,
        || client.received().with_untracked(|log| log.total()) == 100,
        || {
            format!(
                "{} received",
                client.received().with_untracked(|log| log.total())
            )
        },
    )
    .await;
    assert_eq!(
        server_command("sent", &name).await,
        "100 0 1",
        "one send for 100 publishes"
    );
    client.disconnect();
}

#[wasm_bindgen_test]
async fn a_client_never_connected_refuses_and_a_closed_one_queues_until_it_connects_again() {
    let never = new_client();
    assert_eq!(
        never.publish(Message::new("t", "x", QoS::AtMostOnce)),
        Err(PublishError::NotConnected),
        "no broker, no session: nowhere to send it"
    );

    let options = options(Version::V5);
    let topic = unique("driver/closed");
    let client = new_client();
    client.connect(&ws_url(), options.clone());
    client
        .subscribe(&topic, QoS::AtLeastOnce)
        .expect("subscribes before CONNACK");
    wait_granted(client, &topic).await;
    client.disconnect();
    let queued = client
        .publish(Message::new(
            topic.clone(),
            "while closed",
            QoS::AtLeastOnce,
        ))
        .expect("queued while closed");
    assert_eq!(
        client.publish_if_connected(Message::new(topic.clone(), "x", QoS::AtMostOnce)),
        Err(PublishError::NotConnected)
    );
    wait_until(
        "the queued message counted",
        2_000,
        || client.queue().get_untracked().queued == 1,
        || format!("{:?}", client.queue().get_untracked()),
    )
    .await;

    // The same settings: the same session, which subscribes again (the broker forgot) and
    // sends what waited.
    client.connect(&ws_url(), options);
    wait_until(
        "the queued message back",
        5_000,
        || client.received().with_untracked(|log| log.total()) == 1,
        || format!("{:?}", client.sent().get_untracked()),
    )
    .await;
    wait_until(
        "PUBACK",
        5_000,
        || {
            client.sent().with_untracked(|log| {
                log.iter()
                    .any(|(_, s)| s.id == queued && s.outcome == Outcome::Delivered)
            })
        },
        || format!("{:?}", client.sent().get_untracked()),
    )
    .await;
    client.disconnect();
}

/// Waits for the driver to have lost a link that had come up, and returns why.
async fn lost(client: Client) -> String {
    wait_until(
        "the link to be lost",
        10_000,
        || client.retry().with_untracked(|retry| retry.active),
        || format!("{:?}", status(client)),
    )
    .await;
    client
        .retry()
        .get_untracked()
        .last_reason
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn a_server_that_closes_in_the_middle_of_a_packet_is_named() {
    // In the middle of the CONNACK: no broker as far as the client can tell; not retried.
    let client = new_client();
    client.connect(&not_mqtt_url("connack-cut"), options(Version::V5));
    let reason = failure(client).await;
    assert!(
        reason.contains("accepted the WebSocket but closed it before answering CONNECT"),
        "{reason}"
    );
    // In the middle of a PUBLISH, after CONNACK: a lost link, tried again.
    let client = new_client();
    client.connect(&not_mqtt_url("publish-cut"), options(Version::V5));
    let reason = lost(client).await;
    assert!(
        reason.starts_with("the connection to the broker was lost (WebSocket close code 1006"),
        "{reason}"
    );
    client.disconnect();
    assert_eq!(status(client).kind(), "disconnected");
}

#[wasm_bindgen_test]
async fn a_topic_that_is_not_utf8_is_named_and_the_client_goes_on() {
    for version in [Version::V3_1_1, Version::V5] {
        let client = new_client();
        client.connect(&not_mqtt_url("bad-topic"), options(version));
        assert_eq!(
            lost(client).await,
            "the broker sent a malformed packet: a topic or string that is not valid UTF-8",
            "{version:?}"
        );
        assert!(client.received().with_untracked(|log| log.total()) == 0);
        client.disconnect();
        // The same client, to a real broker.
        client.connect(&ws_url(), options(version));
        wait_connected(client).await;
        client.disconnect();
    }
}

#[wasm_bindgen_test]
async fn a_subscription_the_broker_refuses_is_named() {
    // The strict broker's dynamic security refuses denied/#.
    let expected = [
        (Version::V3_1_1, "unspecified error (reason code 0x80)"),
        (Version::V5, "not authorized (reason code 0x87)"),
    ];
    for (version, refusal) in expected {
        let client = new_client();
        client.connect(&strict_url(), options(version));
        client
            .subscribe("denied/x", QoS::AtLeastOnce)
            .expect("asks");
        client
            .subscribe("allowed/x", QoS::AtLeastOnce)
            .expect("asks");
        let states = || {
            client.subscriptions().with_untracked(|list| {
                list.iter()
                    .map(|s| (s.filter.clone(), s.state.clone()))
                    .collect::<Vec<_>>()
            })
        };
        wait_until(
            "both SUBACKs",
            5_000,
            || {
                let states = states();
                states.len() == 2
                    && (states.iter()).all(|(_, state)| !matches!(state, SubState::Pending(_)))
            },
            || format!("{:?}", states()),
        )
        .await;
        assert_eq!(
            states(),
            [
                (
                    "denied/x".to_string(),
                    SubState::Refused(refusal.to_string())
                ),
                ("allowed/x".to_string(), SubState::Granted(QoS::AtLeastOnce)),
            ],
            "{version:?}"
        );
        let error = client.errors().with_untracked(|log| log.last().cloned());
        assert_eq!(
            error.map(|notice| notice.text),
            Some(format!(
                "the broker refused the subscription to 'denied/x': {refusal}"
            ))
        );
        assert!(status(client).is_connected());
        client.disconnect();
    }
}

#[wasm_bindgen_test]
async fn a_payload_over_the_brokers_maximum_is_refused_and_the_link_stays_up() {
    // The strict broker's max_packet_size is 2048 bytes; MQTT 5.0 CONNACK says so.
    let options = options(Version::V5);
    let client = new_client();
    client.connect(&strict_url(), options.clone());
    wait_connected(client).await;
    let big = Message::new("big/t", vec![b'x'; 3_000], QoS::AtLeastOnce);
    // Refused by the session, in the worker: the message's outcome says why.
    let refused = client.publish(big.clone()).expect("handed to the worker");
    let refusal = || outcome_of(client, refused);
    wait_until(
        "the refusal",
        5_000,
        || matches!(refusal(), Some(Outcome::Failed(_))),
        || format!("{:?}", refusal()),
    )
    .await;
    match refusal() {
        Some(Outcome::Failed(reason)) => assert!(
            reason.ends_with("over the broker's limit of 2048 bytes"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    // Queued while closed, when the limit is not known: refused after the next CONNACK.
    client.disconnect();
    let queued = client.publish(big).expect("queued while closed");
    client.connect(&strict_url(), options);
    let outcome = || outcome_of(client, queued);
    wait_until(
        "the queued message to fail",
        5_000,
        || matches!(outcome(), Some(Outcome::Failed(_))),
        || format!("{:?}", outcome()),
    )
    .await;
    assert_eq!(
        outcome(),
        Some(Outcome::Failed(
            "the broker refused the message: packet too large (reason code 0x95)".into()
        ))
    );
    assert!(status(client).is_connected(), "{:?}", status(client));
    client
        .publish(Message::new("big/t", "small", QoS::AtLeastOnce))
        .expect("a small one goes");
    client.disconnect();
}

#[wasm_bindgen_test]
async fn topics_with_wildcards_or_none_are_refused_connected_or_not() {
    let client = connected(Version::V5).await;
    for _ in 0..2 {
        for topic in ["a/+", "a/#", ""] {
            let refused = client.publish(Message::new(topic, "x", QoS::AtMostOnce));
            assert!(
                matches!(refused, Err(PublishError::InvalidTopic(_))),
                "{topic:?}: {refused:?}"
            );
        }
        assert_eq!(
            client
                .publish(Message::new("", "x", QoS::AtMostOnce))
                .unwrap_err(),
            PublishError::InvalidTopic(TopicError::Empty)
        );
        client.disconnect();
    }
}

/// A count of the animation frames from now on: call it to read the count.
fn frame_counter() -> js_sys::Function {
    js_sys::Function::new_no_args(
        "let frames = 0;
         const tick = () => { frames += 1; requestAnimationFrame(tick); };
         requestAnimationFrame(tick);
         return () => frames;",
    )
    .call0(&wasm_bindgen::JsValue::NULL)
    .ok()
    .and_then(|counter| wasm_bindgen::JsCast::dyn_into(counter).ok())
    .expect("a frame counter")
}

#[wasm_bindgen_test]
async fn messages_that_arrive_within_a_frame_make_one_update() {
    let receiver = connected(Version::V3_1_1).await;
    let topic = unique("driver/frames");
    receiver.subscribe(&topic, QoS::AtMostOnce).unwrap();
    wait_granted(receiver, &topic).await;
    let sender = connected(Version::V3_1_1).await;

    // Every time the received log tells its readers, and what they see then.
    let updates = StoredValue::new((0u32, 0u64));
    let _reader = leptos::reactive::effect::ImmediateEffect::new(move || {
        let total = receiver.received().with(|log| log.total());
        updates.update_value(|(runs, seen)| (*runs, *seen) = (*runs + 1, total));
    });
    let before = updates.get_value().0;
    let frames = frame_counter();
    let n = 500;
    for i in 0..n {
        sender
            .publish(Message::new(topic.clone(), format!("{i}"), QoS::AtMostOnce))
            .unwrap();
    }
    wait_until(
        "every message to arrive",
        10_000,
        || receiver.received().with_untracked(|log| log.total()) == n,
        || {
            format!(
                "{:?}",
                receiver.received().with_untracked(|log| log.total())
            )
        },
    )
    .await;
    pause(100).await; // the frame after the last message
    let frames = frames
        .call0(&wasm_bindgen::JsValue::NULL)
        .ok()
        .and_then(|count| count.as_f64())
        .unwrap_or(0.0) as u32;
    let (runs, seen) = updates.get_value();
    let told = runs - before;
    assert_eq!(seen, n, "the readers were told of the last message");
    assert!(
        (1..=frames + 1).contains(&told),
        "{told} updates in {frames} frames for {n} messages"
    );
    sender.disconnect();
    receiver.disconnect();
}

#[wasm_bindgen_test]
async fn a_received_handler_hears_each_message_and_its_publishes_go_out_together() {
    // Through the relay, which counts the WebSocket messages that carry PUBLISHes: the
    // receiver's are its echoes.
    let name = unique("echoes");
    let receiver = new_client();
    receiver.connect(&relay_url(&name), options(Version::V5));
    wait_connected(receiver).await;
    let topic = unique("driver/handler");
    let echo = unique("driver/echo");
    receiver.subscribe(&topic, QoS::AtLeastOnce).unwrap();
    receiver.subscribe(&echo, QoS::AtMostOnce).unwrap();
    wait_granted(receiver, &topic).await;
    wait_granted(receiver, &echo).await;
    let sender = connected(Version::V5).await;

    // Each message of `topic` heard as it reaches the page, and echoed from the handler.
    let heard = StoredValue::new(Vec::<String>::new());
    receiver.on_received({
        let topic = topic.clone();
        let echo = echo.clone();
        move |message| {
            if message.topic == topic {
                let text = String::from_utf8_lossy(&message.payload).into_owned();
                let reply = Message::new(echo.clone(), text.clone(), QoS::AtMostOnce);
                receiver.publish(reply).expect("a handler may publish");
                heard.update_value(|heard| heard.push(text));
            }
        }
    });
    let n = 200;
    for i in 0..n {
        sender
            .publish(Message::new(
                topic.clone(),
                format!("{i}"),
                QoS::AtLeastOnce,
            ))
            .unwrap();
    }
    wait_until(
        "every message and its echo to arrive",
        10_000,
        || receiver.received().with_untracked(|log| log.total()) == 2 * n,
        || {
            format!(
                "{} heard, {} received",
                heard.with_value(Vec::len),
                receiver.received().with_untracked(|log| log.total())
            )
        },
    )
    .await;
    let sent = server_command("sent", &name).await;
    let counts: Vec<u64> = sent.split(' ').filter_map(|n| n.parse().ok()).collect();
    assert_eq!(counts.first(), Some(&n), "every echo went out: {sent}");
    let sends = counts.get(2).copied().unwrap_or(u64::MAX);
    let expected: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    assert_eq!(heard.get_value(), expected, "each message, in order, once");
    web_sys::console::log_1(&format!("{n} echoes went out in {sends} sends").into());
    assert!(
        sends <= n / 2,
        "the echoes of a frame go out in one send: {n} echoes in {sends} sends"
    );
    sender.disconnect();
    receiver.disconnect();
}

/// A handler that publishes is heard by the broker whenever the message came: the first one
/// after a connect (a retained message, with the CONNACK's burst), and those still in the
/// link's inbox when the user connects again, which the connection reads before it reconnects.
#[wasm_bindgen_test]
async fn a_received_handler_publishes_on_the_first_message_after_a_connect_and_a_reconnect() {
    let topic = unique("driver/first");
    let echo = unique("driver/first-echo");
    let sender = connected(Version::V5).await;
    sender.subscribe(&echo, QoS::AtLeastOnce).unwrap();
    wait_granted(sender, &echo).await;
    sender
        .publish(Message {
            retain: true,
            ..Message::new(topic.clone(), "retained", QoS::AtLeastOnce)
        })
        .unwrap();

    let receiver = new_client();
    let refused = StoredValue::new(Vec::<String>::new());
    let answered = StoredValue::new(std::collections::BTreeSet::<String>::new());
    // Messages the handler heard inside a Connect: those the link had not handed over yet.
    let connecting = StoredValue::new(false);
    let heard_while_connecting = StoredValue::new(0);
    receiver.on_received({
        let topic = topic.clone();
        let echo = echo.clone();
        move |message| {
            if message.topic != topic {
                return;
            }
            if connecting.get_value() {
                heard_while_connecting.update_value(|heard| *heard += 1);
            }
            let text = String::from_utf8_lossy(&message.payload).into_owned();
            match receiver.publish(Message::new(echo.clone(), text.clone(), QoS::AtLeastOnce)) {
                Ok(_) => answered.update_value(|answered| {
                    answered.insert(text);
                }),
                Err(error) => refused.update_value(|refused| refused.push(error.to_string())),
            }
        }
    });
    let receiver_options = options(Version::V5);
    receiver.connect(&ws_url(), receiver_options.clone());
    wait_connected(receiver).await;
    receiver.subscribe(&topic, QoS::AtMostOnce).unwrap();
    // What came back, once each: QoS 1 may bring a message twice, and each resubscribe brings
    // the retained message again.
    let echoes = move || {
        sender.received().with_untracked(|log| {
            (log.iter())
                .map(|(_, m)| String::from_utf8_lossy(&m.payload).into_owned())
                .collect::<std::collections::BTreeSet<_>>()
        })
    };
    wait_until(
        "the echo of the retained message",
        5_000,
        || echoes().contains("retained"),
        || format!("{:?}", refused.get_value()),
    )
    .await;

    // Bursts that are still arriving when the user connects again: some of their messages may
    // be in the link's inbox then, and are handed to the handler by the Connect itself (how
    // many depends on the timing: the count is printed).
    for round in 0..10u64 {
        for i in 0..20 {
            let text = format!("round {round} message {i}");
            sender
                .publish(Message::new(topic.clone(), text, QoS::AtMostOnce))
                .unwrap();
        }
        pause(round % 4).await;
        connecting.set_value(true);
        receiver.connect(&ws_url(), receiver_options.clone());
        connecting.set_value(false);
        wait_connected(receiver).await;
    }
    pause(300).await;
    wait_until(
        "an echo of every message the receiver heard",
        10_000,
        || echoes() == answered.get_value(),
        || {
            let missing = answered.with_value(|answered| answered.difference(&echoes()).count());
            format!(
                "{missing} echoes missing; refused: {:?}",
                refused.get_value()
            )
        },
    )
    .await;
    web_sys::console::log_1(
        &format!(
            "{} messages echoed, {} of them heard inside a Connect",
            answered.with_value(|answered| answered.len()),
            heard_while_connecting.get_value()
        )
        .into(),
    );
    assert_eq!(
        refused.get_value(),
        Vec::<String>::new(),
        "no publish refused"
    );
    sender
        .publish(Message {
            retain: true,
            ..Message::new(topic, "", QoS::AtMostOnce)
        })
        .unwrap();
    sender.disconnect();
    receiver.disconnect();
}
