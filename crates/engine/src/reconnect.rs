//! When to try the link again: exponential backoff with jitter, and which endings are final.

use super::session::{DisconnectReason, SESSION_TAKEN_OVER};
use super::time::Duration;

/// Exponential backoff with jitter: about 0.5 s, 1 s, 2 s, … up to about 30 s.
///
/// The engine has no random source, so the caller brings a number in `0.0..1.0`
/// (`Math.random()` in the browser). Each delay is drawn between half and all of the current
/// step, so that many clients cut off together do not come back together.
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(500), Duration::from_secs(30))
    }
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            attempt: 0,
        }
    }

    /// Tries made since the last success.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The wait before the next try; counts the try.
    pub fn next_delay(&mut self, random: f64) -> Duration {
        let step = (self.initial.as_millis() << self.attempt.min(16)).min(self.max.as_millis());
        self.attempt = self.attempt.saturating_add(1);
        let jitter = (step as f64 / 2.0 * random.clamp(0.0, 1.0)) as u64;
        Duration::from_millis(step / 2 + jitter)
    }

    /// The link came up: the next loss starts from the first step again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl DisconnectReason {
    /// Whether trying again cannot help until the user changes something: the broker refused
    /// these credentials, this client id or this version, or banned the client; another client
    /// took the session over with the same client id (trying again would take it back, and the
    /// two would take turns forever); or the user asked to disconnect. Such endings are said,
    /// not retried.
    pub fn is_final(&self) -> bool {
        match self {
            Self::ClientRequested => true,
            // Bad client id, bad credentials, not authorized, banned, bad authentication
            // method, unsupported protocol version.
            Self::Refused(reason) => matches!(reason.0, 0x84 | 0x85 | 0x86 | 0x87 | 0x8A | 0x8C),
            Self::ByServer { reason, .. } => reason.0 == SESSION_TAKEN_OVER,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReasonCode;

    #[test]
    fn delays_double_from_half_a_second_to_the_cap_with_jitter() {
        let mut backoff = Backoff::default();
        let lowest: Vec<u64> = (0..9)
            .map(|_| backoff.next_delay(0.0).as_millis())
            .collect();
        assert_eq!(
            lowest,
            [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]
        );
        let mut backoff = Backoff::default();
        let highest: Vec<u64> = (0..9)
            .map(|_| backoff.next_delay(1.0).as_millis())
            .collect();
        assert_eq!(
            highest,
            [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(backoff.attempt(), 9);
        backoff.reset();
        assert_eq!(backoff.next_delay(1.0), Duration::from_millis(500));
    }

    #[test]
    fn it_never_overflows_however_long_it_tries() {
        let mut backoff = Backoff::default();
        for _ in 0..100_000 {
            assert!(backoff.next_delay(0.7) <= Duration::from_secs(30));
        }
    }

    #[test]
    fn refusals_on_purpose_are_final_and_the_rest_are_retried() {
        for code in [0x84, 0x85, 0x86, 0x87, 0x8A, 0x8C] {
            assert!(DisconnectReason::Refused(ReasonCode(code)).is_final());
        }
        assert!(DisconnectReason::ClientRequested.is_final());
        let taken_over = DisconnectReason::ByServer {
            reason: ReasonCode(0x8E),
            message: None,
        };
        assert!(taken_over.is_final());
        assert_eq!(
            taken_over.to_string(),
            "the broker closed the connection: another client connected with the same client id \
             (session taken over) (reason code 0x8E)"
        );
        for retried in [
            DisconnectReason::Refused(ReasonCode(0x88)), // server unavailable
            DisconnectReason::Refused(ReasonCode(0x89)), // server busy
            DisconnectReason::PingTimeout {
                after: Duration::from_secs(10),
            },
            DisconnectReason::TransportClosed("closed".into()),
            DisconnectReason::ByServer {
                reason: ReasonCode(0x8B),
                message: None,
            },
        ] {
            assert!(!retried.is_final(), "{retried:?}");
        }
    }
}
