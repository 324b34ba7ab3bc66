//! When the stored queue is written: a change waits a little, so that a burst of publishes and
//! acks makes one write, not one each; one write at a time, so that they land in order; a
//! failing write is said once, until one works again.
//!
//! The record is the whole queue, up to its bound (10 MB by default), so a write of a large
//! queue takes a while: the wait grows with it, and writing takes at most a fifth of the time.

use crate::clock::now;
use gloo_timers::callback::Timeout;
use mqtt_engine::Instant;

/// How long a change to the queue waits before it is stored, at the least.
const STORE_DELAY_MS: u32 = 200;
/// The wait, as a multiple of how long the last write took.
const WRITE_TIME_TIMES: u32 = 4;

#[derive(Default)]
pub(crate) struct SaveSchedule {
    /// The queue changed since it was last stored.
    dirty: bool,
    timer: Option<Timeout>,
    /// A write is under way since this time: the next waits for it.
    writing_since: Option<Instant>,
    /// How long the last write took.
    last_write_ms: u32,
    /// The last save failed (and said so): the next failure is not said again.
    failing: bool,
}

impl SaveSchedule {
    pub fn changed(&mut self) {
        self.dirty = true;
    }

    /// Runs `save` after the delay, if something changed and no save is scheduled or under
    /// way.
    pub fn schedule(&mut self, save: impl FnOnce() + 'static) {
        if self.dirty && self.timer.is_none() && self.writing_since.is_none() {
            let delay = STORE_DELAY_MS.max(self.last_write_ms.saturating_mul(WRITE_TIME_TIMES));
            self.timer = Some(Timeout::new(delay, save));
        }
    }

    /// A save is due (the delay is over, or the page is going): true if something changed and
    /// no write is under way, and the write begins.
    pub fn begin_due(&mut self) -> bool {
        self.timer = None;
        if self.writing_since.is_some() || !std::mem::take(&mut self.dirty) {
            return false;
        }
        self.writing_since = Some(now());
        true
    }

    /// The write begun by [`begin_due`](Self::begin_due) ended.
    pub fn write_ended(&mut self, result: Result<(), String>) -> Option<String> {
        if let Some(since) = self.writing_since.take() {
            let took = (now() - since).as_millis();
            self.last_write_ms = u32::try_from(took).unwrap_or(u32::MAX);
        }
        self.saved(result)
    }

    /// What became of a save: the words to show, the first time saving fails.
    pub fn saved(&mut self, result: Result<(), String>) -> Option<String> {
        match result {
            Ok(()) => {
                self.failing = false;
                None
            }
            Err(text) => (!std::mem::replace(&mut self.failing, true)).then_some(text),
        }
    }
}
