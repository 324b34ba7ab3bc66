//! The broker-kill story in the browser, through the app's client: Mosquitto killed with
//! SIGKILL and started again on the same database ten times (scripts/killable-mosquitto.mjs,
//! over its control socket) under a burst of 20,000 messages, 10,000 at QoS 1 then 10,000 at
//! QoS 2. Two `wasm_mqtt::Client`s in this page, a publisher and a subscriber with persistent
//! sessions, reconnect on their own as the app does. The subscriber must show every number:
//! QoS 1 with no gaps, QoS 2 with no gaps and none twice; what the publisher published while
//! the broker was down too. What the broker itself loses is told apart as `tests/kill_story`
//! says. The figures go to the console: `scripts/browser-test --test browser_broker_kill --
//! --nocapture` shows them.
//! Run with scripts/browser-test.

#![cfg(target_arch = "wasm32")]

mod browser_support;
#[path = "../crates/engine/tests/kill_story/mod.rs"]
mod kill_story;

use browser_support::*;
use kill_story::{
    index_of, max_inflight_messages, message, Figures, Kill, PublisherReport, SubscriberReport,
    AHEAD_LINKED, AHEAD_OFFLINE, KILLS, MIN_UP_MS, OUTAGES_MS, QUIET_MS, TOPICS, TOTAL,
};
use leptos::prelude::*;
use mqtt_client::{Outcome, Status};
use mqtt_engine::codec::{Packet, StreamDecoder};
use mqtt_engine::{ConnectOptions, Version};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_mqtt::Client;

wasm_bindgen_test_configure!(run_in_browser);

/// The longest the whole story may take before it is declared stuck.
const RUN_LIMIT_MS: f64 = 150_000.0;
/// Slack before the broker's last save (natively 15 ms): a page answers what arrives in a
/// later task, so that the answers to one burst share a send, and under a flood (3.1.1, where
/// the broker sends without a window) that task waits behind the messages already queued.
/// Seen: an answer that left 110 ms after the message was shown. (A PUBREC the broker read
/// after its save, however late, is told by the PUBREL that answered it.)
const SAVE_MARGIN_MS: f64 = 250.0;

#[wasm_bindgen_test]
async fn survives_ten_broker_kills_over_5() {
    survives_ten_broker_kills(Version::V5).await;
}

#[wasm_bindgen_test]
async fn survives_ten_broker_kills_over_3_1_1() {
    survives_ten_broker_kills(Version::V3_1_1).await;
}

fn persistent(version: Version, prefix: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(unique(prefix));
    options.version = version;
    options.clean_start = false;
    options.session_expiry_secs = 3_600; // 5.0 ends the session with the link otherwise
    options
}

/// What the page has seen so far: the reports, and where it got to in each client's logs.
#[derive(Default)]
struct Story {
    publisher: PublisherReport,
    subscriber: SubscriberReport,
    kills: Vec<Kill>,
    /// Messages handed to the publisher (the burst, and what it published again).
    handed: usize,
    /// Of those, the ones whose exchange is over (acknowledged or refused).
    settled: usize,
    /// Distinct numbers shown.
    received: usize,
    /// The newest received entry looked at.
    received_seq: Option<u64>,
    /// Sent entries refused, already counted.
    refused_seqs: Vec<u64>,
    subscriber_status: Status,
    publisher_status: Status,
    /// When the subscriber's current try began.
    subscriber_try_began: Option<f64>,
    subscriber_attempt: u32,
}

impl Story {
    fn acknowledged(&self) -> usize {
        self.settled - self.publisher.failed.len()
    }

    /// Hands the publisher the next messages of the burst, up to a window of unsettled ones.
    fn publish_more(&mut self, publisher: Client, next: &mut usize) {
        let linked = self.publisher_status.is_connected();
        let ahead = if linked { AHEAD_LINKED } else { AHEAD_OFFLINE };
        while *next < TOTAL && self.handed - self.settled < ahead {
            if let Err(error) = publisher.publish(message(*next)) {
                panic!("publish {next}: {error}");
            }
            if !linked {
                self.publisher.published_offline.push(*next);
            }
            *next += 1;
            self.handed += 1;
        }
    }

    /// Reads what became of the publisher's messages, and of its link.
    fn watch_publisher(&mut self, publisher: Client, now: f64) {
        let mut again = Vec::new();
        publisher.sent().with_untracked(|sent| {
            for (seq, entry) in sent.iter() {
                let Some(index) = index_of(&entry.topic, entry.qos, &entry.payload) else {
                    continue;
                };
                match &entry.outcome {
                    Outcome::Received => {
                        self.publisher.accepted_at[index].get_or_insert(now);
                    }
                    Outcome::Delivered if self.publisher.acknowledged_at[index].is_none() => {
                        self.publisher.accepted_at[index].get_or_insert(now);
                        self.publisher.acknowledged_at[index] = Some(now);
                        self.settled += 1;
                    }
                    Outcome::Failed(reason) if !self.refused_seqs.contains(seq) => {
                        self.refused_seqs.push(*seq);
                        if reason.contains("quota exceeded") {
                            // Mosquitto miscounts its receive window after a restart: what it
                            // refused for that, the application publishes again.
                            again.push(index);
                            self.publisher.republished += 1;
                        } else {
                            self.publisher.failed.push(format!("{index}: {reason}"));
                        }
                        self.settled += 1;
                    }
                    _ => {}
                }
            }
        });
        for index in again {
            if let Err(error) = publisher.publish(message(index)) {
                panic!("publish {index} again: {error}");
            }
            self.handed += 1;
        }
        let status = publisher.status().get_untracked();
        if status != self.publisher_status {
            match &status {
                Status::Connected { .. } => self.publisher.connacks += 1,
                Status::Reconnecting { reason } => {
                    *self.publisher.endings.entry(reason.clone()).or_default() += 1
                }
                _ => {}
            }
            self.publisher_status = status;
        }
    }

    /// Reads what the subscriber showed since the last look, and its reconnects.
    fn watch_subscriber(&mut self, subscriber: Client, now: f64) {
        subscriber.received().with_untracked(|log| {
            for (seq, message) in log.iter() {
                if self.received_seq.is_some_and(|last| *seq <= last) {
                    continue;
                }
                if self.received_seq.map_or(*seq, |last| last + 1) != *seq {
                    self.subscriber.wrong.push(format!(
                        "the page fell behind its log: entries {:?} to {seq} dropped unseen",
                        self.received_seq
                    ));
                }
                self.received_seq = Some(*seq);
                let (topic, qos, payload) = (&message.topic, message.qos, &message.payload);
                if self.subscriber.shown(topic, qos, payload, message.at) {
                    self.received += 1;
                }
            }
        });
        let attempt = subscriber.retry().with_untracked(|retry| retry.attempt);
        if attempt > self.subscriber_attempt {
            self.subscriber_try_began = Some(now);
        }
        self.subscriber_attempt = attempt;
        let status = subscriber.status().get_untracked();
        if status != self.subscriber_status {
            if let Status::Connected { session_present } = status {
                self.subscriber.connacks.push((now, session_present));
                if let Some(began) = self.subscriber_try_began.take() {
                    self.subscriber.attempt_to_connack.push(now - began);
                }
            }
            self.subscriber_status = status;
        }
    }
}

/// The packets this page's WebSockets to the killable broker receive, decoded a second time
/// beside the clients, which keep PUBRELs to themselves. `WebSocket` is wrapped while this
/// lives: the sockets opened meanwhile get a listener of ours before the client's.
struct WireTap {
    /// What came, with when and on which socket, not decoded yet.
    heard: Rc<RefCell<Vec<(f64, u32, js_sys::ArrayBuffer)>>>,
    _listener: Closure<dyn FnMut(js_sys::ArrayBuffer, u32)>,
    unwrap: js_sys::Function,
    decoders: HashMap<u32, StreamDecoder>,
    version: Version,
}

impl WireTap {
    fn new(version: Version) -> Self {
        let heard = Rc::new(RefCell::new(Vec::new()));
        let listener = Closure::<dyn FnMut(js_sys::ArrayBuffer, u32)>::new({
            let heard = heard.clone();
            move |data, socket| heard.borrow_mut().push((js_sys::Date::now(), socket, data))
        });
        let wrap = js_sys::Function::new_with_args(
            "url, listener",
            "const Plain = WebSocket;
             let sockets = 0;
             globalThis.WebSocket = class extends Plain {
               constructor(to, protocols) {
                 super(to, protocols);
                 if (String(to) === url) {
                   const socket = ++sockets;
                   this.addEventListener('message', (event) => {
                     if (event.data instanceof ArrayBuffer) listener(event.data, socket);
                   });
                 }
               }
             };
             return () => { globalThis.WebSocket = Plain; };",
        );
        let unwrap = wrap
            .call2(
                &JsValue::NULL,
                &killable_url().into(),
                listener.as_ref().unchecked_ref(),
            )
            .ok()
            .and_then(|unwrap| unwrap.dyn_into().ok())
            .expect("WebSocket wrapped");
        Self {
            heard,
            _listener: listener,
            unwrap,
            decoders: HashMap::new(),
            version,
        }
    }

    /// The packets that came since the last call, with when.
    fn packets(&mut self) -> Vec<(f64, Packet)> {
        let mut packets = Vec::new();
        for (at, socket, data) in self.heard.take() {
            let decoder = (self.decoders.entry(socket))
                .or_insert_with(|| StreamDecoder::new(self.version, usize::MAX));
            decoder.push(&js_sys::Uint8Array::new(&data).to_vec());
            while let Ok(Some(packet)) = decoder.next_packet() {
                packets.push((at, packet));
            }
        }
        packets
    }
}

impl Drop for WireTap {
    fn drop(&mut self) {
        let _ = self.unwrap.call0(&JsValue::NULL);
    }
}

/// Kills the broker when the burst has gone a further eleventh of its way and the broker has
/// been up a while, ten times: the kills fall on both levels, on traffic.
async fn kill_ten_times(story: Rc<RefCell<Story>>, give_up: f64) {
    let mut last_up = js_sys::Date::now();
    for kill in 0..KILLS {
        let due = (kill + 1) * TOTAL / (KILLS + 1);
        while (story.borrow().acknowledged() < due || js_sys::Date::now() - last_up < MIN_UP_MS)
            && js_sys::Date::now() < give_up
        {
            pause(2).await;
        }
        let progress = story.borrow().acknowledged();
        let outage = OUTAGES_MS[kill % OUTAGES_MS.len()];
        let answer = killable_command(&format!("kill {outage}")).await;
        let times = js_sys::JSON::parse(&answer)
            .unwrap_or_else(|_| panic!("the kill control answered: {answer}"));
        let time = |name: &str| {
            js_sys::Reflect::get(&times, &name.into())
                .ok()
                .and_then(|value| value.as_f64())
        };
        let (Some(killed), Some(restarted), Some(back)) =
            (time("killed"), time("restarted"), time("back"))
        else {
            panic!("the kill control answered: {answer}");
        };
        last_up = back;
        story.borrow_mut().kills.push(Kill {
            killed,
            restarted,
            saved: time("saved"),
            back,
            progress,
        });
    }
}

async fn survives_ten_broker_kills(version: Version) {
    let v5 = version == Version::V5;
    let answer = killable_command(&format!("start {}", max_inflight_messages(v5))).await;
    assert_eq!(answer, "started");
    let started = js_sys::Date::now();
    let give_up = started + RUN_LIMIT_MS;

    let mut tap = WireTap::new(version);
    let subscriber = new_client();
    subscriber.connect(&killable_url(), persistent(version, "kill-subscriber"));
    for (filter, qos) in TOPICS {
        subscriber.subscribe(filter, qos).expect("subscribes");
    }
    for (filter, _) in TOPICS {
        wait_granted(subscriber, filter).await;
    }
    let publisher = new_client();
    publisher.connect(&killable_url(), persistent(version, "kill-publisher"));
    wait_connected(publisher).await;

    let story = Rc::new(RefCell::new(Story {
        subscriber_status: subscriber.status().get_untracked(),
        ..Story::default()
    }));
    let killing = Rc::new(RefCell::new(false));
    wasm_bindgen_futures::spawn_local({
        let (story, killing) = (story.clone(), killing.clone());
        async move {
            *killing.borrow_mut() = true;
            kill_ten_times(story, give_up).await;
            *killing.borrow_mut() = false;
        }
    });

    // Until everything has arrived, or nothing more comes to the linked subscriber: what is
    // missing then is lost.
    let mut next = 0;
    let mut last_received = (0, js_sys::Date::now());
    let mut finished = None;
    loop {
        let now = js_sys::Date::now();
        let over = {
            let mut story = story.borrow_mut();
            story.watch_publisher(publisher, now);
            story.watch_subscriber(subscriber, now);
            // Only the subscriber is sent PUBLISH and PUBREL.
            for (at, packet) in tap.packets() {
                story.subscriber.heard(&packet, at);
            }
            story.publish_more(publisher, &mut next);
            // Quiet counts while the subscriber is linked: a reconnect may wait its backoff.
            if story.received != last_received.0 || !story.subscriber_status.is_connected() {
                last_received = (story.received, now);
            }
            let kills_done = story.kills.len() == KILLS && !*killing.borrow();
            let settled = story.settled == story.handed && next == TOTAL;
            let quiet = now - last_received.1 > QUIET_MS;
            now > give_up || (kills_done && settled && (story.received >= TOTAL || quiet))
        };
        if over {
            // Late redeliveries would show as duplicates.
            match finished {
                None => finished = Some(now),
                Some(at) if now - at > 300.0 => break,
                Some(_) => {}
            }
        }
        pause(1).await;
    }
    let run_time = js_sys::Date::now() - started;
    subscriber.disconnect();
    publisher.disconnect();
    drop(tap);

    let story = story.borrow();
    let (publisher, subscriber) = (&story.publisher, &story.subscriber);
    let figures = Figures::count(publisher, subscriber, &story.kills, SAVE_MARGIN_MS);
    let out = format!(
        "browser_broker_kill (MQTT {}): {KILLS} kills of Mosquitto under {TOTAL} messages, run \
         time {:.1} s\n{}",
        version.label(),
        run_time / 1e3,
        figures.describe(publisher, subscriber, &story.kills)
    );
    web_sys::console::log_1(&out.into());
    assert_eq!(story.kills.len(), KILLS, "kills done in time");
    figures.check(publisher, subscriber);
}
