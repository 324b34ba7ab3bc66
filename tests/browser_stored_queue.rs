//! Nothing lost at a reload: what the session has not had acknowledged is kept in this
//! browser's storage, taken up by the next page with the same broker and client id, and by
//! one tab at a time. In headless Chromium, against Mosquitto through a relay the tests cut
//! (scripts/not-mqtt-server.mjs). Run with scripts/browser-test.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use mqtt_client::Outcome;
use mqtt_client::{queue_store, stored_client_ids, stored_queue};
use mqtt_engine::{ConnectOptions, Message, Pending, QoS, Version};
use wasm_bindgen_test::*;
use wasm_mqtt::Client;

wasm_bindgen_test_configure!(run_in_browser);

type Stored = Option<Result<Vec<Pending>, String>>;

/// What an earlier page left: `payloads` stored unsent for a broker (behind the relay `name`,
/// down now) and client id, and an observer on their topic.
struct EarlierPage {
    name: String,
    topic: String,
    url: String,
    options: ConnectOptions,
    client_id: String,
    observer: Client,
}

impl EarlierPage {
    async fn left(prefix: &str, version: Version, payloads: &[String]) -> Self {
        let name = unique(prefix);
        let topic = unique(&format!("reconnect/{prefix}"));
        let url = relay_url(&name);
        let options = options(prefix, version);
        let client_id = options.client_id.clone();
        let observer = observer(&topic).await;
        queue_store::save(&url, &client_id, &unsent(&topic, payloads))
            .await
            .expect("stored");
        server_command("down", &name).await;
        Self {
            name,
            topic,
            url,
            options,
            client_id,
            observer,
        }
    }
}

/// What an earlier page left unsent: `payloads` to `topic` at QoS 1, none sent yet.
fn unsent(topic: &str, payloads: &[String]) -> Vec<Pending> {
    (payloads.iter())
        .map(|payload| Pending {
            message: Message::new(topic, payload.clone(), QoS::AtLeastOnce),
            packet_id: None,
            released: false,
        })
        .collect()
}

async fn wait_for_stored_queue_to_empty(url: &str, client_id: &str, limit_ms: u64) {
    wait_for_stored(
        url,
        client_id,
        "the stored queue to empty",
        limit_ms,
        Option::is_none,
    )
    .await;
}

/// The stored record for this broker and client id, read back, if there is one.
async fn stored(url: &str, client_id: &str) -> Stored {
    match queue_store::load(url, client_id).await {
        Ok(pending) if pending.is_empty() => None,
        Ok(pending) => Some(Ok(pending)),
        Err(error) => Some(Err(error.to_string())),
    }
}

/// Waits until what is stored for this broker and client id passes `done`, and returns it.
async fn wait_for_stored(
    url: &str,
    client_id: &str,
    what: &str,
    limit_ms: u64,
    done: impl Fn(&Stored) -> bool,
) -> Stored {
    let start = js_sys::Date::now();
    loop {
        let now = stored(url, client_id).await;
        if done(&now) {
            return now;
        }
        if js_sys::Date::now() - start > limit_ms as f64 {
            panic!("waited {limit_ms} ms for {what}; stored: {now:?}");
        }
        pause(10).await;
    }
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
    wait_for_stored(
        &url,
        &client_id,
        "the message in flight in the stored queue",
        5_000,
        |stored| {
            stored.as_ref().is_some_and(|record| {
                record.as_ref().is_ok_and(|pending| {
                    pending.len() == 1
                        && pending[0].packet_id == Some(3)
                        && pending[0].released == released
                })
            })
        },
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
    let second = new_client();
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
    let expected_sent = if released { "0 0 0" } else { "1 1 1" };
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
    let stored = wait_for_stored(&url, &client_id, "the stored queue", 2_000, |stored| {
        (stored.as_ref()).is_some_and(|s| s.as_ref().is_ok_and(|m| m.len() == 3))
    })
    .await;
    let messages = stored.unwrap().unwrap();
    assert_eq!(messages[0].message.topic, topic);
    assert_eq!(&messages[2].message.payload[..], b"stored 2");
    assert_eq!(
        stored_client_ids(&url).await,
        std::slice::from_ref(&client_id),
        "a reloaded page finds the client id"
    );

    // As after a reload: a new driver, the same broker and client id.
    first.cancel_reconnect();
    server_command("up", &name).await;
    first_tab.close();
    wait_for_queue_release(&client_id).await;
    let second = new_client();
    second.connect(&url, options);
    wait_for(second, "connected", 5_000).await;
    assert_eq!(second.queue().get_untracked().restored, 3);
    wait_for_payloads(observer, &expected, 5_000).await;
    wait_for_stored_queue_to_empty(&url, &client_id, 2_000).await;
    second.disconnect();
    observer.disconnect();
}

/// Makes every write to IndexedDB in the worker fail as a full storage does, or, with `false`,
/// succeed again.
async fn fill_the_storage(full: bool) {
    let code = if full {
        "self.emptyStorage ??= IDBObjectStore.prototype.put; \
         IDBObjectStore.prototype.put = function () { \
           throw new DOMException('the quota is used up', 'QuotaExceededError'); \
         }; 'full'"
    } else {
        "IDBObjectStore.prototype.put = self.emptyStorage; 'empty'"
    };
    let answer = in_the_worker(code).await;
    assert_eq!(answer, if full { "full" } else { "empty" });
}

#[wasm_bindgen_test]
async fn a_full_storage_is_said_once_and_the_queue_kept_in_the_page() {
    let name = unique("quota");
    let topic = unique("reconnect/quota");
    let url = relay_url(&name);
    let observer = observer(&topic).await;
    let client = connect(&url, options("quota", Version::V5)).await;
    server_command("down", &name).await;
    wait_for(client, "reconnecting", 5_000).await;
    fill_the_storage(true).await;
    client
        .publish(Message::new(topic.clone(), "first", QoS::AtLeastOnce))
        .expect("queued");
    let notices = || notices_of(client);
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
        .publish(Message::new(topic.clone(), "second", QoS::AtLeastOnce))
        .expect("queued");
    pause(400).await;
    assert_eq!(notices().len(), 1, "said once");
    fill_the_storage(false).await;

    server_command("up", &name).await;
    client.retry_now();
    let outcomes = || outcomes_of(client);
    wait_until(
        "both messages acknowledged",
        10_000,
        || outcomes() == [Outcome::Delivered, Outcome::Delivered],
        || format!("{:?}", outcomes()),
    )
    .await;
    wait_for_payloads(
        observer,
        &["first".to_string(), "second".to_string()],
        5_000,
    )
    .await;
    client.disconnect();
    observer.disconnect();
}

/// The queue at its default bound (10 MB), stored while the broker is away, goes out whole
/// from the next page: IndexedDB holds what localStorage's 5 MB a site could not. (The relay
/// counts what reaches the broker: Mosquitto's WebSocket listener is too slow a way to send
/// 10 MB to an observer here.)
#[wasm_bindgen_test]
async fn a_reload_with_a_full_10_mb_queue_loses_nothing() {
    let name = unique("ten-mb");
    let topic = unique("reconnect/ten-mb");
    let url = relay_url(&name);
    let options = options("ten-mb", Version::V5);
    let client_id = options.client_id.clone();
    let first_tab = connect_in_tab(&url, options.clone()).await;
    let first = first_tab.client;
    server_command("down", &name).await;
    wait_for(first, "reconnecting", 5_000).await;
    // 1,000 messages of 10 KB: 10,000,000 bytes of payload, near the 10 MiB bound.
    let count = 1_000;
    for n in 0..count {
        let mut payload = format!("{n:04} ").into_bytes();
        payload.resize(10_000, b'.');
        first
            .publish(Message::new(topic.clone(), payload, QoS::AtLeastOnce))
            .expect("queued within the bound");
    }
    wait_for_stored(
        &url,
        &client_id,
        "the whole queue stored",
        20_000,
        |stored| (stored.as_ref()).is_some_and(|s| s.as_ref().is_ok_and(|m| m.len() == count)),
    )
    .await;
    assert_eq!(first.queue().get_untracked().dropped, 0);

    first.cancel_reconnect();
    first_tab.close();
    wait_for_queue_release(&client_id).await;
    server_command("up", &name).await;
    let second = new_client();
    second.connect(&url, options);
    wait_for(second, "connected", 5_000).await;
    assert_eq!(second.queue().get_untracked().restored, count);
    wait_until(
        "every message acknowledged by the broker",
        60_000,
        || second.queue().get_untracked().unacknowledged == 0,
        || format!("{:?}", second.queue().get_untracked()),
    )
    .await;
    let sent = server_command("sent", &name).await;
    let counts: Vec<usize> = sent.split(' ').filter_map(|n| n.parse().ok()).collect();
    assert_eq!(counts[..2], [count, 0], "each once, none again: {sent}");
    wait_for_stored_queue_to_empty(&url, &client_id, 10_000).await;
    second.disconnect();
}

/// A page reloaded while the broker is down takes up its stored queue and tries again, as for
/// a lost link, until the broker is back: the first try failing is no mistake in the settings,
/// since they reached the broker before.
#[wasm_bindgen_test]
async fn a_queue_restored_while_the_broker_is_down_is_sent_once_it_is_back() {
    let expected: Vec<String> = (0..30).map(|n| format!("messages: {n}")).collect();
    let EarlierPage {
        name,
        url,
        options,
        client_id,
        observer,
        ..
    } = EarlierPage::left("restored-down", Version::V3_1_1, &expected).await;

    let client = new_client();
    client.connect(&url, options);
    wait_for(client, "reconnecting", 5_000).await;
    assert_eq!(client.queue().get_untracked().restored, 30);
    server_command("up", &name).await;
    wait_for(client, "connected", 10_000).await;
    wait_for_payloads(observer, &expected, 5_000).await;
    wait_for_stored_queue_to_empty(&url, &client_id, 5_000).await;
    client.disconnect();
    observer.disconnect();
}

/// A queue an earlier version kept in localStorage is moved to IndexedDB and sent, once.
#[wasm_bindgen_test]
async fn a_record_in_localstorage_is_taken_up_once() {
    let name = unique("local");
    let topic = unique("reconnect/local");
    let url = relay_url(&name);
    let options = options("local", Version::V5);
    let client_id = options.client_id.clone();
    let observer = observer(&topic).await;
    let expected: Vec<String> = (0..3).map(|n| format!("kept {n}")).collect();
    let pending = unsent(&topic, &expected);
    let key = stored_queue::key(&url, &client_id);
    let local_storage = (web_sys::window().and_then(|window| window.local_storage().ok()))
        .flatten()
        .expect("localStorage");
    (local_storage.set_item(&key, &stored_queue::encode(&pending))).expect("written");

    let client = connect(&url, options.clone()).await;
    assert_eq!(client.queue().get_untracked().restored, 3);
    assert_eq!(
        local_storage.get_item(&key).ok().flatten(),
        None,
        "moved out"
    );
    wait_for_payloads(observer, &expected, 5_000).await;
    wait_for_stored_queue_to_empty(&url, &client_id, 5_000).await;
    pause(300).await; // nothing more comes
    assert_eq!(payloads(observer), expected);
    client.disconnect();
    observer.disconnect();
}

/// Two tabs connected to one broker as one client id: only the first takes up what was stored
/// for them, and the second says why and stores nothing over it; once the first tab is closed,
/// the next one takes it up, and the broker gets each message once.
#[wasm_bindgen_test]
async fn a_second_tab_with_the_same_client_id_leaves_the_stored_queue_to_the_first() {
    let expected: Vec<String> = (0..2).map(|n| format!("stored {n}")).collect();
    let EarlierPage {
        name,
        topic,
        url,
        options,
        client_id,
        observer,
    } = EarlierPage::left("two-tabs", Version::V5, &expected).await;

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
    let stored_now = stored(&url, &client_id).await.and_then(Result::ok);
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
    let third = new_client();
    third.connect(&url, options);
    wait_for(third, "connected", 5_000).await;
    assert_eq!(third.queue().get_untracked().restored, 2);
    wait_for_payloads(observer, &expected, 5_000).await;
    pause(300).await; // nothing more comes
    assert_eq!(payloads(observer), expected);
    third.disconnect();
    observer.disconnect();
}
