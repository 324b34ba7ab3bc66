//! Clients as the reconnect, stored-queue and background-tab stories make them.

use super::{new_client, status, unique, wait_granted, wait_until, ws_url, Tab};
use leptos::prelude::*;
use mqtt_engine::{ConnectOptions, QoS, Version};
use wasm_mqtt::Client;

/// Options with a fresh client id starting with `prefix`.
pub fn options(prefix: &str, version: Version) -> ConnectOptions {
    let mut options = ConnectOptions::new(unique(prefix));
    options.version = version;
    options
}

pub async fn wait_for(client: Client, kind: &str, limit_ms: u64) {
    wait_until(
        &format!("the status to be {kind}"),
        limit_ms,
        || status(client).kind() == kind,
        || format!("{:?}; {:?}", status(client), client.retry().get_untracked()),
    )
    .await;
}

pub async fn connect(url: &str, options: ConnectOptions) -> Client {
    let client = new_client();
    client.connect(url, options);
    wait_for(client, "connected", 5_000).await;
    client
}

/// As `connect`, in a tab of its own, which the test can close.
pub async fn connect_in_tab(url: &str, options: ConnectOptions) -> Tab {
    let tab = Tab::open();
    tab.client.connect(url, options);
    wait_for(tab.client, "connected", 5_000).await;
    tab
}

/// A client straight on the broker, subscribed to `topic`: what arrives there is what the
/// client under test got through.
pub async fn observer(topic: &str) -> Client {
    let client = connect(&ws_url(), options("observer", Version::V5)).await;
    client
        .subscribe(topic, QoS::ExactlyOnce)
        .expect("subscribes");
    wait_granted(client, topic).await;
    client
}

pub fn payloads(client: Client) -> Vec<String> {
    client.received().with_untracked(|log| {
        log.iter()
            .map(|(_, m)| String::from_utf8_lossy(&m.payload).into_owned())
            .collect()
    })
}

pub async fn wait_for_payloads(client: Client, expected: &[String], limit_ms: u64) {
    wait_until(
        &format!("{} messages", expected.len()),
        limit_ms,
        || payloads(client).len() >= expected.len(),
        || format!("{:?}", payloads(client)),
    )
    .await;
    assert_eq!(payloads(client), expected);
}
