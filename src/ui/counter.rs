//! The tutorial's pub.py in the page: every period, publish `messages: N` (N from 0) and log
//! the result as pub.py prints it. While the link is down a tick fails as pub.py's would,
//! unless "queue while offline" is ticked: then it waits in the session's queue.

use super::params::{LaunchParams, INTERVAL_RANGE_MS};
use super::text::counter_payload;
use crate::Client;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use mqtt_engine::{Message, QoS};

#[derive(Clone, Copy)]
pub struct Counter {
    pub topic: RwSignal<String>,
    pub qos: RwSignal<QoS>,
    /// Milliseconds, as typed.
    pub period: RwSignal<String>,
    pub running: RwSignal<bool>,
    /// Ticks made while the link is down wait for the reconnect, rather than fail.
    pub queue_offline: RwSignal<bool>,
    /// The N of the next message.
    pub next: RwSignal<u64>,
    /// What is wrong with the period, if Start found something.
    pub problem: RwSignal<Option<String>>,
    client: Client,
    interval: StoredValue<Option<Interval>, LocalStorage>,
}

impl Counter {
    pub fn new(client: Client, params: &LaunchParams) -> Self {
        Self {
            topic: RwSignal::new(params.topic.clone().unwrap_or("python/mqtt".into())),
            qos: RwSignal::new(params.qos.unwrap_or(QoS::AtMostOnce)),
            period: RwSignal::new(params.interval_ms.unwrap_or(1_000).to_string()),
            running: RwSignal::new(false),
            queue_offline: RwSignal::new(false),
            next: RwSignal::new(0),
            problem: RwSignal::new(None),
            client,
            interval: StoredValue::new_local(None),
        }
    }

    pub fn start(self) {
        let period = self.period.get_untracked();
        let Some(ms) = period
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|ms| INTERVAL_RANGE_MS.contains(ms))
        else {
            self.problem.set(Some(format!(
                "the period must be a whole number of milliseconds from 10 to 3600000, not '{}'",
                period.trim()
            )));
            return self.stop();
        };
        self.problem.set(None);
        // Replacing the interval drops (and clears) the one before.
        self.interval
            .set_value(Some(Interval::new(ms, move || self.tick())));
        self.running.set(true);
    }

    pub fn stop(self) {
        self.interval.set_value(None);
        self.running.set(false);
    }

    /// A new period takes effect at once if the counter runs.
    pub fn period_changed(self) {
        if self.running.get_untracked() {
            self.start();
        }
    }

    pub fn reset(self) {
        self.next.set(0);
    }

    fn tick(self) {
        let n = self.next.get_untracked();
        self.next.set(n + 1);
        let message = Message::new(
            self.topic.get_untracked(),
            counter_payload(n),
            self.qos.get_untracked(),
        );
        // The client's log of sent messages says what became of it, a refusal too.
        let _ = if self.queue_offline.get_untracked() {
            self.client.publish(message)
        } else {
            self.client.publish_if_connected(message)
        };
    }
}
