//! The session's one timer, armed for its next deadline (a keep-alive ping, a response
//! timeout), and what a hidden tab does to it.
//!
//! Chrome's intensive throttling (after some minutes hidden) delays a timer to a once-a-minute
//! wake-up when its nesting level is 5 or more, that is, when it was set from a timer that was
//! set from a timer…, and to a once-a-second one otherwise. A timer set in a WebSocket event's
//! task has nesting level 0. The keep-alive timer chains through itself (ping, wait, ping); so
//! a timer armed in a timer's task is armed again at the next WebSocket event (the PINGRESP, at
//! the latest), which costs one clearTimeout and setTimeout a keep-alive period and keeps the
//! chain short. A late timer is harmless: the session compares times, not firings.

use crate::clock::now;
use gloo_timers::callback::Timeout;
use mqtt_engine::Instant;

#[derive(Default)]
pub(crate) struct SessionTimer {
    armed: Option<Armed>,
    hold: Hold,
}

struct Armed {
    deadline: Instant,
    /// Armed in a WebSocket event's task.
    from_network: bool,
    _timeout: Timeout,
}

/// Tests hold the timer to play a hidden tab whose timers the browser throttles.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Hold {
    #[default]
    Free,
    Held,
    /// Held, and it came due meanwhile: it fires when released.
    HeldPastDue,
}

impl SessionTimer {
    /// Arms the timer for `deadline` (none: disarms it). A timer armed for an earlier deadline
    /// is kept: when it fires, the session finds nothing due and the timer is armed again. That
    /// spares a clearTimeout and a setTimeout per message, since each send moves the keep-alive.
    /// `from_network`: this turn runs in a WebSocket event's task.
    pub fn arm(
        &mut self,
        deadline: Option<Instant>,
        from_network: bool,
        fire: impl FnOnce() + 'static,
    ) {
        if self.hold == Hold::HeldPastDue {
            return;
        }
        let Some(deadline) = deadline else {
            self.armed = None;
            return;
        };
        let keep = (self.armed.as_ref()).is_some_and(|armed| {
            armed.deadline <= deadline && (armed.from_network || !from_network)
        });
        if keep {
            return;
        }
        let delay = (deadline - now()).as_millis().min(i32::MAX as u64) as u32;
        self.armed = Some(Armed {
            deadline,
            from_network,
            _timeout: Timeout::new(delay, fire),
        });
    }

    pub fn disarm(&mut self) {
        self.armed = None;
    }

    /// The timer fired: true if the session is to be told, false if it is held.
    pub fn fired(&mut self) -> bool {
        self.armed = None;
        if self.hold == Hold::Free {
            return true;
        }
        self.hold = Hold::HeldPastDue;
        false
    }

    /// Holds the timer back, or lets it go: true if a firing was missed meanwhile, which is
    /// owed now, late, as a throttled timer's would be.
    pub fn hold(&mut self, held: bool) -> bool {
        let past_due = self.hold == Hold::HeldPastDue;
        self.hold = match (held, past_due) {
            (false, _) => Hold::Free,
            (true, false) => Hold::Held,
            (true, true) => Hold::HeldPastDue,
        };
        !held && past_due
    }
}
