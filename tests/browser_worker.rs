//! The worker that runs the page's connections: a worker that dies is said in words, and a
//! restart connects again with nothing stored lost. In a file of its own: a dead worker stops
//! every connection of the page. Run with scripts/browser-test.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use mqtt_client::Status;
use mqtt_engine::{Message, QoS, Version};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_worker_that_dies_is_said_and_a_restart_sends_what_was_stored() {
    let name = unique("worker-dies");
    let topic = unique("worker/dies");
    let url = relay_url(&name);
    // The observer's session outlives the worker's death, so that the broker keeps what comes
    // for it while the new worker connects it again.
    let mut observer_options = options("worker-observer", Version::V5);
    observer_options.clean_start = false;
    observer_options.session_expiry_secs = 60;
    let observer = connect(&ws_url(), observer_options).await;
    observer
        .subscribe(&topic, QoS::AtLeastOnce)
        .expect("subscribes");
    wait_granted(observer, &topic).await;
    let client = connect(&url, options("worker-dies", Version::V5)).await;
    server_command("down", &name).await;
    wait_for(client, "reconnecting", 5_000).await;
    let expected: Vec<String> = (0..3).map(|n| format!("kept {n}")).collect();
    for payload in &expected {
        client
            .publish(Message::new(
                topic.clone(),
                payload.clone(),
                QoS::AtLeastOnce,
            ))
            .expect("queued");
    }
    pause(400).await; // past the store's debounce

    client.crash_worker();
    wait_until(
        "the page to say the worker stopped",
        5_000,
        || client.worker_stopped().get_untracked(),
        || format!("{:?}", status(client)),
    )
    .await;
    match status(client) {
        Status::Disconnected { reason, by_you } => {
            assert!(!by_you);
            assert!(
                reason.contains("the worker that runs the connections stopped")
                    && reason.contains("Nothing stored in this browser is lost"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }

    server_command("up", &name).await;
    client.restart_worker();
    wait_for(client, "connected", 10_000).await;
    assert!(!client.worker_stopped().get_untracked());
    assert_eq!(client.queue().get_untracked().restored, 3);
    wait_for_payloads(observer, &expected, 5_000).await;
    client.disconnect();
    observer.disconnect();
}
