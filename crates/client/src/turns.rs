//! When a turn of the driver runs, and what waits for it.
//!
//! WebSocket messages wait in the link's inbox for a turn of their own, run in a later task
//! ([`LaterTask`]), after the messages already queued in the tab: one turn a burst, not one a
//! message. That turn answers them (the acks) in one `send`. Commands run at once, and what they make the session send goes out in a
//! microtask, with whatever else the same task commanded.

use crate::later_task::LaterTask;

#[derive(Default)]
pub(crate) struct Turns {
    /// The later task that runs the turn of a burst of messages.
    burst: Option<LaterTask>,
    /// That task is posted and has not run yet.
    burst_due: bool,
    /// A microtask will end the turn of this task's commands.
    pub flush_scheduled: bool,
    /// This turn's input came from the network (a WebSocket event), not from a timer.
    pub from_network: bool,
}

impl Turns {
    pub fn new(burst: Option<LaterTask>) -> Self {
        Self {
            burst,
            ..Self::default()
        }
    }

    /// Asks for the later task that runs the turn of this burst of messages, unless it is due
    /// already; false if there is none (the browser could not make one).
    pub fn burst_in_a_later_task(&mut self) -> bool {
        if !self.burst_due {
            self.burst_due = self.burst.as_ref().is_some_and(LaterTask::post);
        }
        self.burst_due
    }

    /// The burst's later task runs now.
    pub fn burst_runs(&mut self) {
        self.burst_due = false;
    }

    /// A turn is coming that will send what a command queued now.
    pub fn turn_is_coming(&self) -> bool {
        self.burst_due || self.flush_scheduled
    }
}
