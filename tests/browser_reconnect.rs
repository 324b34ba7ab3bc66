//! Nothing lost: the client reconnects on its own, resumes the session, and queues what is
//! published meanwhile. In headless Chromium, against Mosquitto through a relay the tests cut
//! (scripts/not-mqtt-server.mjs), and against test servers that misbehave. What is stored
//! across reloads is in browser_stored_queue.rs, hidden tabs' timers in
//! browser_background_tab.rs. Run with scripts/browser-test.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use mqtt_client::{Outcome, Status};
use mqtt_engine::{Message, PublishId, QoS, Version};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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
    // The worker tells the page at its next post.
    wait_until(
        "the nine queued",
        2_000,
        || client.queue().get_untracked().queued == 9,
        || format!("{:?}", client.queue().get_untracked()),
    )
    .await;
    let queue = client.queue().get_untracked();
    assert_eq!((queue.queued, queue.unacknowledged), (9, 9), "{queue:?}");
    let outcomes = || outcomes_of(client);
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
    let ids: Vec<PublishId> = (results.into_iter())
        .map(|result| result.expect("handed to the worker"))
        .collect();
    // Past the bound, refused by the session in the worker: the outcome says so.
    let outcomes = || {
        ids.iter()
            .map(|id| outcome_of(client, *id))
            .collect::<Vec<_>>()
    };
    wait_until(
        "the two past the bound refused",
        5_000,
        || client.queue().get_untracked().dropped == 2,
        || format!("{:?}; {:?}", client.queue().get_untracked(), outcomes()),
    )
    .await;
    let outcomes = outcomes();
    assert!(
        outcomes[..3]
            .iter()
            .all(|outcome| *outcome == Some(Outcome::Pending)),
        "{outcomes:?}"
    );
    for outcome in &outcomes[3..] {
        assert!(
            matches!(outcome, Some(Outcome::Failed(reason))
                if reason.contains("the queue of unsent messages is full (3 messages")),
            "{outcomes:?}"
        );
    }
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
    let second = new_client();
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
    wait_for(client, "disconnected", 2_000).await;
    wait_until(
        "the retrying to stop",
        2_000,
        || !client.retry().get_untracked().active,
        || format!("{:?}", client.retry().get_untracked()),
    )
    .await;
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
    wait_until(
        "the try when back online",
        2_000,
        || client.retry().get_untracked().attempt == 1,
        || format!("{:?}", client.retry().get_untracked()),
    )
    .await;
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
    wait_until(
        "the scheduled try called off",
        2_000,
        || client.retry().with_untracked(|r| r.waiting_for_network),
        || format!("{:?}", client.retry().get_untracked()),
    )
    .await;
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
