//! Mosquitto killed with SIGKILL, and started again on the same ports and database, ten times
//! under a burst of 20,000 messages: 10,000 at QoS 1, then 10,000 at QoS 2. A publisher and a
//! subscriber, each with a persistent session, reconnect on their own (the engine's `Backoff`,
//! through `Redial`) and keep their `Session` across links. The subscriber must see every
//! number: QoS 1 with no gaps, QoS 2 with no gaps and none twice; what the publisher published
//! while the broker was down (queued by the engine) too. What the broker itself loses is told
//! apart as `tests/kill_story` says.
//!
//! The figures are written straight to stderr, past the test harness's capture, so that they
//! show in a plain `cargo test --test broker_kill` as well as with `--nocapture`. To look
//! closer: `MOSQUITTO_LOG_ALL=1` logs every packet at the broker, `BROKER_KILL_KEEP=DIR`
//! copies the broker's directory (config, one log per run, database) to DIR at the end, and
//! `BROKER_KILL_INFLIGHT` / `BROKER_KILL_QUEUED` set Mosquitto's two bounds.

mod kill_story;
mod support;

use kill_story::{
    max_inflight_messages, message, Figures, Kill, PublisherReport, SubscriberReport, AHEAD_LINKED,
    AHEAD_OFFLINE, KILLS, MIN_UP_MS, OUTAGES_MS, QUIET_MS, QUOTA_EXCEEDED, SAVE_MARGIN_MS, TOPICS,
    TOTAL,
};
use mqtt_engine::{Backoff, ConnectOptions, Event, State, Version};
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};
use support::brokers::{Durability, Mosquitto};
use support::driver::{Client, Redial};
use support::options;

/// The longest the whole story may take before it is declared stuck.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// One broker at a time: two at once on two cores would measure each other.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn v5() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    survives_ten_broker_kills(Version::V5);
}

#[test]
fn v3_1_1() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    survives_ten_broker_kills(Version::V3_1_1);
}

/// What the threads share: the broker's port, progress and the order to stop.
struct Shared {
    port: u16,
    /// The story's clock starts here: its times are milliseconds since.
    started: Instant,
    stop: AtomicBool,
    /// Publishes the broker has finished with (PUBACK, PUBCOMP).
    acknowledged: AtomicUsize,
    /// Distinct numbers the subscriber has seen, both levels together.
    received: AtomicUsize,
}

impl Shared {
    fn ms(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.started).as_secs_f64() * 1e3
    }

    fn now(&self) -> f64 {
        self.ms(Instant::now())
    }
}

fn persistent(version: Version, client_id: &str) -> ConnectOptions {
    let mut options = options(version, client_id);
    options.clean_start = false;
    options.session_expiry_secs = 3_600; // 5.0 ends the session with the link otherwise
    options.keep_alive_secs = 5;
    options
}

/// Redials quickly: the broker is back within a moment of each kill.
fn quick_backoff() -> Backoff {
    Backoff::new(
        mqtt_engine::Duration::from_millis(20),
        mqtt_engine::Duration::from_millis(500),
    )
}

fn publisher(shared: Arc<Shared>, version: Version) -> PublisherReport {
    let mut client = Client::connect(shared.port, persistent(version, "kill-publisher"));
    let mut redial = Redial::new(quick_backoff(), 0x5EED_0001);
    let mut report = PublisherReport {
        connacks: 1,
        ..PublisherReport::default()
    };
    let mut by_id = HashMap::new();
    let mut next = 0;
    while !shared.stop.load(Ordering::Relaxed) {
        let linked = client.session.state() == State::Connected;
        let ahead = if linked { AHEAD_LINKED } else { AHEAD_OFFLINE };
        let mut published = false;
        while next < TOTAL && client.session.unacknowledged() < ahead {
            let now = client.now();
            let id = (client.session.publish(message(next), now))
                .unwrap_or_else(|error| panic!("publish {next}: {error}"));
            by_id.insert(id, next);
            if !linked {
                report.published_offline.push(next);
            }
            next += 1;
            published = true;
        }
        if published {
            client.flush();
        }
        for event in redial.step(&mut client, shared.port) {
            match event {
                // QoS 2: the broker has taken the message over.
                Event::PublishReceived { id } => {
                    let index = *by_id.get(&id).expect("a publish of this run");
                    report.accepted_at[index] = Some(shared.now());
                }
                Event::Published { id } => {
                    let index = by_id.remove(&id).expect("a publish of this run");
                    let now = shared.now();
                    report.accepted_at[index].get_or_insert(now);
                    report.acknowledged_at[index] = Some(now);
                    shared.acknowledged.fetch_add(1, Ordering::Relaxed);
                }
                Event::PublishFailed { id, reason } => {
                    let index = by_id.remove(&id).expect("a publish of this run");
                    if reason.0 == QUOTA_EXCEEDED {
                        // Mosquitto miscounts its receive window after a restart: what it
                        // refused for that, the application publishes again.
                        let now = client.now();
                        let id = (client.session.publish(message(index), now))
                            .unwrap_or_else(|error| panic!("publish {index} again: {error}"));
                        by_id.insert(id, index);
                        report.republished += 1;
                    } else {
                        report.failed.push(format!("{index}: {reason}"));
                    }
                }
                Event::Connected { .. } => report.connacks += 1,
                Event::Disconnected { reason } => {
                    *report.endings.entry(reason.to_string()).or_default() += 1
                }
                _ => {}
            }
        }
    }
    report
}

fn subscriber(shared: Arc<Shared>, mut client: Client) -> SubscriberReport {
    let mut redial = Redial::new(quick_backoff(), 0x5EED_0002);
    let mut report = SubscriberReport::default();
    client.tap_wire();
    while !shared.stop.load(Ordering::Relaxed) {
        let events = redial.step(&mut client, shared.port);
        for (at, packet) in client.take_heard() {
            report.heard(&packet, shared.ms(at));
        }
        for event in events {
            match event {
                Event::Message(message) => {
                    let at = shared.now();
                    if report.shown(&message.topic, message.qos, &message.payload, at) {
                        shared.received.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Event::Connected { session_present } => {
                    report.connacks.push((shared.now(), session_present));
                    if let Some(attempt) = redial.last_attempt() {
                        let took = attempt.elapsed().as_secs_f64() * 1e3;
                        report.attempt_to_connack.push(took);
                    }
                }
                Event::Subscribed { results, .. } => {
                    for result in results {
                        if result.outcome.is_err() {
                            report.wrong.push(format!("resubscribe: {result:?}"));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    report
}

fn survives_ten_broker_kills(version: Version) {
    let durability = Durability {
        save_on_changes: true,
        max_inflight_messages: env_or(
            "BROKER_KILL_INFLIGHT",
            max_inflight_messages(version == Version::V5),
        ),
        max_queued_messages: env_or("BROKER_KILL_QUEUED", 1_000_000),
    };
    let mut broker = Mosquitto::setup().persistent(durability).start();
    let started = Instant::now();
    let clock = (Instant::now(), SystemTime::now());
    let instant_of = |time: SystemTime| match time.duration_since(clock.1) {
        Ok(after) => clock.0 + after,
        Err(before) => clock.0 - before.duration(),
    };
    let shared = Arc::new(Shared {
        port: broker.ws_port,
        started,
        stop: AtomicBool::new(false),
        acknowledged: AtomicUsize::new(0),
        received: AtomicUsize::new(0),
    });

    let mut listener = Client::open(broker.ws_port, persistent(version, "kill-subscriber"))
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(!listener.wait_connected(), "a new session");
    for result in listener.subscribe(&TOPICS) {
        assert!(result.outcome.is_ok(), "{result:?}");
    }
    let subscriber = thread::spawn({
        let shared = shared.clone();
        move || subscriber(shared, listener)
    });
    let publisher = thread::spawn({
        let shared = shared.clone();
        move || publisher(shared, version)
    });

    // Kill when the burst has gone a further eleventh of its way, and the broker has been up
    // a while: the kills fall on both levels, on traffic.
    let give_up = started + RUN_LIMIT;
    let mut kills = Vec::new();
    let mut last_up = shared.now();
    for kill in 0..KILLS {
        let due = (kill + 1) * TOTAL / (KILLS + 1);
        while (shared.acknowledged.load(Ordering::Relaxed) < due
            || shared.now() - last_up < MIN_UP_MS)
            && Instant::now() < give_up
        {
            thread::sleep(Duration::from_millis(2));
        }
        let progress = shared.acknowledged.load(Ordering::Relaxed);
        let killed = shared.now();
        broker.kill();
        let saved = broker.saved_at().map(|at| shared.ms(instant_of(at)));
        thread::sleep(Duration::from_millis(OUTAGES_MS[kill % OUTAGES_MS.len()]));
        let restarted = shared.now();
        broker.restart();
        last_up = shared.now();
        kills.push(Kill {
            killed,
            restarted,
            saved,
            back: last_up,
            progress,
        });
    }
    // Until everything has arrived, or nothing more comes: what is missing then is lost.
    let mut last_received = (0, shared.now());
    while Instant::now() < give_up {
        let received = shared.received.load(Ordering::Relaxed);
        if received != last_received.0 {
            last_received = (received, shared.now());
        }
        if shared.acknowledged.load(Ordering::Relaxed) >= TOTAL
            && (received >= TOTAL || shared.now() - last_received.1 > QUIET_MS)
        {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    // Late redeliveries would show as duplicates.
    thread::sleep(Duration::from_millis(300));
    shared.stop.store(true, Ordering::Relaxed);
    let publisher = publisher.join().expect("the publisher thread");
    let subscriber = subscriber.join().expect("the subscriber thread");
    let run_time = started.elapsed();

    let figures = Figures::count(&publisher, &subscriber, &kills, SAVE_MARGIN_MS);
    let mut out = format!(
        "broker_kill (MQTT {}): {KILLS} kills of Mosquitto under {TOTAL} messages, run time {:.1} s\n",
        version.label(),
        run_time.as_secs_f64()
    );
    out += &figures.describe(&publisher, &subscriber, &kills);
    let _ = std::io::stderr().write_all(out.as_bytes());
    if let Some(keep) = std::env::var_os("BROKER_KILL_KEEP") {
        let _ = std::process::Command::new("cp")
            .arg("-r")
            .arg(broker.dir())
            .arg(keep)
            .status();
    }

    assert_eq!(kills.len(), KILLS);
    figures.check(&publisher, &subscriber);
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
