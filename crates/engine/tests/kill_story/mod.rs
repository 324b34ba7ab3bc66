//! The broker-kill story, told twice: natively through the engine (`tests/broker_kill.rs`) and
//! in the browser through the app's client (`tests/browser_broker_kill.rs`). Both send the same
//! burst through a Mosquitto killed with SIGKILL and started again ten times, and count what
//! arrived here, with the same rules.
//!
//! Mosquitto 2.0 cannot promise delivery against SIGKILL, whatever its settings: it writes its
//! database in its main loop once a pass has made changes it counts (`autosave_on_changes`
//! counts queued messages and subscriptions), never before it acknowledges a message. What it
//! took over after its last save is gone when it starts again (a QoS 2 message it PUBRECed
//! and had not passed on), and so is what it learnt of its deliveries: a QoS 2 message it
//! passed on after that goes out again, and so does one whose PUBREC it read after that,
//! under the packet id the subscriber has since been told is free (PUBREL): both are new
//! messages to the subscriber. The story tells those apart by the time the broker began its
//! last save before a kill (the database file's birth time): a message never shown whose PUBACK
//! or PUBREC reached the publisher after that, or a QoS 2 message shown twice whose first
//! showing, or the PUBREL that ended it, came after that, is the broker's, counted and printed
//! as such. Every other loss or QoS 2 duplicate is the client's, and fails the test. Both
//! stories see the PUBRELs on the wire, decoded a second time beside the client, which keeps
//! them to itself.
//!
//! Times are milliseconds on one clock, as `f64`: the native story counts from its start, the
//! browser's uses the wall clock, which the broker's control server shares.

#![allow(dead_code)] // each story uses its own part

use mqtt_engine::codec::Packet;
use mqtt_engine::{Message, QoS};
use std::collections::HashMap;

/// Messages per QoS level.
pub const PER_QOS: usize = 10_000;
pub const TOTAL: usize = 2 * PER_QOS;
pub const KILLS: usize = 10;
/// Traffic between a restart and the next kill, at least.
pub const MIN_UP_MS: f64 = 400.0;
/// How long the broker stays dead: long enough for the publisher to queue messages offline.
pub const OUTAGES_MS: [u64; 4] = [80, 150, 250, 120];
/// Publishes handed to the client ahead of their acknowledgements, while linked / while not.
pub const AHEAD_LINKED: usize = 300;
pub const AHEAD_OFFLINE: usize = 400;
/// Once the publisher is done: how long the subscriber may get nothing before what is missing
/// counts as lost.
pub const QUIET_MS: f64 = 2_000.0;
/// Slack before the broker's last save, natively: a packet takes a moment between the client
/// and the broker's loop, and the file's time is the kernel's coarse clock.
pub const SAVE_MARGIN_MS: f64 = 15.0;

/// The MQTT 5.0 reason code "quota exceeded".
pub const QUOTA_EXCEEDED: u8 = 0x97;

pub const TOPICS: [(&str, QoS); 2] = [
    ("kill/qos1", QoS::AtLeastOnce),
    ("kill/qos2", QoS::ExactlyOnce),
];

/// Mosquitto's `max_inflight_messages` for each MQTT version.
///
/// It bounds QoS 1/2 messages in flight both ways, and a small window to the subscriber makes
/// Mosquitto queue, which is what makes it save (`autosave_on_changes` counts queued messages):
/// with 20 it loses the least of the burst; with no bound, hundreds of messages per run. But
/// after a restart Mosquitto 2.0.11 counts the publisher's window wrong, and refuses QoS 2
/// messages long before 20 are in flight (seen: the 5th): with "quota exceeded" to a 5.0
/// client, which the publisher publishes again; with a plain PUBREC to a 3.1.1 client, which
/// has no reason codes, so that it drops a message it acknowledged, unseen by the client. So
/// 3.1.1 runs without the bound.
pub fn max_inflight_messages(v5: bool) -> u16 {
    if v5 {
        20
    } else {
        0
    }
}

/// The `index`-th message of the burst: QoS 1 first, then QoS 2; the payload is its number.
pub fn message(index: usize) -> Message {
    let (topic, qos) = TOPICS[index / PER_QOS];
    Message::new(topic, (index % PER_QOS).to_string(), qos)
}

/// The index of a message of the burst, from its topic, QoS and number.
pub fn index_of(topic: &str, qos: QoS, payload: &[u8]) -> Option<usize> {
    let level = (TOPICS.iter()).position(|(name, level)| *name == topic && *level == qos)?;
    let number: usize = std::str::from_utf8(payload).ok()?.parse().ok()?;
    (number < PER_QOS).then_some(level * PER_QOS + number)
}

/// One kill of the broker, and its start again.
pub struct Kill {
    pub killed: f64,
    /// Started again: nothing the client saw before this came from the new process.
    pub restarted: f64,
    /// The start of the broker's last save before the kill: the state it started again from.
    pub saved: Option<f64>,
    /// Accepting connections again.
    pub back: f64,
    /// Publishes acknowledged when it was killed.
    pub progress: usize,
}

impl Kill {
    /// Whether `at` falls after the last save before this kill (less `margin_ms`), and before
    /// the broker started again: what the client saw of the broker then, the broker had not
    /// written down.
    fn unsaved(&self, at: f64, margin_ms: f64) -> bool {
        at <= self.restarted && self.saved.is_none_or(|saved| at > saved - margin_ms)
    }
}

pub struct PublisherReport {
    /// When the broker took each message over (PUBACK; PUBREC at QoS 2), by index.
    pub accepted_at: Vec<Option<f64>>,
    /// When the exchange ended (PUBACK; PUBCOMP at QoS 2), by index.
    pub acknowledged_at: Vec<Option<f64>>,
    /// Indexes handed to the client while it had no link (queued).
    pub published_offline: Vec<usize>,
    pub failed: Vec<String>,
    /// Refused with "quota exceeded" and published again.
    pub republished: usize,
    pub connacks: usize,
    /// Why links ended, with how often.
    pub endings: HashMap<String, usize>,
}

impl Default for PublisherReport {
    fn default() -> Self {
        Self {
            accepted_at: vec![None; TOTAL],
            acknowledged_at: vec![None; TOTAL],
            published_offline: Vec::new(),
            failed: Vec::new(),
            republished: 0,
            connacks: 0,
            endings: HashMap::new(),
        }
    }
}

pub struct SubscriberReport {
    /// When each message was shown, by index.
    pub shown_at: Vec<Vec<f64>>,
    /// When each CONNACK came, and whether the broker had kept the session.
    pub connacks: Vec<(f64, bool)>,
    /// From opening the link that got it to each CONNACK.
    pub attempt_to_connack: Vec<f64>,
    /// When the broker released each QoS 2 message (PUBREL), by index, the first time: where
    /// the story sees the wire ([`heard`](Self::heard)).
    pub released_at: Vec<Option<f64>>,
    /// The message each incoming QoS 2 packet id stands for now, to know what a PUBREL releases.
    qos2_ids: HashMap<u16, Option<usize>>,
    pub wrong: Vec<String>,
}

impl Default for SubscriberReport {
    fn default() -> Self {
        Self {
            shown_at: vec![Vec::new(); TOTAL],
            connacks: Vec::new(),
            attempt_to_connack: Vec::new(),
            released_at: vec![None; TOTAL],
            qos2_ids: HashMap::new(),
            wrong: Vec::new(),
        }
    }
}

impl SubscriberReport {
    /// A message arrived at `at`; returns whether it is the first showing of one of the burst.
    pub fn shown(&mut self, topic: &str, qos: QoS, payload: &[u8], at: f64) -> bool {
        match index_of(topic, qos, payload) {
            Some(index) => {
                self.shown_at[index].push(at);
                self.shown_at[index].len() == 1
            }
            None => {
                let payload = String::from_utf8_lossy(payload);
                self.wrong.push(format!("{topic} {qos:?} {payload}"));
                false
            }
        }
    }

    /// A packet came in to the subscriber at `at`, seen on the wire beside the client.
    pub fn heard(&mut self, packet: &Packet, at: f64) {
        match packet {
            Packet::Publish(publish) if publish.qos == QoS::ExactlyOnce => {
                let index = index_of(&publish.topic, publish.qos, &publish.payload);
                self.qos2_ids.insert(publish.pkid, index);
            }
            Packet::PubRel(release) => {
                if let Some(Some(index)) = self.qos2_ids.get(&release.pkid) {
                    self.released_at[*index].get_or_insert(at);
                }
            }
            _ => {}
        }
    }

    /// When the PUBREL that ended the first showing of QoS 2 message `index` came, if it came
    /// before the next showing.
    fn first_showing_released_at(&self, index: usize) -> Option<f64> {
        let next = self.shown_at[index].get(1);
        let released_at = self.released_at[index]?;
        next.is_none_or(|next| released_at < *next)
            .then_some(released_at)
    }
}

pub struct Figures {
    /// Numbers never shown, per level.
    lost: [Vec<usize>; 2],
    /// Of those, the ones the broker took over after its last save before a kill.
    brokers_lost: [Vec<usize>; 2],
    /// Extra showings, per level.
    duplicates: [usize; 2],
    /// QoS 2 extra showings whose first showing came after the broker's last save before a kill.
    brokers_duplicates: usize,
    /// The QoS 2 indexes of those.
    brokers_twice: Vec<usize>,
    /// The slack taken before each save.
    margin_ms: f64,
}

impl Figures {
    /// Counts what was lost and shown twice, and whose doing it was: a time within `margin_ms`
    /// before the broker's last save before a kill counts as after it.
    pub fn count(
        publisher: &PublisherReport,
        subscriber: &SubscriberReport,
        kills: &[Kill],
        margin_ms: f64,
    ) -> Self {
        let unsaved = |at: Option<f64>| {
            at.is_some_and(|at| kills.iter().any(|kill| kill.unsaved(at, margin_ms)))
        };
        let mut figures = Figures {
            lost: [Vec::new(), Vec::new()],
            brokers_lost: [Vec::new(), Vec::new()],
            duplicates: [0, 0],
            brokers_duplicates: 0,
            brokers_twice: Vec::new(),
            margin_ms,
        };
        for (index, shown) in subscriber.shown_at.iter().enumerate() {
            let level = index / PER_QOS;
            if shown.is_empty() {
                figures.lost[level].push(index % PER_QOS);
                if unsaved(publisher.accepted_at[index]) {
                    figures.brokers_lost[level].push(index % PER_QOS);
                }
            }
            let extra = shown.len().saturating_sub(1);
            figures.duplicates[level] += extra;
            let brokers = unsaved(shown.first().copied())
                || unsaved(subscriber.first_showing_released_at(index));
            if level == 1 && extra > 0 && brokers {
                figures.brokers_duplicates += extra;
                figures.brokers_twice.push(index);
            }
        }
        figures
    }

    /// Fails on what the client lost or showed twice, and on anything unexpected.
    pub fn check(&self, publisher: &PublisherReport, subscriber: &SubscriberReport) {
        assert!(
            subscriber.wrong.is_empty(),
            "unexpected: {:?}",
            subscriber.wrong
        );
        assert!(
            publisher.failed.is_empty(),
            "refused: {:?}",
            publisher.failed
        );
        let unacknowledged = (publisher.acknowledged_at.iter()).filter(|at| at.is_none());
        assert_eq!(unacknowledged.count(), 0, "publishes never acknowledged");
        let ours = |level: usize| self.lost[level].len() - self.brokers_lost[level].len();
        assert_eq!((ours(0), ours(1)), (0, 0), "messages lost by the client");
        assert_eq!(
            self.duplicates[1] - self.brokers_duplicates,
            0,
            "QoS 2 messages shown twice, not the broker's doing"
        );
    }

    /// The figures, one per line: losses, duplicates, the offline publishes, reconnect times.
    pub fn describe(
        &self,
        publisher: &PublisherReport,
        subscriber: &SubscriberReport,
        kills: &[Kill],
    ) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!(
            "  lost: QoS 1 {} (the broker's {}), QoS 2 {} (the broker's {})",
            self.lost[0].len(),
            self.brokers_lost[0].len(),
            self.lost[1].len(),
            self.brokers_lost[1].len()
        ));
        line(format!(
            "  duplicates: QoS 1 {}, QoS 2 {} (the broker's {}); the broker's: after its last \
             save before a kill, less {} ms",
            self.duplicates[0], self.duplicates[1], self.brokers_duplicates, self.margin_ms
        ));
        let offline_lost = (publisher.published_offline.iter())
            .filter(|&&index| subscriber.shown_at[index].is_empty())
            .count();
        let unacknowledged = (publisher.acknowledged_at.iter())
            .filter(|at| at.is_none())
            .count();
        line(format!(
            "  published while offline: {} (lost {offline_lost}); never acknowledged: \
             {unacknowledged}; refused by the broker: {}, for quota and published again: {}",
            publisher.published_offline.len(),
            publisher.failed.len(),
            publisher.republished
        ));
        // From the broker back (accepting connections) to the subscriber's next CONNACK.
        let mut back_to_connack: Vec<u64> = (kills.iter())
            .filter_map(|kill| {
                let (connack, _) =
                    (subscriber.connacks.iter()).find(|(at, _)| *at > kill.killed)?;
                Some((connack - kill.back).max(0.0).round() as u64)
            })
            .collect();
        let kept = (subscriber.connacks.iter())
            .filter(|(_, kept)| *kept)
            .count();
        let mut handshakes: Vec<u64> = (subscriber.attempt_to_connack.iter())
            .map(|took| took.round() as u64)
            .collect();
        back_to_connack.sort_unstable();
        handshakes.sort_unstable();
        line(format!(
            "  broker back -> subscriber CONNACK: median {} ms, each {back_to_connack:?} ms; \
             subscriber reconnects {} (session kept {kept}), publisher reconnects {}",
            median(&back_to_connack),
            subscriber.connacks.len(),
            publisher.connacks.saturating_sub(1)
        ));
        line(format!(
            "  of which opening the link (WebSocket handshake, CONNECT) to CONNACK: median {} ms",
            median(&handshakes)
        ));
        line(format!(
            "  kills at acknowledged count: {:?}",
            kills.iter().map(|kill| kill.progress).collect::<Vec<_>>()
        ));
        if !publisher.failed.is_empty() {
            line(format!("  refused: {:?}", publisher.failed));
        }
        let mut endings: Vec<_> = publisher.endings.iter().collect();
        endings.sort();
        line(format!("  publisher's links ended: {endings:?}"));
        for (level, lost) in self.lost.iter().enumerate() {
            let brokers = &self.brokers_lost[level];
            let (theirs, ours): (Vec<usize>, Vec<usize>) =
                lost.iter().partition(|number| brokers.contains(number));
            for (whose, numbers, shown) in [("the client", ours, 10), ("the broker", theirs, 3)] {
                for number in numbers.iter().take(shown) {
                    let index = level * PER_QOS + number;
                    line(format!(
                        "  lost QoS {} #{number} ({whose}): taken over {}",
                        level + 1,
                        timeline(publisher.accepted_at[index], kills)
                    ));
                }
            }
        }
        let twice = (PER_QOS..TOTAL).filter(|&index| subscriber.shown_at[index].len() > 1);
        let (theirs, ours): (Vec<usize>, Vec<usize>) =
            twice.partition(|&index| self.brokers_twice.contains(&index));
        for (whose, indexes, shown) in [("the client", ours, 10), ("the broker", theirs, 3)] {
            for index in indexes.into_iter().take(shown) {
                let released = match subscriber.first_showing_released_at(index) {
                    Some(at) => timeline(Some(at), kills),
                    None => "not before it came again".to_string(),
                };
                line(format!(
                    "  QoS 2 #{} shown {} times ({whose}): first {}; released (PUBREL) {released}",
                    index - PER_QOS,
                    subscriber.shown_at[index].len(),
                    timeline(subscriber.shown_at[index].first().copied(), kills),
                ));
            }
        }
        out
    }
}

/// The middle of sorted `values`.
fn median(values: &[u64]) -> String {
    (values.get(values.len() / 2)).map_or("-".to_string(), |ms| ms.to_string())
}

/// Where `at` falls among the kills: how long after the broker's last save, before which kill.
fn timeline(at: Option<f64>, kills: &[Kill]) -> String {
    let Some(at) = at else {
        return "never taken over by the broker".to_string();
    };
    let Some(number) = kills.iter().position(|kill| kill.restarted >= at) else {
        return "after the last kill".to_string();
    };
    let kill = &kills[number];
    let since_save = match kill.saved {
        Some(saved) if saved <= at => format!("{:.0} ms after", at - saved),
        Some(saved) => format!("{:.0} ms before", saved - at),
        None => "with no save".to_string(),
    };
    let to_kill = if kill.killed >= at {
        format!("{:.0} ms before", kill.killed - at)
    } else {
        format!("{:.0} ms after", at - kill.killed)
    };
    format!(
        "{since_save} the broker's last save, {to_kill} kill {}",
        number + 1
    )
}
