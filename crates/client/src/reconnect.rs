//! When the driver opens a new link after losing one, in plain Rust (the timers that carry it
//! out are the driver's).
//!
//! - A loss is retried once the connection has been up (CONNACK) since the user pressed
//!   Connect. A first try that fails is reported and not retried: it is almost always a mistake
//!   in the settings (an address, a port, a password), and the user is looking at the form.
//! - Endings that trying again cannot mend ([`DisconnectReason::is_final`]: refused credentials,
//!   a ban, the user's own Disconnect) stop the retrying, and say so.
//! - Each try waits [`Backoff::next_delay`] (0.5 s doubling to 30 s, jittered), and a CONNACK
//!   starts it over; but not after [`SHORT_LINKS`] links in a row lost within
//!   [`STABLE_LINK`] of their CONNACK, so that a broker that drops every link just after
//!   CONNACK (two tabs with one client id on a 3.1.1 broker, each connect taking the session
//!   from the other) is tried ever less often, not twice a second forever. A broker that
//!   restarts, or a network that drops, does not lose three links in a row that soon.
//! - While the browser says it is offline no try is made; when it is back online the next try
//!   is made at once.

use mqtt_engine::{Backoff, DisconnectReason, Duration, Instant};

/// A link lost sooner than this after its CONNACK counts as short.
pub const STABLE_LINK: Duration = Duration::from_secs(1);
/// Short links in a row after which the backoff goes on growing across CONNACKs.
pub const SHORT_LINKS: u32 = 3;

/// What the driver does once a link has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterLoss {
    /// Try again at this time, on the driver's clock.
    RetryAt(Instant),
    /// The browser is offline: try again when it is back.
    WaitForNetwork,
    /// Do not try again.
    Stop,
}

/// Where reconnecting stands, for the UI.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RetryStatus {
    /// Retrying: a try is scheduled, under way, or waiting for the network.
    pub active: bool,
    /// Tries made since the link was lost, the one under way included.
    pub attempt: u32,
    /// When the next try starts (wall clock, ms since 1970), while one is scheduled.
    pub next_try_at: Option<f64>,
    /// Why the link was lost, or why the last try failed.
    pub last_reason: Option<String>,
    /// Retrying, and the browser is offline: the next try waits for the network.
    pub waiting_for_network: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Reconnect {
    backoff: Backoff,
    /// CONNACK came since the user pressed Connect: from then on a loss is retried.
    established: bool,
    active: bool,
    /// A try is under way (a link is opening or waiting for CONNACK).
    trying: bool,
    offline: bool,
    tries: u32,
    next_try_at: Option<Instant>,
    last_reason: Option<String>,
    /// When the link that is up got its CONNACK.
    connected_at: Option<Instant>,
    /// Links lost within `STABLE_LINK` of their CONNACK, in a row.
    short_links: u32,
}

impl Reconnect {
    /// `offline`: what `navigator.onLine` says now.
    pub fn new(offline: bool) -> Self {
        Self {
            offline,
            ..Self::default()
        }
    }

    /// The user pressed Connect: a fresh start, nothing retried until the link has been up.
    pub fn start(&mut self) {
        *self = Self::new(self.offline);
    }

    /// What this browser stored for the connection is being sent: the link it was meant for
    /// was up before, so a loss, the first try's included, is retried as after a CONNACK.
    pub fn resumes_stored_messages(&mut self) {
        self.established = true;
    }

    /// CONNACK came at `now`: losses are retried from now on.
    pub fn connected(&mut self, now: Instant) {
        self.established = true;
        self.active = false;
        self.trying = false;
        self.tries = 0;
        self.next_try_at = None;
        self.connected_at = Some(now);
    }

    /// The link ended (or a try failed) for `reason`; `random` is in `0.0..1.0`.
    pub fn link_ended(
        &mut self,
        reason: &DisconnectReason,
        now: Instant,
        random: f64,
    ) -> AfterLoss {
        self.trying = false;
        self.next_try_at = None;
        if let Some(at) = self.connected_at.take() {
            if now - at >= STABLE_LINK {
                self.short_links = 0;
            } else {
                self.short_links += 1;
            }
            if self.short_links < SHORT_LINKS {
                self.backoff.reset();
            }
        }
        if *reason != DisconnectReason::ClientRequested {
            self.last_reason = Some(reason.to_string());
        }
        if reason.is_final() || !self.established {
            self.active = false;
            return AfterLoss::Stop;
        }
        self.active = true;
        if self.offline {
            return AfterLoss::WaitForNetwork;
        }
        let at = now + self.backoff.next_delay(random);
        self.next_try_at = Some(at);
        AfterLoss::RetryAt(at)
    }

    /// Whether a try may start now: retrying, none under way, and the browser online.
    pub fn may_try(&self) -> bool {
        self.active && !self.trying && !self.offline
    }

    /// Whether a scheduled try is due at `now` (a timer in a hidden tab may fire late).
    pub fn is_due(&self, now: Instant) -> bool {
        self.may_try() && self.next_try_at.is_some_and(|at| at <= now)
    }

    /// A try starts.
    pub fn try_begins(&mut self) {
        self.trying = true;
        self.tries += 1;
        self.next_try_at = None;
    }

    /// The browser went offline. Returns whether a scheduled try is called off.
    pub fn went_offline(&mut self) -> bool {
        self.offline = true;
        self.next_try_at.take().is_some()
    }

    /// The browser is back online. Returns whether to try at once.
    pub fn came_online(&mut self) -> bool {
        self.offline = false;
        self.may_try()
    }

    /// Cancel, or Disconnect: no more tries.
    pub fn stop(&mut self) {
        self.active = false;
        self.trying = false;
        self.next_try_at = None;
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// What the browser last said: offline.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// Whether the connection had come up before this ending: a final ending then stops a
    /// connection that was being kept, which the status should say.
    pub fn was_established(&self) -> bool {
        self.established
    }

    /// The status for the UI; `to_wall` turns the driver's clock into the wall clock.
    pub fn status(&self, to_wall: impl Fn(Instant) -> f64) -> RetryStatus {
        RetryStatus {
            active: self.active,
            attempt: self.tries,
            next_try_at: self.next_try_at.map(to_wall),
            last_reason: self.last_reason.clone(),
            waiting_for_network: self.active && self.offline && !self.trying,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqtt_engine::ReasonCode;

    /// The instant `ms` milliseconds into the test's clock.
    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn lost() -> DisconnectReason {
        DisconnectReason::TransportClosed("the connection to the broker was lost".into())
    }

    #[test]
    fn a_first_try_that_fails_is_not_retried() {
        let mut reconnect = Reconnect::new(false);
        reconnect.start();
        assert_eq!(reconnect.link_ended(&lost(), at(0), 0.5), AfterLoss::Stop);
        let status = reconnect.status(|at| at.as_millis() as f64);
        assert!(!status.active);
        assert_eq!(
            status.last_reason.as_deref(),
            Some("the connection to the broker was lost")
        );
    }

    #[test]
    fn a_loss_after_connack_is_retried_with_a_growing_delay_reset_by_connack() {
        let mut reconnect = Reconnect::new(false);
        reconnect.connected(at(0));
        assert_eq!(
            reconnect.link_ended(&lost(), at(1_000), 1.0),
            AfterLoss::RetryAt(at(1_500))
        );
        assert_eq!(
            reconnect.status(|at| at.as_millis() as f64).next_try_at,
            Some(1_500.0)
        );
        assert!(reconnect.may_try());
        reconnect.try_begins();
        assert!(!reconnect.may_try(), "one try at a time");
        assert_eq!(
            reconnect.link_ended(&lost(), at(2_000), 1.0),
            AfterLoss::RetryAt(at(3_000))
        );
        reconnect.try_begins();
        let status = reconnect.status(|at| at.as_millis() as f64);
        assert_eq!(
            (status.active, status.attempt, status.next_try_at),
            (true, 2, None)
        );
        reconnect.connected(at(4_000));
        assert_eq!(
            reconnect.link_ended(&lost(), at(4_100), 1.0),
            AfterLoss::RetryAt(at(4_600))
        );
    }

    #[test]
    fn links_lost_soon_after_connack_are_tried_ever_less_often() {
        let mut reconnect = Reconnect::new(false);
        let mut now = Instant::ZERO;
        let mut delays = Vec::new();
        for _ in 0..8 {
            reconnect.connected(now);
            // Another client with this id takes the session a moment later.
            now += Duration::from_millis(300);
            let AfterLoss::RetryAt(at) = reconnect.link_ended(&lost(), now, 1.0) else {
                panic!("retried")
            };
            delays.push((at - now).as_millis());
            reconnect.try_begins();
            now = at + Duration::from_millis(100);
        }
        assert_eq!(
            delays,
            [500, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000]
        );
        // A link that stays up starts the backoff over.
        reconnect.connected(now);
        now += STABLE_LINK;
        assert_eq!(
            reconnect.link_ended(&lost(), now, 1.0),
            AfterLoss::RetryAt(now + Duration::from_millis(500))
        );
    }

    #[test]
    fn final_endings_stop_even_a_kept_connection() {
        let mut reconnect = Reconnect::new(false);
        reconnect.connected(at(0));
        let refused = DisconnectReason::Refused(ReasonCode(0x87));
        assert_eq!(reconnect.link_ended(&refused, at(0), 0.5), AfterLoss::Stop);
        assert!(reconnect.was_established());
        assert!(!reconnect.status(|at| at.as_millis() as f64).active);
        reconnect.connected(at(0));
        let by_you = DisconnectReason::ClientRequested;
        assert_eq!(reconnect.link_ended(&by_you, at(0), 0.5), AfterLoss::Stop);
        assert_eq!(
            reconnect.status(|at| at.as_millis() as f64).last_reason,
            Some(refused.to_string()),
            "the user's own Disconnect is no reason to show"
        );
    }

    #[test]
    fn no_tries_while_offline_and_one_at_once_when_back() {
        let mut reconnect = Reconnect::new(false);
        reconnect.connected(at(0));
        assert!(matches!(
            reconnect.link_ended(&lost(), at(0), 0.5),
            AfterLoss::RetryAt(_)
        ));
        assert!(reconnect.went_offline(), "the scheduled try is called off");
        assert!(!reconnect.may_try());
        let status = reconnect.status(|at| at.as_millis() as f64);
        assert!(status.waiting_for_network && status.next_try_at.is_none());
        assert!(reconnect.came_online(), "back online: try now");

        let mut offline = Reconnect::new(true);
        offline.connected(at(0));
        assert_eq!(
            offline.link_ended(&lost(), at(0), 0.5),
            AfterLoss::WaitForNetwork
        );
        assert!(!offline.went_offline(), "nothing was scheduled");
        assert!(offline.came_online());
    }

    #[test]
    fn cancel_stops_and_connect_starts_afresh() {
        let mut reconnect = Reconnect::new(false);
        reconnect.connected(at(0));
        reconnect.link_ended(&lost(), at(0), 0.5);
        reconnect.stop();
        assert!(!reconnect.may_try());
        assert!(!reconnect.came_online());
        reconnect.start();
        assert!(!reconnect.was_established());
        assert_eq!(
            reconnect.status(|at| at.as_millis() as f64),
            RetryStatus::default()
        );
    }
}
