//! Nothing lost: the driver reconnects on its own, resumes the session, queues what is
//! published meanwhile (in this browser's storage too), and finds a dead link even when a
//! hidden tab's timers come late. In headless Chromium, against Mosquitto through a relay the
//! tests cut (scripts/not-mqtt-server.mjs), and against test servers that misbehave.
//! Run with scripts/browser-test.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use wasm_bindgen_test::*;
use mqtt_client::stored_queue;
use mqtt_client::{Outcome, Status};
use wasm_mqtt::Client;
use mqtt_engine::{ConnectOptions, Message, Pending, PublishError, QoS, Version};

wasm_bindgen_test_configure!(run_in_browser);

fn options(prefix: &str, version: Version) -> ConnectOptions {
    let mut options = ConnectOptions::new(unique(prefix));
    options.version = version;
    options
}

async fn wait_for(client: Client, kind: &str, limit_ms: u64) {
    wait_until(
        &format!("the status to be {kind}"),
        limit_ms,
        || status(client).kind() == kind,
        || format!("{:?}; {:?}", status(client), client.retry().get_untracked()),
    )
    .await;
}

async fn connect(url: &str, options: ConnectOptions) -> Client {
    let client = Client::new();
    client.connect(url, options);
    wait_for(client, "connected", 5_000).await;
    client
}

/// As `connect`, in a tab of its own, which the test can close.
async fn connect_in_tab(url: &str, options: ConnectOptions) -> Tab {
    let tab = Tab::open();
    tab.client.connect(url, options);
    wait_for(tab.client, "connected", 5_000).await;
    tab
}

/// A client straight on the broker, subscribed to `topic`: what arrives there is what the
/// client under test got through.
async fn observer(topic: &str) -> Client {
    let client = connect(&ws_url(), options("observer", Version::V5)).await;
    client
        .subscribe(topic, QoS::ExactlyOnce)
        .expect("subscribes");
    wait_granted(client, topic).await;
    client
}

fn payloads(client: Client) -> Vec<String> {
    client.received().with_untracked(|log| {
        log.iter()
            .map(|(_, m)| String::from_utf8_lossy(&m.payload).into_owned())
            .collect()
    })
}

async fn wait_for_payloads(client: Client, expected: &[String], limit_ms: u64) {
    wait_until(
        &format!("{} messages", expected.len()),
        limit_ms,
        || payloads(client).len() >= expected.len(),
        || format!("{:?}", payloads(client)),
    )
    .await;
    assert_eq!(payloads(client), expected);
}

#[wasm_bindgen_test]
async fn a_lost_link_is_tried_again_and_the_session_goes_on() {
    let name = unique("lost");
    let topic = unique("reconnect/lost");
    let client = connect(&relay_url(&name), options("lost", Version::V5)).await;
    client
        .subscribe(&topic, QoS::AtLeastOnce)
        .expect("subscribes");
    wait_until("SUBACK", 5_000, || granted(client, &topic), String::new).await;

    let started = js_sys::Date::now();
    assert_eq!(server_command("cut", &name).await, "ok");
    wait_for(client, "reconnecting", 5_000).await;
    let retry = client.retry().get_untracked();
    assert!(retry.active, "{retry:?}");
    let reason = retry.last_reason.unwrap_or_default();
    assert!(
        reason.contains("the connection to the broker was lost"),
        "{reason}"
    );
    assert!(
        status(client)
            .text()
            .starts_with("Connection lost: the connection to the broker was lost"),
        "{}",
        status(client).text()
    );
    wait_for(client, "connected", 5_000).await;
    let took = js_sys::Date::now() - started;
    assert!(
        took < 1_500.0,
        "the first try comes within 0.5 s; took {took} ms"
    );
    let retry = client.retry().get_untracked();
    assert!(
        !retry.active && retry.attempt == 0,
        "CONNACK resets: {retry:?}"
    );

    // Clean start: the broker forgot the subscription, and the session asked for it again.
    wait_until(
        "the new SUBACK",
        5_000,
        || granted(client, &topic),
        || format!("{:?}", client.subscriptions().get_untracked()),
    )
    .await;
    client
        .publish(Message::new(
            topic.clone(),
            "after the reconnect",
            QoS::AtLeastOnce,
        ))
        .expect("publishes");
    wait_for_payloads(client, &["after the reconnect".to_string()], 5_000).await;
    client.disconnect();
    assert_eq!(status(client).kind(), "disconnected");
}

#[wasm_bindgen_test]
async fn tries_back_off_while_the_broker_is_away_and_publishes_wait_in_order() {
    let name = unique("away");
    let topic = unique("reconnect/away");
    let observer = observer(&topic).await;
    let client = connect(&relay_url(&name), options("away", Version::V5)).await;

    assert_eq!(server_command("down", &name).await, "ok");
    wait_for(client, "reconnecting", 5_000).await;
    // Published while the broker is away: kept in order, at every QoS.
    let expected: Vec<String> = (0..9).map(|n| format!("queued {n}")).collect();
    for (n, payload) in expected.iter().enumerate() {
        let qos = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce][n % 3];
        client
            .publish(Message::new(topic.clone(), payload.clone(), qos))
            .expect("queued");
    }
    pause(0).await; // the signals follow at the end of the turn
    let queue = client.queue().get_untracked();
    assert_eq!((queue.queued, queue.unacknowledged), (9, 9), "{queue:?}");
    let outcomes = || {
        client.sent().with_untracked(|log| {
            log.iter()
                .map(|(_, s)| s.outcome.clone())
                .collect::<Vec<_>>()
        })
    };
    assert!(outcomes().iter().all(|o| *o == Outcome::Pending));

    // Tries fail (the relay refuses the WebSocket); each waits longer than the one before.
    let mut delays = Vec::new();
    let mut seen = 0;
    wait_until(
        "three failed tries",
        10_000,
        || {
            let retry = client.retry().get_untracked();
            if let Some(at) = retry.next_try_at {
                if retry.attempt > seen {
                    seen = retry.attempt;
                    delays.push(at - js_sys::Date::now());
                }
            }
            retry.attempt >= 3 && retry.next_try_at.is_some()
        },
        || format!("{:?}", client.retry().get_untracked()),
    )
    .await;
    let retry = client.retry().get_untracked();
    let reason = retry.last_reason.clone().unwrap_or_default();
    assert!(reason.contains("could not open a WebSocket"), "{reason}");
    assert!(
        status(client).text().contains("could not open a WebSocket"),
        "{:?}",
        status(client)
    );
    // Backoff steps: ≤ 1 s after the first failed try, 1–2 s after the second.
    assert!(delays.iter().all(|delay| *delay <= 4_000.0), "{delays:?}");

    assert_eq!(server_command("up", &name).await, "ok");
    client.retry_now();
    wait_for(client, "connected", 5_000).await;
    wait_until(
        "the nine messages at the observer",
        5_000,
        || payloads(observer).len() >= 9,
        || format!("{:?}", payloads(observer)),
    )
    .await;
    // MQTT keeps order within a QoS (Mosquitto forwards a QoS 2 message on PUBREL, so the
    // levels interleave at the observer).
    let received = payloads(observer);
    for qos in 0..3 {
        let sent: Vec<&String> = expected.iter().skip(qos).step_by(3).collect();
        let got: Vec<&String> = received.iter().filter(|p| sent.contains(p)).collect();
        assert_eq!(got, sent, "QoS {qos}: {received:?}");
    }
    assert_eq!(received.len(), 9, "{received:?}");
    wait_until(
        "every message acknowledged",
        5_000,
        || outcomes().iter().all(|o| *o == Outcome::Delivered),
        || format!("{:?}", outcomes()),
    )
    .await;
    let queue = client.queue().get_untracked();
    assert_eq!(
        (queue.queued, queue.unacknowledged, queue.dropped),
        (0, 0, 0)
    );
    client.disconnect();
    observer.disconnect();
}

#[wasm_bindgen_test]
async fn the_queue_drops_past_its_bound_and_counts_it() {
    let name = unique("bound");
    let mut options = options("bound", Version::V3_1_1);
    options.max_queued_messages = 3;
    let client = connect(&relay_url(&name), options).await;
    server_command("down", &name).await;
    wait_for(client, "reconnecting", 5_000).await;
    let results: Vec<_> = (0..5)
        .map(|n| client.publish(Message::new("bound/t", format!("{n}"), QoS::AtLeastOnce)))
        .collect();
    assert!(results[..3].iter().all(Result::is_ok), "{results:?}");
    assert!(
        matches!(results[3], Err(PublishError::QueueFull { messages: 3, .. })),
        "{results:?}"
    );
    pause(0).await;
    let queue = client.queue().get_untracked();
    assert_eq!((queue.queued, queue.dropped), (3, 2), "{queue:?}");
    client.cancel_reconnect();
    server_command("up", &name).await;
}

#[wasm_bindgen_test]
async fn a_message_a_3_1_1_broker_drops_the_link_for_is_given_up_and_the_rest_goes_on() {
    // The strict broker takes packets of 2048 bytes at most, and a 3.1.1 client has no way
    // to know: its TCP listener (here behind a WebSocket bridge) closes the link on a larger one.
    let client = connect(
        &not_mqtt_url("tcp-bridge"),
        options("too-big", Version::V3_1_1),
    )
    .await;
    let big = (client.publish(Message::new("big/t", vec![b'x'; 3_000], QoS::AtLeastOnce)))
        .expect("accepted: the limit is not known");
    let small =
        (client.publish(Message::new("big/t", "small", QoS::AtLeastOnce))).expect("accepted");
    let outcome = |id| outcome_of(client, id);
    wait_until(
        "the small message to be delivered",
        15_000,
        || outcome(small) == Some(Outcome::Delivered),
        || {
            format!(
                "{:?} {:?} {:?}",
                outcome(big),
                outcome(small),
                status(client)
            )
        },
    )
    .await;
    match outcome(big) {
        Some(Outcome::Failed(reason)) => assert!(
            reason.starts_with(
                "not sent again: the broker closed the connection each of the last 3 times"
            ),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(status(client).is_connected(), "{:?}", status(client));
    let errors = client.errors().with_untracked(|log| log.len());
    pause(1_500).await;
    assert!(status(client).is_connected(), "no reconnect loop");
    assert_eq!(client.errors().with_untracked(|log| log.len()), errors);
    client.disconnect();
}

#[wasm_bindgen_test]
async fn two_clients_with_one_client_id_on_3_1_1_back_off_instead_of_taking_turns() {
    // Each connect takes the session from the other, and a 3.1.1 broker just closes the link.
    // Retried from the first step of the backoff after each CONNACK, the two take turns about
    // twice a second for ever; backing off, they have slowed to a few seconds apart by 8 s.
    let options = options("twin", Version::V3_1_1);
    let first = connect(&ws_url(), options.clone()).await;
    let second = Client::new();
    second.connect(&ws_url(), options);
    let mut connects = Vec::new();
    let mut linked = [true, false];
    let start = js_sys::Date::now();
    while js_sys::Date::now() - start < 12_000.0 {
        for (was, client) in linked.iter_mut().zip([first, second]) {
            let is = status(client).is_connected();
            if is && !*was {
                connects.push(js_sys::Date::now() - start);
            }
            *was = is;
        }
        pause(10).await;
    }
    let late = connects.iter().filter(|at| **at > 8_000.0).count();
    assert!(late <= 3, "connects at {connects:?} ms");
    assert!(connects.len() >= 4, "they did take turns: {connects:?}");
    first.disconnect();
    second.disconnect();
}

#[wasm_bindgen_test]
async fn a_final_refusal_stops_retrying_and_says_so() {
    for version in [Version::V3_1_1, Version::V5] {
        let name = unique("revoke");
        let client = connect(
            &not_mqtt_url(&format!("revoke/{name}")),
            options("revoke", version),
        )
        .await;
        // The link drops; the try that follows is refused as not authorized.
        wait_for(client, "failed", 5_000).await;
        let text = status(client).text();
        assert!(
            text.contains("the broker refused the connection: not authorized"),
            "{version:?}: {text}"
        );
        assert!(text.contains("Not trying again"), "{text}");
        let retry = client.retry().get_untracked();
        assert!(!retry.active && retry.attempt == 1, "{retry:?}");
        pause(1_500).await;
        assert_eq!(status(client).kind(), "failed", "no more tries");
    }
}

#[wasm_bindgen_test]
async fn cancel_stops_retrying_and_connect_takes_the_session_up_again() {
    let name = unique("cancel");
    let topic = unique("reconnect/cancel");
    let observer = observer(&topic).await;
    let options = options("cancel", Version::V5);
    let client = connect(&relay_url(&name), options.clone()).await;
    server_command("down", &name).await;
    wait_for(client, "reconnecting", 5_000).await;
    client
        .publish(Message::new(
            topic.clone(),
            "kept through cancel",
            QoS::AtLeastOnce,
        ))
        .expect("queued");
    client.cancel_reconnect();
    assert_eq!(status(client).kind(), "disconnected");
    assert!(!client.retry().get_untracked().active);
    server_command("up", &name).await;
    pause(1_500).await;
    assert_eq!(
        status(client).kind(),
        "disconnected",
        "no tries after Cancel"
    );

    // The same settings: the same session, and what it queued goes out.
    client.connect(&relay_url(&name), options);
    wait_for(client, "connected", 5_000).await;
    wait_for_payloads(observer, &["kept through cancel".to_string()], 5_000).await;
    client.disconnect();
    observer.disconnect();
}

/// The broker kept the session: a QoS 2 message whose PUBREC was lost with the link comes again
/// (DUP) after the resume, and is shown once.
async fn qos_2_redelivered_after_a_resume_is_shown_once(version: Version) {
    let name = unique("resume");
    let topic = unique("reconnect/resume");
    let mut options = options("resume", version);
    options.clean_start = false;
    options.session_expiry_secs = 60; // 5.0: keep the session a minute after the link closes
    let client = connect(&relay_url(&name), options).await;
    client
        .subscribe(&topic, QoS::ExactlyOnce)
        .expect("subscribes");
    wait_until("SUBACK", 5_000, || granted(client, &topic), String::new).await;

    // From here the broker hears nothing from the client: its PUBREC is lost.
    server_command("mute", &name).await;
    let sender = connect(&ws_url(), self::options("sender", Version::V5)).await;
    sender
        .publish(Message::new(
            topic.clone(),
            "exactly once",
            QoS::ExactlyOnce,
        ))
        .expect("publishes");
    wait_for_payloads(client, &["exactly once".to_string()], 5_000).await;

    server_command("cut", &name).await;
    wait_for(client, "reconnecting", 5_000).await;
    wait_for(client, "connected", 5_000).await;
    assert_eq!(
        status(client),
        Status::Connected {
            session_present: true
        }
    );
    pause(1_000).await;
    assert_eq!(
        payloads(client),
        ["exactly once"],
        "{version:?}: shown once"
    );
    assert!(granted(client, &topic), "the broker kept the subscription");
    // And the exchange finished: a new message comes through.
    sender
        .publish(Message::new(topic.clone(), "next", QoS::ExactlyOnce))
        .expect("publishes");
    wait_for_payloads(
        client,
        &["exactly once".to_string(), "next".to_string()],
        5_000,
    )
    .await;
    client.unsubscribe(&topic).expect("unsubscribes");
    pause(200).await;
    client.disconnect();
    sender.disconnect();
}

#[wasm_bindgen_test]
async fn qos_2_redelivered_after_a_resume_is_shown_once_over_3_1_1() {
    qos_2_redelivered_after_a_resume_is_shown_once(Version::V3_1_1).await;
}

#[wasm_bindgen_test]
async fn qos_2_redelivered_after_a_resume_is_shown_once_over_5() {
    qos_2_redelivered_after_a_resume_is_shown_once(Version::V5).await;
}

async fn wait_for_stored_queue_to_empty(url: &str, client_id: &str, limit_ms: u64) {
    wait_until(
        "the stored queue to empty",
        limit_ms,
        || stored(url, client_id).is_none(),
        || format!("{:?}", stored(url, client_id)),
    )
    .await;
}

/// The stored record for this broker and client id, read back, if there is one.
fn stored(url: &str, client_id: &str) -> Option<Result<Vec<Pending>, String>> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let record = storage
        .get_item(&stored_queue::key(url, client_id))
        .ok()??;
    Some(stored_queue::decode(&record))
}

/// A QoS 2 message in flight when the page goes away: a new page with the same client id, on a
/// broker that kept the session, completes it once, under its packet id. `lost` is the packet
/// type the relay drops meanwhile: 5, the broker's PUBREC (the message went out, no answer
/// came); 6, the client's PUBREL (the broker answered PUBREC and waits for PUBREL). Were the
/// message published afresh instead, the broker would keep the first copy waiting under its id,
/// and take the new page's next message under that id for it.
async fn qos_2_in_flight_at_a_reload_is_completed_once(lost: u8) {
    let name = unique("qos2-reload");
    let topic = unique("reconnect/qos2-reload");
    let url = relay_url(&name);
    let mut options = options("qos2-reload", Version::V5);
    options.clean_start = false;
    options.session_expiry_secs = 600;
    let client_id = options.client_id.clone();
    let observer = observer(&topic).await;
    let first_tab = connect_in_tab(&url, options.clone()).await;
    let first = first_tab.client;
    let publish = |client: Client, payload: &str, qos| {
        (client.publish(Message::new(topic.clone(), payload.to_string(), qos)))
            .unwrap_or_else(|error| panic!("{payload}: {error}"))
    };
    // Packet ids 1 and 2 come and go: the message in flight holds 3.
    for payload in ["warm 0", "warm 1"] {
        publish(first, payload, QoS::AtLeastOnce);
    }
    let expected = |payloads: &[&str]| payloads.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    wait_for_payloads(observer, &expected(&["warm 0", "warm 1"]), 5_000).await;
    assert_eq!(
        server_command("drop", &format!("{name} {lost}")).await,
        "ok"
    );
    let id = publish(first, "once", QoS::ExactlyOnce);
    let released = lost == 6;
    wait_until(
        "the message in flight in the stored queue",
        5_000,
        || {
            stored(&url, &client_id).is_some_and(|record| {
                record.is_ok_and(|pending| {
                    pending.len() == 1
                        && pending[0].packet_id == Some(3)
                        && pending[0].released == released
                })
            })
        },
        || format!("{:?}", stored(&url, &client_id)),
    )
    .await;
    let outcome = outcome_of(first, id);
    let expected_outcome = if released {
        Outcome::Received
    } else {
        Outcome::Pending
    };
    assert_eq!(outcome, Some(expected_outcome));

    // As after a reload: the old page is gone, a new one connects with the same settings.
    server_command("down", &name).await;
    wait_for(first, "reconnecting", 5_000).await;
    first.cancel_reconnect();
    server_command("keep", &name).await;
    server_command("up", &name).await;
    first_tab.close();
    wait_for_queue_release(&client_id).await;
    let second = Client::new();
    second.connect(&url, options);
    wait_for(second, "connected", 5_000).await;
    assert_eq!(second.queue().get_untracked().restored, 1);
    wait_until(
        "the message in flight to complete",
        5_000,
        || second.queue().get_untracked().unacknowledged == 0,
        || format!("{:?}", second.queue().get_untracked()),
    )
    .await;
    // Sent again with DUP under its packet id, or (the broker has it) not at all: PUBREL only.
    let expected_sent = if released { "0 0" } else { "1 1" };
    assert_eq!(server_command("sent", &name).await, expected_sent);
    for payload in ["after 0", "after 1", "after 2"] {
        publish(second, payload, QoS::ExactlyOnce);
    }
    let all = expected(&["warm 0", "warm 1", "once", "after 0", "after 1", "after 2"]);
    wait_for_payloads(observer, &all, 5_000).await;
    wait_for_stored_queue_to_empty(&url, &client_id, 5_000).await;
    pause(500).await;
    assert_eq!(payloads(observer), all, "each once");
    second.disconnect();
    observer.disconnect();
}

#[wasm_bindgen_test]
async fn qos_2_sent_unanswered_at_a_reload_is_completed_once() {
    qos_2_in_flight_at_a_reload_is_completed_once(5).await;
}

#[wasm_bindgen_test]
async fn qos_2_the_broker_received_before_a_reload_is_completed_once() {
    qos_2_in_flight_at_a_reload_is_completed_once(6).await;
}

#[wasm_bindgen_test]
async fn unsent_messages_are_stored_and_a_new_session_sends_them() {
    let name = unique("stored");
    let topic = unique("reconnect/stored");
    let url = relay_url(&name);
    let options = options("stored", Version::V5);
    let client_id = options.client_id.clone();
    let observer = observer(&topic).await;
    let first_tab = connect_in_tab(&url, options.clone()).await;
    let first = first_tab.client;
    server_command("down", &name).await;
    wait_for(first, "reconnecting", 5_000).await;
    let expected: Vec<String> = (0..3).map(|n| format!("stored {n}")).collect();
    for payload in &expected {
        first
            .publish(Message::new(
                topic.clone(),
                payload.clone(),
                QoS::AtLeastOnce,
            ))
            .expect("queued");
    }
    // Stored within the debounce (200 ms).
    wait_until(
        "the queue in localStorage",
        2_000,
        || stored(&url, &client_id).is_some_and(|s| s.is_ok_and(|m| m.len() == 3)),
        || format!("{:?}", stored(&url, &client_id)),
    )
    .await;
    let messages = stored(&url, &client_id).unwrap().unwrap();
    assert_eq!(messages[0].message.topic, topic);
    assert_eq!(&messages[2].message.payload[..], b"stored 2");
    assert_eq!(
        stored_queue::client_ids(&url),
        std::slice::from_ref(&client_id),
        "a reloaded page finds the client id"
    );

    // As after a reload: a new driver, the same broker and client id.
    first.cancel_reconnect();
    server_command("up", &name).await;
    first_tab.close();
    wait_for_queue_release(&client_id).await;
    let second = Client::new();
    second.connect(&url, options);
    wait_for(second, "connected", 5_000).await;
    assert_eq!(second.queue().get_untracked().restored, 3);
    wait_for_payloads(observer, &expected, 5_000).await;
    wait_for_stored_queue_to_empty(&url, &client_id, 2_000).await;
    second.disconnect();
    observer.disconnect();
}

#[wasm_bindgen_test]
async fn a_late_timer_after_a_long_throttle_pings_first_and_keeps_a_live_link() {
    // The pong server answers pings and never drops a client for a late one, as a broker with
    // a long keep-alive would not within these seconds.
    let name = unique("throttled");
    let mut options = options("throttled", Version::V5);
    options.keep_alive_secs = 1;
    options.response_timeout_ms = 1_000;
    let client = connect(&not_mqtt_url(&format!("pong/{name}")), options).await;

    client.hold_timer(true);
    pause(3_500).await; // 3.5 keep-alive periods without the timer
    assert!(status(client).is_connected());
    assert_eq!(server_command("pings", &name).await, "0");
    client.hold_timer(false); // fires now, 2.5 s late
    pause(1_500).await; // past the response timeout
    assert!(status(client).is_connected(), "{:?}", status(client));
    let pings: u32 = server_command("pings", &name).await.parse().unwrap();
    assert!(pings >= 1, "the late timer sent a ping: {pings}");

    // A tab shown again does what came due at once, before its timer gets round to it.
    client.hold_timer(true);
    pause(2_500).await;
    let before: u32 = server_command("pings", &name).await.parse().unwrap();
    dispatch_on_document("visibilitychange");
    pause(300).await;
    let after: u32 = server_command("pings", &name).await.parse().unwrap();
    assert_eq!(after, before + 1, "visible again: a ping at once");
    pause(1_200).await;
    assert!(status(client).is_connected(), "{:?}", status(client));
    client.hold_timer(false);
    client.disconnect();
}

#[wasm_bindgen_test]
async fn a_dead_link_is_found_by_the_unanswered_ping_even_after_a_throttle() {
    // The silent server answers CONNECT, then nothing: the link is dead.
    let mut options = options("dead", Version::V3_1_1);
    options.keep_alive_secs = 1;
    options.response_timeout_ms = 1_000;
    let client = connect(&not_mqtt_url("silent"), options.clone()).await;
    // Keep-alive 1 s, then 1 s for the answer.
    wait_for(client, "reconnecting", 3_500).await;
    let reason = client
        .retry()
        .get_untracked()
        .last_reason
        .unwrap_or_default();
    assert_eq!(
        reason,
        "the connection is dead: no answer to a ping after 1.0 s"
    );
    client.disconnect();

    // After a throttle the late timer sends the ping and waits the response timeout from then.
    let client = connect(&not_mqtt_url("silent"), options).await;
    client.hold_timer(true);
    pause(3_000).await;
    client.hold_timer(false);
    pause(500).await;
    assert!(
        status(client).is_connected(),
        "not dead before the ping's timeout"
    );
    wait_for(client, "reconnecting", 2_000).await;
    let reason = client
        .retry()
        .get_untracked()
        .last_reason
        .unwrap_or_default();
    assert_eq!(
        reason,
        "the connection is dead: no answer to a ping after 1.0 s"
    );
    client.disconnect();
}

#[wasm_bindgen_test]
async fn no_tries_while_the_browser_is_offline_and_one_at_once_when_it_is_back() {
    // The window's events are dispatched by hand: headless Chromium cannot go offline.
    let name = unique("offline");
    let client = connect(&relay_url(&name), options("offline", Version::V5)).await;
    dispatch_on_window("offline");
    server_command("cut", &name).await; // the relay stays up: any try would succeed
    wait_for(client, "reconnecting", 5_000).await;
    let retry = client.retry().get_untracked();
    assert!(
        retry.waiting_for_network && retry.next_try_at.is_none(),
        "{retry:?}"
    );
    assert!(
        status(client).text().contains("the browser is offline"),
        "{:?}",
        status(client)
    );
    pause(1_500).await;
    assert_eq!(
        status(client).kind(),
        "reconnecting",
        "no tries while offline"
    );
    assert_eq!(client.retry().get_untracked().attempt, 0);

    dispatch_on_window("online");
    let retry = client.retry().get_untracked();
    assert_eq!(
        (retry.attempt, retry.next_try_at, retry.waiting_for_network),
        (1, None, false),
        "back online: the try starts at once"
    );
    wait_for(client, "connected", 2_000).await;

    // Offline while a try is scheduled: it is called off until the network is back.
    server_command("down", &name).await;
    wait_until(
        "a scheduled try",
        5_000,
        || client.retry().with_untracked(|r| r.next_try_at.is_some()),
        || format!("{:?}", client.retry().get_untracked()),
    )
    .await;
    dispatch_on_window("offline");
    let retry = client.retry().get_untracked();
    assert!(
        retry.waiting_for_network && retry.next_try_at.is_none(),
        "{retry:?}"
    );
    server_command("up", &name).await;
    pause(1_500).await;
    assert_eq!(status(client).kind(), "reconnecting");
    dispatch_on_window("online");
    wait_for(client, "connected", 2_000).await;
    client.disconnect();
}

#[wasm_bindgen_test]
async fn a_queue_too_big_for_the_browsers_storage_is_said_once_and_kept_in_the_page() {
    let name = unique("quota");
    let topic = unique("reconnect/quota");
    let url = relay_url(&name);
    let observer = observer(&topic).await;
    let client = connect(&url, options("quota", Version::V5)).await;
    server_command("down", &name).await;
    wait_for(client, "reconnecting", 5_000).await;
    // 6 MB, stored as 6 million characters of text: over localStorage's 5 MB a site.
    client
        .publish(Message::new(
            topic.clone(),
            vec![b'q'; 6_000_000],
            QoS::AtLeastOnce,
        ))
        .expect("queued");
    let notices = || {
        client.errors().with_untracked(|log| {
            log.iter()
                .map(|(_, notice)| notice.text.clone())
                .collect::<Vec<_>>()
        })
    };
    wait_until(
        "the storage error",
        3_000,
        || !notices().is_empty(),
        String::new,
    )
    .await;
    assert_eq!(
        notices(),
        [
            "could not keep the unsent message in this browser: the browser's storage for this \
          site is full; until they are sent they are kept only while this page stays open"
        ]
    );
    client
        .publish(Message::new(topic.clone(), "small", QoS::AtLeastOnce))
        .expect("queued");
    pause(400).await;
    assert_eq!(notices().len(), 1, "said once");

    server_command("up", &name).await;
    client.retry_now();
    let outcomes = || {
        client.sent().with_untracked(|log| {
            log.iter()
                .map(|(_, s)| s.outcome.clone())
                .collect::<Vec<_>>()
        })
    };
    wait_until(
        "both messages acknowledged",
        10_000,
        || outcomes() == [Outcome::Delivered, Outcome::Delivered],
        || format!("{:?}", outcomes()),
    )
    .await;
    // The observer announced a 4 MB limit (the default), so Mosquitto keeps the big one from it.
    wait_for_payloads(observer, &["small".to_string()], 5_000).await;
    client.disconnect();
    observer.disconnect();
}

/// Two tabs connected to one broker as one client id: only the first takes up what was stored
/// for them, and the second says why and stores nothing over it; once the first tab is closed,
/// the next one takes it up, and the broker gets each message once.
#[wasm_bindgen_test]
async fn a_second_tab_with_the_same_client_id_leaves_the_stored_queue_to_the_first() {
    let name = unique("two-tabs");
    let topic = unique("reconnect/two-tabs");
    let url = relay_url(&name);
    let options = options("two-tabs", Version::V5);
    let client_id = options.client_id.clone();
    let observer = observer(&topic).await;
    // What an earlier page left, with the broker down meanwhile.
    let expected: Vec<String> = (0..2).map(|n| format!("stored {n}")).collect();
    let pending: Vec<Pending> = (expected.iter())
        .map(|payload| Pending {
            message: Message::new(topic.clone(), payload.clone(), QoS::AtLeastOnce),
            packet_id: None,
            released: false,
        })
        .collect();
    stored_queue::save(&url, &client_id, &pending).expect("stored");
    server_command("down", &name).await;

    let first = Tab::open();
    first.client.connect(&url, options.clone());
    wait_until(
        "the first tab to take up the stored queue",
        5_000,
        || first.client.queue().get_untracked().restored == 2,
        || format!("{:?}", first.client.queue().get_untracked()),
    )
    .await;
    let second = Tab::open();
    second.client.connect(&url, options.clone());
    wait_until(
        "the second tab to say another tab has the queue",
        5_000,
        || {
            (second.client.errors().get_untracked().iter())
                .any(|(_, notice)| notice.text.contains("Another tab of this browser"))
        },
        || format!("{:?}", second.client.errors().get_untracked()),
    )
    .await;
    assert_eq!(second.client.queue().get_untracked().restored, 0);
    second
        .client
        .publish(Message::new(topic.clone(), "second tab", QoS::AtLeastOnce))
        .expect("queued");
    pause(400).await; // past the store's debounce
    let stored_now = stored(&url, &client_id).and_then(Result::ok);
    let stored_payloads: Option<Vec<String>> = stored_now.map(|pending| {
        (pending.iter())
            .map(|p| String::from_utf8_lossy(&p.message.payload).into_owned())
            .collect()
    });
    assert_eq!(
        stored_payloads.as_ref(),
        Some(&expected),
        "the first tab's record"
    );

    // Both tabs closed; the next one has the queue.
    second.close();
    first.close();
    wait_for_queue_release(&client_id).await;
    server_command("up", &name).await;
    let third = Client::new();
    third.connect(&url, options);
    wait_for(third, "connected", 5_000).await;
    assert_eq!(third.queue().get_untracked().restored, 2);
    wait_for_payloads(observer, &expected, 5_000).await;
    pause(300).await; // nothing more comes
    assert_eq!(payloads(observer), expected);
    third.disconnect();
    observer.disconnect();
}
