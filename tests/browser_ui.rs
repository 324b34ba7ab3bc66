//! The app in headless Chromium against a real Mosquitto: mounted into the test page, driven
//! through its form fields and buttons, checked by what the page shows.
//! Run with scripts/browser-test, which starts the broker.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use mqtt_engine::{ConnectOptions, Message, QoS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_mqtt::ui::App;
use wasm_mqtt::Client;
use web_sys::{Element, EventInit, HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

/// The app, mounted into a fresh element of the test page. Tests run side by side in one page,
/// so everything is looked up inside this element.
struct Page {
    root: Element,
    /// Unmounts the app when dropped, as closing the tab would end it.
    _mounted: Box<dyn std::any::Any>,
}

impl Page {
    /// Mounts the app and lets its first effects run.
    async fn mount(query: &str) -> Self {
        use_the_test_worker();
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let query = query.to_string();
        let mounted = leptos::mount::mount_to(root.clone().unchecked_into(), move || {
            view! { <App query=query /> }
        });
        settle().await;
        Self {
            root,
            _mounted: Box::new(mounted),
        }
    }

    fn find(&self, selector: &str) -> Element {
        self.root
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("no element {selector}"))
    }

    fn all_text(&self, selector: &str) -> Vec<String> {
        let list = self.root.query_selector_all(selector).unwrap();
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|node| node.text_content().unwrap_or_default())
            .collect()
    }

    fn text(&self, selector: &str) -> String {
        self.find(selector).text_content().unwrap_or_default()
    }

    fn value(&self, selector: &str) -> String {
        let element = self.find(selector);
        match element.dyn_ref::<HtmlSelectElement>() {
            Some(select) => select.value(),
            None => element.unchecked_into::<HtmlInputElement>().value(),
        }
    }

    /// Types into a text field (or textarea), as the `input` event tells the app.
    async fn fill(&self, selector: &str, value: &str) {
        let element = self.find(selector);
        if let Some(area) = element.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            area.set_value(value);
        } else {
            element.unchecked_ref::<HtmlInputElement>().set_value(value);
        }
        dispatch(&element, "input");
        settle().await;
    }

    /// Picks an option, as the `change` event tells the app.
    async fn choose(&self, selector: &str, value: &str) {
        let element = self.find(selector);
        element
            .unchecked_ref::<HtmlSelectElement>()
            .set_value(value);
        dispatch(&element, "change");
        settle().await;
    }

    async fn click(&self, selector: &str) {
        self.find(selector).unchecked_into::<HtmlElement>().click();
        settle().await;
    }

    fn disabled(&self, selector: &str) -> bool {
        self.find(selector).has_attribute("disabled")
    }

    fn state(&self) -> String {
        self.find("[data-testid=status]")
            .get_attribute("data-state")
            .unwrap_or_default()
    }

    async fn wait_for_state(&self, state: &str) {
        wait_until(
            &format!("the status to be {state}"),
            10_000,
            || self.state() == state,
            || self.text("[data-testid=status]"),
        )
        .await;
    }

    async fn wait_for_line(&self, selector: &str, line: &str) {
        wait_until(
            &format!("'{line}' in {selector}"),
            10_000,
            || self.all_text(selector).iter().any(|text| text == line),
            || format!("{:?}", self.all_text(selector)),
        )
        .await;
    }
}

/// Leptos updates the page in effects that run after the event: let them.
async fn settle() {
    pause(20).await;
}

fn dispatch(element: &Element, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

fn query(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(key, value)| {
            format!(
                "{key}={}",
                String::from(js_sys::encode_uri_component(value))
            )
        })
        .collect();
    format!("?{}", pairs.join("&"))
}

#[wasm_bindgen_test]
async fn connect_subscribe_publish_and_see_it_arrive() {
    let page = Page::mount("").await;
    let topic = unique("ui/round-trip");
    assert_eq!(page.state(), "idle");
    assert!(page.value("#client-id").starts_with("wasm-mqtt-"));
    page.fill("#broker-url", &ws_url()).await;
    page.choose("#version", "3.1.1").await;
    page.click("#connect").await;
    page.wait_for_state("connected").await;
    assert!(page.disabled("#connect") && !page.disabled("#disconnect"));

    page.fill("#filter", &topic).await;
    page.choose("#subscribe-qos", "1").await;
    page.click("#subscribe").await;
    page.wait_for_line("[data-testid=subscription-state]", "granted QoS 1")
        .await;

    // Mistakes are named where they were made.
    page.fill("#filter", "a/#/b").await;
    page.click("#subscribe").await;
    let problem = page.text("[data-testid=subscribe-problem]");
    assert!(
        problem.starts_with("Not subscribed: invalid topic filter 'a/#/b'"),
        "{problem}"
    );
    page.fill("#message-topic", "a/+").await;
    page.click("#message-publish").await;
    let problem = page.text("[data-testid=publish-problem]");
    assert!(
        problem.contains("cannot contain the wildcards '+' or '#'"),
        "{problem}"
    );

    // Markup in a payload is text, never HTML.
    let payload = "<b>bold?</b> & é";
    page.fill("#message-topic", &topic).await;
    page.fill("#message-payload", payload).await;
    page.choose("#message-qos", "2").await;
    page.click("#message-publish").await;
    let expected = format!("Received `{payload}` from `{topic}` topic");
    page.wait_for_line("[data-testid=received-text]", &expected)
        .await;
    assert_eq!(
        page.find("[data-testid=received-text]")
            .child_element_count(),
        0
    );
    assert!(page.text("[data-testid=received-line]").contains("QoS 1"));
    page.wait_for_line(
        "[data-testid=publish-line] .text",
        &format!("Send `{payload}` to topic `{topic}`"),
    )
    .await;
    page.wait_for_line("[data-testid=publish-line] .outcome", "delivered")
        .await;

    // A payload that is not UTF-8, from another client, shows as hex.
    let other = new_client();
    other.connect(&ws_url(), ConnectOptions::new(unique("ui-other")));
    wait_until(
        "the other client to connect",
        5_000,
        || other.status().get_untracked().is_connected(),
        || other.status().get_untracked().text(),
    )
    .await;
    other
        .publish(Message::new(
            topic.clone(),
            vec![0xff, 0x00, 0x41],
            QoS::AtMostOnce,
        ))
        .unwrap();
    page.wait_for_line(
        "[data-testid=received-text]",
        &format!("Received `hex: ff 00 41` from `{topic}` topic"),
    )
    .await;
    other.disconnect();

    page.click("[data-testid=unsubscribe]").await;
    wait_until(
        "the subscription to go",
        5_000,
        || page.all_text("[data-testid=subscription]").is_empty(),
        || format!("{:?}", page.all_text("[data-testid=subscription]")),
    )
    .await;

    page.click("#disconnect").await;
    page.wait_for_state("disconnected").await;
    assert_eq!(page.text("[data-testid=status]"), "Disconnected");
}

#[wasm_bindgen_test]
async fn the_link_connects_subscribes_and_starts_the_counter() {
    let topic = unique("ui/counter");
    let page = Page::mount(&query(&[
        ("broker", &ws_url()),
        ("topic", &topic),
        ("filter", &topic),
        ("connect", "1"),
        ("subscribe", "1"),
        ("publish", "1"),
        ("interval", "100"),
    ]))
    .await;
    for n in 0..3 {
        page.wait_for_line(
            "[data-testid=received-text]",
            &format!("Received `messages: {n}` from `{topic}` topic"),
        )
        .await;
    }
    let sent = page.all_text("[data-testid=publish-line] .text");
    assert!(
        sent.contains(&format!("Send `messages: 0` to topic `{topic}`")),
        "{sent:?}"
    );

    page.click("#counter-stop").await;
    pause(150).await;
    let count = page.all_text("[data-testid=publish-line]").len();
    pause(400).await;
    assert_eq!(
        page.all_text("[data-testid=publish-line]").len(),
        count,
        "the counter stopped"
    );
    page.click("#disconnect").await;
}

#[wasm_bindgen_test]
async fn the_counter_says_why_it_cannot_send() {
    let page = Page::mount("").await;
    page.fill("#counter-period", "50").await;
    page.click("#counter-start").await;
    page.wait_for_line(
        "[data-testid=publish-line] .text",
        "Failed to send message to topic python/mqtt: not connected",
    )
    .await;
    page.click("#counter-stop").await;
    assert!(!page.disabled("#counter-start"));

    page.fill("#counter-period", "5").await;
    page.click("#counter-start").await;
    assert!(page
        .text("[data-testid=counter-problem]")
        .contains("from 10 to 3600000"));
}

#[wasm_bindgen_test]
async fn a_refused_connection_and_a_wrong_password_read_in_plain_words() {
    let page = Page::mount("").await;
    page.fill("#broker-url", &closed_url()).await;
    page.click("#connect").await;
    page.wait_for_state("failed").await;
    let status = page.text("[data-testid=status]");
    assert!(
        status.starts_with("Disconnected: could not open a WebSocket"),
        "{status}"
    );

    page.fill("#broker-url", &ws_auth_url()).await;
    page.fill("#username", "alice").await;
    page.fill("#password", "wrong").await;
    page.click("#connect").await;
    page.wait_for_state("connecting").await;
    page.wait_for_state("failed").await;
    let status = page.text("[data-testid=status]");
    assert!(
        status.contains("refused the connection: not authorized")
            || status.contains("bad user name or password"),
        "{status}"
    );

    page.fill("#password", "secret1").await;
    page.click("#connect").await;
    page.wait_for_state("connected").await;
    page.click("#disconnect").await;

    page.fill("#broker-url", "http://127.0.0.1:1/mqtt").await;
    page.click("#connect").await;
    assert!(page
        .text("[data-testid=status]")
        .contains("reached with ws://127.0.0.1:1/mqtt"));

    page.fill("#keep-alive", "-1").await;
    page.click("#connect").await;
    assert!(page
        .text("[data-testid=connection-problem]")
        .contains("keep-alive"));
}

#[wasm_bindgen_test]
async fn the_link_prefills_the_form_and_names_what_it_cannot_read() {
    let page = Page::mount(&query(&[
        ("broker", "ws://127.0.0.1:9/mqtt"),
        ("client_id", "from-the-link"),
        ("username", "alice"),
        ("version", "3.1.1"),
        ("topic", "a/b"),
        ("filter", "a/#"),
        ("qos", "2"),
        ("interval", "250"),
        ("connect", "maybe"),
    ]))
    .await;
    assert_eq!(page.value("#broker-url"), "ws://127.0.0.1:9/mqtt");
    assert_eq!(page.value("#client-id"), "from-the-link");
    assert_eq!(page.value("#username"), "alice");
    assert_eq!(page.value("#version"), "3.1.1");
    assert_eq!(page.value("#publish-topic"), "a/b");
    assert_eq!(page.value("#filter"), "a/#");
    assert_eq!(page.value("#subscribe-qos"), "2");
    assert_eq!(page.value("#counter-qos"), "2");
    assert_eq!(page.value("#counter-period"), "250");
    assert_eq!(page.state(), "idle", "connect=maybe does not connect");
    assert!(page
        .text("[data-testid=errors]")
        .contains("the link's connect=maybe was ignored"));
    let share = page.value("#share-link");
    assert!(share.contains("?broker=ws://127.0.0.1:9/mqtt&username=alice&version=3.1.1&topic=a/b&filter=a/%23&qos=2&interval=250&connect=1&subscribe=1"), "{share}");

    page.click("#new-client-id").await;
    let id = page.value("#client-id");
    assert!(id.starts_with("wasm-mqtt-") && id.len() == 18, "{id}");
}

impl Page {
    fn attribute(&self, selector: &str, name: &str) -> String {
        self.find(selector).get_attribute(name).unwrap_or_default()
    }

    fn has(&self, selector: &str) -> bool {
        self.root.query_selector(selector).ok().flatten().is_some()
    }

    async fn tick(&self, selector: &str, on: bool) {
        let element = self.find(selector);
        let input = element.unchecked_ref::<HtmlInputElement>();
        if input.checked() != on {
            input.click();
        }
        settle().await;
    }
}

/// A client straight on the broker, subscribed to `topic`.
async fn observer(topic: &str) -> Client {
    let client = new_client();
    client.connect(&ws_url(), ConnectOptions::new(unique("ui-observer")));
    client.subscribe(topic, QoS::AtLeastOnce).unwrap();
    wait_until(
        "the observer's SUBACK",
        5_000,
        || {
            client.subscriptions().with_untracked(|list| {
                list.iter()
                    .any(|s| matches!(s.state, mqtt_client::SubState::Granted(_)))
            })
        },
        || client.status().get_untracked().text(),
    )
    .await;
    client
}

fn observed(client: Client) -> Vec<String> {
    client.received().with_untracked(|log| {
        log.iter()
            .map(|(_, m)| String::from_utf8_lossy(&m.payload).into_owned())
            .collect()
    })
}

#[wasm_bindgen_test]
async fn a_lost_link_shows_a_countdown_and_cancel_stops_the_tries() {
    let name = unique("ui-lost");
    let page = Page::mount(&query(&[("broker", &relay_url(&name)), ("connect", "1")])).await;
    page.wait_for_state("connected").await;
    assert!(!page.has("[data-testid=reconnect]"));

    server_command("down", &name).await;
    page.wait_for_state("reconnecting").await;
    let status = page.text("[data-testid=status]");
    assert!(
        status.starts_with("Connection lost: the connection to the broker was lost"),
        "{status}"
    );
    wait_until(
        "a countdown",
        5_000,
        || {
            page.has("[data-testid=reconnect-text]")
                && page
                    .text("[data-testid=reconnect-text]")
                    .starts_with("Trying again in ")
        },
        || page.text("[data-testid=reconnect]"),
    )
    .await;
    let notice = page.text("[data-testid=reconnect-text]");
    assert!(notice.contains("Last failure: "), "{notice}");
    assert!(page.disabled("#connect") && !page.disabled("#disconnect"));

    page.click("#cancel-reconnect").await;
    page.wait_for_state("disconnected").await;
    assert!(!page.has("[data-testid=reconnect]"));
    server_command("up", &name).await;
    pause(1_000).await;
    assert_eq!(page.state(), "disconnected", "no tries after Cancel");
    page.click("#connect").await;
    page.wait_for_state("connected").await;
    page.click("#disconnect").await;
}

#[wasm_bindgen_test]
async fn the_counter_queues_while_offline_only_when_asked() {
    let name = unique("ui-queue");
    let topic = unique("ui/queue");
    let page = Page::mount(&query(&[
        ("broker", &relay_url(&name)),
        ("topic", &topic),
        ("filter", &topic),
        ("interval", "50"),
        ("connect", "1"),
        ("subscribe", "1"),
    ]))
    .await;
    page.wait_for_line("[data-testid=subscription-state]", "granted QoS 0")
        .await;
    server_command("down", &name).await;
    page.wait_for_state("reconnecting").await;

    // Not asked: a tick while the link is down fails, as pub.py's would.
    page.click("#counter-start").await;
    page.wait_for_line(
        "[data-testid=publish-line] .text",
        &format!("Failed to send message to topic {topic}: not connected"),
    )
    .await;
    page.click("#counter-stop").await;
    page.click("#counter-reset").await;
    page.find("#clear-publish-log")
        .unchecked_into::<HtmlElement>()
        .click();

    // Asked: ticks wait in the queue, and go out in order after the reconnect.
    page.tick("#counter-queue-offline", true).await;
    page.click("#counter-start").await;
    wait_until(
        "five queued ticks",
        5_000,
        || {
            page.attribute("[data-testid=queue]", "data-queued")
                .parse::<u32>()
                .unwrap_or(0)
                >= 5
        },
        || page.text("[data-testid=queue]"),
    )
    .await;
    page.click("#counter-stop").await;
    let queued: u64 = page
        .attribute("[data-testid=queue]", "data-queued")
        .parse()
        .unwrap();
    assert!(page
        .text("[data-testid=queue]")
        .starts_with(&format!("{queued} messages waiting to be sent")));
    assert!(page
        .all_text("[data-testid=publish-line] .outcome")
        .iter()
        .all(|text| text.is_empty() || text == "queued: goes out once connected"));
    server_command("up", &name).await;
    page.wait_for_state("connected").await;
    for n in 0..queued {
        page.wait_for_line(
            "[data-testid=received-text]",
            &format!("Received `messages: {n}` from `{topic}` topic"),
        )
        .await;
    }
    let received = page.all_text("[data-testid=received-text]");
    let expected: Vec<String> = (0..queued)
        .rev()
        .map(|n| format!("Received `messages: {n}` from `{topic}` topic"))
        .collect();
    assert_eq!(received, expected, "in order (the newest shows first)");
    assert_eq!(page.attribute("[data-testid=queue]", "data-queued"), "0");
    page.click("#disconnect").await;
}

#[wasm_bindgen_test]
async fn a_reload_finds_the_unsent_messages_and_sends_them() {
    let name = unique("ui-reload");
    let topic = unique("ui/reload");
    let client_id = unique("ui-reload");
    let broker = relay_url(&name);
    let observer = observer(&topic).await;
    let before = Page::mount(&query(&[
        ("broker", &broker),
        ("client_id", &client_id),
        ("connect", "1"),
    ]))
    .await;
    before.wait_for_state("connected").await;
    server_command("down", &name).await;
    before.wait_for_state("reconnecting").await;
    before.fill("#message-topic", &topic).await;
    for payload in ["first", "second"] {
        before.fill("#message-payload", payload).await;
        before.choose("#message-qos", "1").await;
        before.click("#message-publish").await;
    }
    before
        .wait_for_line(
            "[data-testid=publish-line] .outcome",
            "queued: goes out once connected",
        )
        .await;
    pause(300).await; // past the store's debounce
    before.click("#cancel-reconnect").await;
    drop(before); // the tab reloads
    wait_for_queue_release(&client_id).await;

    // The page again, without a client id: it takes up the one with messages stored.
    let after = Page::mount(&query(&[("broker", &broker)])).await;
    wait_until(
        "the client id with stored messages in the form",
        3_000,
        || after.value("#client-id") == client_id,
        || after.value("#client-id"),
    )
    .await;
    server_command("up", &name).await;
    after.click("#connect").await;
    after.wait_for_state("connected").await;
    assert!(
        after
            .text("[data-testid=queue]")
            .contains("2 messages restored from this browser"),
        "{}",
        after.text("[data-testid=queue]")
    );
    wait_until(
        "both messages at the observer",
        5_000,
        || observed(observer).len() == 2,
        || format!("{:?}", observed(observer)),
    )
    .await;
    assert_eq!(observed(observer), ["first", "second"]);
    after.click("#disconnect").await;
    observer.disconnect();
}

#[wasm_bindgen_test]
async fn clean_start_off_with_an_expiry_resumes_the_session() {
    let page = Page::mount(&query(&[
        ("broker", &ws_url()),
        ("client_id", &unique("ui-resume")),
        ("version", "5"),
    ]))
    .await;
    assert!(page
        .text("[data-testid=session-note]")
        .starts_with("Each connection starts a new session"));
    page.tick("#clean-start", false).await;
    assert!(page
        .text("[data-testid=session-note]")
        .contains("set an expiry"));
    page.fill("#session-expiry", "60").await;
    assert!(page
        .text("[data-testid=session-note]")
        .contains("for 60 s after the link closes"));
    page.click("#connect").await;
    page.wait_for_state("connected").await;
    page.click("#disconnect").await;
    page.click("#connect").await;
    page.wait_for_state("connected").await;
    assert_eq!(
        page.text("[data-testid=status]"),
        "Connected (the broker kept the previous session)"
    );
    page.click("#disconnect").await;

    page.choose("#version", "3.1.1").await;
    assert!(page.disabled("#session-expiry"), "3.1.1 has no expiry");
    page.fill("#queue-messages", "many").await;
    page.click("#connect").await;
    assert!(page
        .text("[data-testid=connection-problem]")
        .contains("whole number of messages"));
}

#[wasm_bindgen_test]
async fn bad_input_is_named_and_the_app_keeps_working() {
    // Addresses and servers that are not MQTT brokers, in the form.
    let page = Page::mount("").await;
    for (broker, expected) in [
        ("ws://", "names no host"),
        ("ws://127.0.0.1:1 /mqtt", "contains a space"),
        (
            "http://127.0.0.1:1/mqtt",
            "reached with ws://127.0.0.1:1/mqtt",
        ),
    ] {
        page.fill("#broker-url", broker).await;
        page.click("#connect").await;
        let status = page.text("[data-testid=status]");
        assert!(status.contains(expected), "{broker}: {status}");
    }
    page.fill("#broker-url", &not_mqtt_url("echo")).await;
    page.click("#connect").await;
    page.wait_for_state("failed").await;
    assert!(page
        .text("[data-testid=status]")
        .contains("answered CONNECT with CONNECT, not CONNACK"));
    page.fill("#broker-url", &not_mqtt_url("bad-topic")).await;
    page.click("#connect").await;
    page.wait_for_state("reconnecting").await;
    assert!(
        page.text("[data-testid=status]")
            .contains("a topic or string that is not valid UTF-8"),
        "{}",
        page.text("[data-testid=status]")
    );
    page.click("#cancel-reconnect").await;

    // The strict broker: a packet size limit, and topics it refuses.
    let topic = unique("ui/strict");
    page.fill("#broker-url", &strict_url()).await;
    page.click("#connect").await;
    page.wait_for_state("connected").await;
    page.fill("#filter", "denied/#").await;
    page.click("#subscribe").await;
    page.wait_for_line(
        "[data-testid=subscription-state]",
        "refused: not authorized (reason code 0x87)",
    )
    .await;
    assert!(page
        .text("[data-testid=errors]")
        .contains("the broker refused the subscription to 'denied/#'"));

    page.fill("#message-topic", "").await;
    page.click("#message-publish").await;
    assert_eq!(
        page.text("[data-testid=publish-problem]"),
        "Not published: invalid topic: the topic is empty"
    );
    page.fill("#message-topic", &topic).await;
    page.fill("#message-payload", &"x".repeat(3_000)).await;
    page.click("#message-publish").await;
    // Refused by the session, in the worker: said when its answer comes.
    wait_until(
        "the refusal of the message over the broker's limit",
        5_000,
        || {
            (page.text("[data-testid=publish-problem]"))
                .ends_with("over the broker's limit of 2048 bytes")
        },
        || page.text("[data-testid=publish-problem]"),
    )
    .await;

    // Still working.
    page.fill("#filter", &topic).await;
    page.click("#subscribe").await;
    page.wait_for_line("[data-testid=subscription-state]", "granted QoS 0")
        .await;
    page.fill("#message-payload", "still here").await;
    page.click("#message-publish").await;
    page.wait_for_line(
        "[data-testid=received-text]",
        &format!("Received `still here` from `{topic}` topic"),
    )
    .await;
    page.click("#disconnect").await;
}

/// A page subscribed to a topic of its own, and a second client that publishes to it.
async fn page_and_publisher(extra: &[(&str, &str)]) -> (Page, Client, String) {
    let topic = unique("ui/load");
    let mut pairs = vec![
        ("broker", ws_url()),
        ("topic", topic.clone()),
        ("filter", topic.clone()),
        ("connect", "1".into()),
        ("subscribe", "1".into()),
    ];
    pairs.extend(extra.iter().map(|(key, value)| (*key, value.to_string())));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = Page::mount(&query(&pairs)).await;
    page.wait_for_line("[data-testid=subscription-state]", "granted QoS 0")
        .await;
    let publisher = new_client();
    publisher.connect(&ws_url(), ConnectOptions::new(unique("ui-publisher")));
    wait_connected(publisher).await;
    (page, publisher, topic)
}

impl Page {
    /// `messages: from` to `messages: to-1` from `publisher`, in batches the broker's default
    /// queue takes without dropping any; waits until the page counts `to` in all.
    async fn receive_numbered(&self, publisher: Client, topic: &str, from: u64, to: u64) {
        for start in (from..to).step_by(500) {
            let end = (start + 500).min(to);
            for i in start..end {
                let payload = format!("messages: {i}");
                publisher
                    .publish(Message::new(topic, payload, QoS::AtMostOnce))
                    .unwrap();
            }
            wait_until(
                &format!("{end} messages counted"),
                10_000,
                || {
                    self.text("[data-testid=received-count]")
                        .starts_with(&format!("{end} in all"))
                },
                || self.text("[data-testid=received-count]"),
            )
            .await;
        }
    }

    /// Scrolls the received log to `row` (0 is the newest), as the user would.
    async fn scroll_received_to(&self, row: f64, rows_kept: f64) {
        let list = self.find("#received-log ol");
        let row_height = f64::from(list.client_height()) / rows_kept;
        self.find("#received-log")
            .set_scroll_top((row * row_height) as i32);
        pause(100).await; // the scroll event comes with the next frame
    }

    fn received_texts(&self) -> Vec<String> {
        self.all_text("[data-testid=received-text]")
    }
}

fn received(topic: &str, n: u64) -> String {
    format!("Received `messages: {n}` from `{topic}` topic")
}

#[wasm_bindgen_test]
async fn the_log_keeps_the_newest_up_to_its_setting_and_counts_all() {
    let (page, publisher, topic) = page_and_publisher(&[]).await;
    assert_eq!(page.value("#received-kept"), "100000", "the default");
    page.fill("#received-kept", "100").await;
    page.receive_numbered(publisher, &topic, 0, 250).await;
    assert_eq!(
        page.text("[data-testid=received-count]"),
        "250 in all, 100 kept"
    );
    assert_eq!(page.received_texts()[0], received(&topic, 249));

    // The oldest kept is the 150th; the ones before it are gone.
    page.scroll_received_to(100.0, 100.0).await;
    let oldest = page.received_texts();
    assert_eq!(oldest.last(), Some(&received(&topic, 150)), "{oldest:?}");
    assert!(!oldest.contains(&received(&topic, 149)));

    // A smaller bound drops more at once; a bound that is not a number is named.
    page.fill("#received-kept", "10").await;
    assert_eq!(
        page.text("[data-testid=received-count]"),
        "250 in all, 10 kept"
    );
    page.fill("#received-kept", "0").await;
    assert!(page
        .text("[data-testid=received-kept-problem]")
        .contains("from 1 to 500000, not '0'"));
    publisher.disconnect();
    page.click("#disconnect").await;
}

#[wasm_bindgen_test]
async fn only_the_rows_in_view_are_in_the_page() {
    let (page, publisher, topic) = page_and_publisher(&[]).await;
    page.receive_numbered(publisher, &topic, 0, 5_000).await;
    let rows = page.received_texts();
    assert!(
        (10..100).contains(&rows.len()),
        "{} rows in the page for 5,000 messages",
        rows.len()
    );
    assert_eq!(rows[0], received(&topic, 4_999), "the newest first");

    // Row 4,000 from the top is message 999.
    page.scroll_received_to(4_000.0, 5_000.0).await;
    wait_until(
        "message 999 in view",
        5_000,
        || page.received_texts().contains(&received(&topic, 999)),
        || format!("{:?}", page.received_texts().first()),
    )
    .await;
    let rows = page.received_texts();
    assert!(rows.len() < 100, "{} rows after scrolling", rows.len());
    assert!(!rows.contains(&received(&topic, 4_999)));

    // Scrolled down, the view stays on its messages while new ones come in above.
    page.receive_numbered(publisher, &topic, 5_000, 5_500).await;
    let rows = page.received_texts();
    assert!(rows.contains(&received(&topic, 999)), "{:?}", rows.first());
    page.scroll_received_to(0.0, 5_500.0).await;
    assert_eq!(page.received_texts()[0], received(&topic, 5_499));
    publisher.disconnect();
    page.click("#disconnect").await;
}

#[wasm_bindgen_test]
async fn the_rates_in_and_out_show_once_a_second() {
    // The counter publishes every 20 ms to the topic the page subscribes to: 50 msg/s each way.
    let (page, publisher, _) = page_and_publisher(&[("interval", "20"), ("publish", "1")]).await;
    publisher.disconnect();
    let rate = |which: &str| -> u64 {
        page.attribute("[data-testid=rates]", which)
            .parse()
            .unwrap_or(0)
    };
    wait_until(
        "rates in and out",
        5_000,
        || rate("data-in") >= 25 && rate("data-out") >= 25,
        || page.text("[data-testid=rates]"),
    )
    .await;
    assert!(
        rate("data-in") <= 75 && rate("data-out") <= 75,
        "{}",
        page.text("[data-testid=rates]")
    );
    assert!(page.text("[data-testid=rates]").starts_with("In "));
    page.click("#counter-stop").await;
    wait_until(
        "the rates to fall to nothing",
        5_000,
        || rate("data-in") == 0 && rate("data-out") == 0,
        || page.text("[data-testid=rates]"),
    )
    .await;
    assert_eq!(page.text("[data-testid=rates]"), "In 0 msg/s, out 0 msg/s");
    page.click("#disconnect").await;
}
