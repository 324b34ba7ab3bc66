//! When the stored queue is written: a change waits a little, so that a burst of publishes and
//! acks makes one write, not one each; one write at a time, so that they land in order; a
//! failing write is said once, until one works again.

use gloo_timers::callback::Timeout;

/// How long a change to the queue waits before it is stored.
const STORE_DELAY_MS: u32 = 200;

#[derive(Default)]
pub(crate) struct SaveSchedule {
    /// The queue changed since it was last stored.
    dirty: bool,
    timer: Option<Timeout>,
    /// A write is under way: the next waits for it.
    writing: bool,
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
        if self.dirty && self.timer.is_none() && !self.writing {
            self.timer = Some(Timeout::new(STORE_DELAY_MS, save));
        }
    }

    /// A save is due (the delay is over, or the page is going): true if something changed and
    /// no write is under way, and the write begins.
    pub fn begin_due(&mut self) -> bool {
        self.timer = None;
        if self.writing || !std::mem::take(&mut self.dirty) {
            return false;
        }
        self.writing = true;
        true
    }

    /// The write begun by [`begin_due`](Self::begin_due) ended.
    pub fn write_ended(&mut self, result: Result<(), String>) -> Option<String> {
        self.writing = false;
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
