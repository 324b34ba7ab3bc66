//! What the browser tests share: the broker's ports (set by scripts/browser-test at compile
//! time), waiting with a time limit, and clients made as the stories make them.

#![allow(dead_code)]

mod clients;
mod worker;

#[allow(unused_imports)] // each test file uses part of it
pub use worker::{in_the_worker, new_client, use_the_test_worker};

#[allow(unused_imports)] // each test file uses part of it
pub use clients::*;

use gloo_timers::future::sleep;
use leptos::prelude::*;
use mqtt_client::{Outcome, Status, SubState};
use mqtt_engine::PublishId;
use std::time::Duration;
use wasm_mqtt::Client;

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

/// scripts/not-mqtt-server.mjs: WebSocket servers that are not MQTT or misbehave; `path` picks
/// one (echo, text, close, connack-cut, publish-cut, bad-topic, silent, pong/NAME,
/// relay/NAME, tcp-bridge).
pub fn not_mqtt_url(path: &str) -> String {
    let port = port(
        "MQTT_TEST_NOT_MQTT_PORT",
        option_env!("MQTT_TEST_NOT_MQTT_PORT"),
    );
    format!("ws://127.0.0.1:{port}/{path}")
}

/// A relay to the open broker (`ws_url`) that [`server_command`] can cut, stop and mute.
pub fn relay_url(name: &str) -> String {
    not_mqtt_url(&format!("relay/{name}"))
}

/// The strict broker: a maximum packet size of 2048 bytes, and topics under `denied/` refused
/// (scripts/mosquitto/browser-test-strict.conf).
pub fn strict_url() -> String {
    let port = port(
        "MQTT_TEST_STRICT_WS_PORT",
        option_env!("MQTT_TEST_STRICT_WS_PORT"),
    );
    format!("ws://127.0.0.1:{port}/mqtt")
}

/// Sends a command to the test servers' control socket (cut, down, up, mute, pings) about
/// `name`, and returns their answer once it comes.
pub async fn server_command(command: &str, name: &str) -> String {
    ask(&not_mqtt_url("control"), &format!("{command} {name}")).await
}

/// The persistent Mosquitto of the broker-kill story (scripts/killable-mosquitto.mjs).
pub fn killable_url() -> String {
    let port = port(
        "MQTT_TEST_KILLABLE_WS_PORT",
        option_env!("MQTT_TEST_KILLABLE_WS_PORT"),
    );
    format!("ws://127.0.0.1:{port}/mqtt")
}

/// Sends a command (start, kill) to the control socket of the broker-kill story's Mosquitto,
/// and returns its answer once it comes.
pub async fn killable_command(command: &str) -> String {
    let port = port(
        "MQTT_TEST_KILLABLE_CONTROL_PORT",
        option_env!("MQTT_TEST_KILLABLE_CONTROL_PORT"),
    );
    ask(&format!("ws://127.0.0.1:{port}/"), command).await
}

/// Sends `text` in a WebSocket of its own to `url`, and returns the first answer.
async fn ask(url: &str, text: &str) -> String {
    let send = js_sys::Function::new_with_args(
        "url, text",
        "return new Promise((resolve, reject) => {
           const socket = new WebSocket(url);
           socket.onopen = () => socket.send(text);
           socket.onmessage = (event) => { resolve(event.data); socket.close(); };
           socket.onerror = () => reject(new Error('the control socket failed'));
         });",
    );
    let promise = send
        .call2(&wasm_bindgen::JsValue::NULL, &url.into(), &text.into())
        .expect("the control function runs");
    let answer = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
        .await
        .unwrap_or_else(|error| panic!("{text} to {url}: {error:?}"));
    answer.as_string().unwrap_or_default()
}

/// Dispatches a bare event (online, offline, visibilitychange, pagehide) on the window or the
/// document, as the browser would.
pub fn dispatch_on_window(kind: &str) {
    let event = web_sys::Event::new(kind).expect("an event");
    web_sys::window()
        .expect("a window")
        .dispatch_event(&event)
        .expect("dispatched");
}

pub fn dispatch_on_document(kind: &str) {
    let event = web_sys::Event::new(kind).expect("an event");
    web_sys::window()
        .and_then(|window| window.document())
        .expect("a document")
        .dispatch_event(&event)
        .expect("dispatched");
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

pub fn status(client: Client) -> Status {
    client.status().get_untracked()
}

/// Waits for CONNACK (5 s at most).
pub async fn wait_connected(client: Client) {
    wait_until(
        "CONNACK",
        5_000,
        || status(client).is_connected(),
        || format!("{:?}", status(client)),
    )
    .await;
}

/// Whether the broker granted the subscription to `filter`.
pub fn granted(client: Client, filter: &str) -> bool {
    client.subscriptions().with_untracked(|list| {
        list.iter()
            .any(|s| s.filter == filter && matches!(s.state, SubState::Granted(_)))
    })
}

/// Waits for the SUBACK that grants `filter` (5 s at most).
pub async fn wait_granted(client: Client, filter: &str) {
    wait_until(
        &format!("the SUBACK for {filter}"),
        5_000,
        || granted(client, filter),
        || format!("{:?}", client.subscriptions().get_untracked()),
    )
    .await;
}

/// What became of the message published as `id`, while the sent log holds it.
pub fn outcome_of(client: Client, id: PublishId) -> Option<Outcome> {
    client.sent().with_untracked(|log| {
        (log.iter().find(|(_, sent)| sent.id == id)).map(|(_, sent)| sent.outcome.clone())
    })
}

/// What became of each message in the sent log, oldest first.
pub fn outcomes_of(client: Client) -> Vec<Outcome> {
    client
        .sent()
        .with_untracked(|log| (log.iter()).map(|(_, sent)| sent.outcome.clone()).collect())
}

/// The words of each notice, oldest first.
pub fn notices_of(client: Client) -> Vec<String> {
    client.errors().with_untracked(|log| {
        (log.iter())
            .map(|(_, notice)| notice.text.clone())
            .collect()
    })
}

pub async fn pause(ms: u64) {
    sleep(Duration::from_millis(ms)).await;
}

/// A client as one tab of the browser has it: `close` drops it, as closing or reloading the
/// tab does (its driver, its link, and its hold on the stored queue).
pub struct Tab {
    owner: Owner,
    pub client: Client,
}

impl Tab {
    pub fn open() -> Self {
        let owner = Owner::new();
        let client = owner.with(new_client);
        Self { owner, client }
    }

    /// Closes the tab. The browser lets go of its hold on a stored queue in a later task: see
    /// [`wait_for_queue_release`].
    pub fn close(self) {
        self.owner.cleanup();
    }
}

/// Waits until no tab holds the stored queue of `client_id` (its Web Lock).
pub async fn wait_for_queue_release(client_id: &str) {
    let query = js_sys::Function::new_with_args(
        "id",
        "return navigator.locks.query()
           .then((state) => state.held.some((lock) => lock.name.endsWith('\\n' + id)));",
    );
    for _ in 0..200 {
        let held = query.call1(&wasm_bindgen::JsValue::NULL, &client_id.into());
        let held = match held {
            Ok(promise) => {
                wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await
            }
            Err(error) => Err(error),
        };
        if held.ok().and_then(|held| held.as_bool()) == Some(false) {
            return;
        }
        pause(10).await;
    }
    panic!("the stored queue of {client_id} is still held 2 s after its tab closed");
}
