//! A hidden tab's timers come late: the keep-alive still finds a live link live, and a dead
//! one dead. Headless Chromium cannot be throttled, so the tests hold the client's timer, as a
//! throttled tab would. Against test servers that answer pings, or nothing
//! (scripts/not-mqtt-server.mjs). Run with scripts/browser-test.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use mqtt_engine::{Duration, Version};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_late_timer_after_a_long_throttle_pings_first_and_keeps_a_live_link() {
    // The pong server answers pings and never drops a client for a late one, as a broker with
    // a long keep-alive would not within these seconds.
    let name = unique("throttled");
    let mut options = options("throttled", Version::V5);
    options.keep_alive_secs = 1;
    options.response_timeout = Duration::from_secs(1);
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
    options.response_timeout = Duration::from_secs(1);
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
