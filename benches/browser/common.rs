//! What the two bench pages of our client share (page.rs: the engine under a thin loop;
//! client.rs: the shipped driver): the workload from the query string, the tally, the report.
//!
//! The query string, the same for every client of the bench (benches/browser/run.mjs):
//! - `broker` the WebSocket URL, `id` the run's name (the topic is `bench/<id>`), `v` the MQTT
//!   version (4 or 5);
//! - `w=load`: connect, report when CONNACK came (ms since navigation start);
//! - `w=pump`: subscribe to the topic at `qos`, publish `n` messages of `size` bytes to it and
//!   count them coming back. `window=0` publishes all at once; `window=W` keeps at most W
//!   published but not yet received back, publishing again as messages come back.
//!
//! The run ends when all `n` came back and, at QoS 1 and 2, all were acknowledged; the result
//! goes as JSON to `window.benchReport`, which the page defines.

use mqtt_engine::{ConnectOptions, QoS, Version};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Defined by the page: posts the result to the bench server.
    #[wasm_bindgen(js_name = benchReport)]
    fn bench_report(json: &str);
}

/// `performance.now()`: ms since navigation start.
pub fn now() -> f64 {
    thread_local! {
        static PERFORMANCE: web_sys::Performance =
            web_sys::window().unwrap().performance().unwrap();
    }
    PERFORMANCE.with(|performance| performance.now())
}

/// The workload, from the query string.
#[derive(Clone)]
pub struct Params {
    pub broker: String,
    pub id: String,
    pub version: Version,
    pub load_only: bool,
    pub qos: QoS,
    pub n: u64,
    pub size: usize,
    pub window: u64,
}

impl Params {
    pub fn from_location() -> Self {
        let search = web_sys::window().unwrap().location().search().unwrap();
        let query = web_sys::UrlSearchParams::new_with_str(&search).unwrap();
        let get = |key: &str, default: &str| query.get(key).unwrap_or_else(|| default.into());
        let number = |key: &str, default: u64| get(key, "").parse().unwrap_or(default);
        Self {
            broker: get("broker", "ws://127.0.0.1:8083/mqtt"),
            id: get("id", "x"),
            version: if get("v", "4") == "5" {
                Version::V5
            } else {
                Version::V3_1_1
            },
            load_only: get("w", "pump") == "load",
            qos: match number("qos", 0) {
                1 => QoS::AtLeastOnce,
                2 => QoS::ExactlyOnce,
                _ => QoS::AtMostOnce,
            },
            n: number("n", 1000),
            size: number("size", 64) as usize,
            window: number("window", 0),
        }
    }

    pub fn topic(&self) -> String {
        format!("bench/{}", self.id)
    }

    pub fn options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new(format!("bench-{}", self.id));
        options.version = self.version;
        // The bench listener has no limits, and MQTT.js keeps no window of its own.
        options.max_inflight = u16::MAX;
        options
    }
}

/// What a run has counted, and the report it ends with.
pub struct Tally {
    pub params: Params,
    /// When the program started (the wasm fetched, compiled and running), and the WebSocket opened.
    pub main_at: f64,
    pub open_at: Option<f64>,
    pub connack_at: Option<f64>,
    pub started_at: Option<f64>,
    pub published: u64,
    pub received: u64,
    pub acked: u64,
    reported: bool,
}

impl Tally {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            main_at: now(),
            open_at: None,
            connack_at: None,
            started_at: None,
            published: 0,
            received: 0,
            acked: 0,
            reported: false,
        }
    }

    /// How many to publish now: all that are left, or what the window has room for.
    pub fn due(&self) -> u64 {
        let left = self.params.n - self.published;
        match self.params.window {
            0 => left,
            window => left.min(window.saturating_sub(self.published - self.received)),
        }
    }

    /// All back and, at QoS 1 and 2, all acknowledged (client.rs reads the acks off the log).
    #[allow(dead_code)]
    pub fn done(&self) -> bool {
        let n = self.params.n;
        self.received >= n && (self.params.qos == QoS::AtMostOnce || self.acked >= n)
    }

    /// Reports once: the time from SUBACK to the end, or the error that ended the run.
    pub fn report(&mut self, error: Option<String>) {
        if self.reported {
            return;
        }
        self.reported = true;
        let ms = ms_text(self.started_at.map_or(0.0, |started| now() - started));
        let error = match error {
            Some(error) => format!("\"{}\"", error.replace(['"', '\\'], "'")),
            None => "null".into(),
        };
        bench_report(&format!(
            "{{\"id\":\"{}\",\"mainMs\":{},\"openMs\":{},\"connackMs\":{},\"ms\":{ms},\"received\":{},\"published\":{},\"acked\":{},\"error\":{error}}}",
            self.params.id,
            ms_text(self.main_at),
            ms_text(self.open_at.unwrap_or(-1.0)),
            ms_text(self.connack_at.unwrap_or(-1.0)),
            self.received,
            self.published,
            self.acked,
        ));
    }
}

/// Milliseconds to µs precision as JSON, without float formatting (which would add some 11 KB
/// to the page's wasm, code the engine itself does without).
fn ms_text(ms: f64) -> String {
    if ms < 0.0 {
        return "-1".into();
    }
    let us = (ms * 1000.0) as u64;
    format!("{}.{:03}", us / 1000, us % 1000)
}
