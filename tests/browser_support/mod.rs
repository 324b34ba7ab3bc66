//! What the browser tests share: the broker's ports (set by scripts/browser-test at compile
//! time) and waiting with a time limit.

#![allow(dead_code)]

use gloo_timers::future::sleep;
use std::time::Duration;

fn port(name: &str, value: Option<&'static str>) -> u16 {
    match value.and_then(|value| value.parse().ok()) {
        Some(port) => port,
        None => panic!("{name} is not set: run the browser tests with scripts/browser-test"),
    }
}

/// The broker's WebSocket listener, open to all.
pub fn ws_url() -> String {
    let port = port("MQTT_TEST_WS_PORT", option_env!("MQTT_TEST_WS_PORT"));
    format!("ws://127.0.0.1:{port}/mqtt")
}

/// The WebSocket listener that wants alice / secret1.
pub fn ws_auth_url() -> String {
    let port = port(
        "MQTT_TEST_WS_AUTH_PORT",
        option_env!("MQTT_TEST_WS_AUTH_PORT"),
    );
    format!("ws://127.0.0.1:{port}/mqtt")
}

/// The broker's plain TCP listener: an MQTT server, but not over WebSocket.
pub fn tcp_as_ws_url() -> String {
    let port = port("MQTT_TEST_TCP_PORT", option_env!("MQTT_TEST_TCP_PORT"));
    format!("ws://127.0.0.1:{port}/mqtt")
}

/// scripts/not-mqtt-server.mjs: a WebSocket server that is not MQTT; `path` picks its manner
/// (echo, text, close).
pub fn not_mqtt_url(path: &str) -> String {
    let port = port(
        "MQTT_TEST_NOT_MQTT_PORT",
        option_env!("MQTT_TEST_NOT_MQTT_PORT"),
    );
    format!("ws://127.0.0.1:{port}/{path}")
}

/// A port nothing listens on.
pub fn closed_url() -> String {
    let port = port(
        "MQTT_TEST_CLOSED_PORT",
        option_env!("MQTT_TEST_CLOSED_PORT"),
    );
    format!("ws://127.0.0.1:{port}/mqtt")
}

/// A name no other test or run uses, for client ids and topics.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{:08x}",
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    )
}

/// Waits until `done` holds, checking every 10 ms; fails the test after `limit_ms`, saying what
/// it waited for and what `state` showed then.
pub async fn wait_until(
    what: &str,
    limit_ms: u64,
    mut done: impl FnMut() -> bool,
    state: impl Fn() -> String,
) {
    let start = js_sys::Date::now();
    while !done() {
        if js_sys::Date::now() - start > limit_ms as f64 {
            panic!("waited {limit_ms} ms for {what}; state: {}", state());
        }
        sleep(Duration::from_millis(10)).await;
    }
}

pub async fn pause(ms: u64) {
    sleep(Duration::from_millis(ms)).await;
}
