//! The app in headless Chromium against a real Mosquitto: mounted into the test page, driven
//! through its form fields and buttons, checked by what the page shows.
//! Run with scripts/browser-test, which starts the broker.

#![cfg(target_arch = "wasm32")]

mod browser_support;

use browser_support::*;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_mqtt::browser::Client;
use wasm_mqtt::mqtt::{ConnectOptions, Message, QoS};
use wasm_mqtt::ui::App;
use web_sys::{Element, EventInit, HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

/// The app, mounted into a fresh element of the test page. Tests run side by side in one page,
/// so everything is looked up inside this element.
struct Page {
    root: Element,
}

impl Page {
    /// Mounts the app and lets its first effects run.
    async fn mount(query: &str) -> Self {
        let document = web_sys::window().unwrap().document().unwrap();
        let root = document.create_element("div").unwrap();
        document.body().unwrap().append_child(&root).unwrap();
        let query = query.to_string();
        leptos::mount::mount_to(root.clone().unchecked_into(), move || {
            view! { <App query=query /> }
        })
        .forget();
        settle().await;
        Self { root }
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
    let other = Client::new();
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
