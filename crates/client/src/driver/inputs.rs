//! How inputs enter the driver: each runs with the driver borrowed, then the end of the turn, and
//! the page is told after the driver is released.

use super::Driver;
use std::cell::{RefCell, RefMut};
use std::rc::{Rc, Weak};

/// Runs one input through the driver, then the end of the turn; tells the page after.
pub(crate) fn drive<R>(
    driver: &Rc<RefCell<Driver>>,
    input: impl FnOnce(&mut Driver) -> R,
) -> Option<R> {
    let mut guard = borrow(driver)?;
    guard.read_inbox();
    let result = input(&mut guard);
    guard.end_turn();
    release_and_tell(guard);
    Some(result)
}

/// Runs a command now; what it makes the session send goes out at the end of this task, with
/// anything else commanded in it. The page hears of what it changed after the driver is
/// released.
pub(crate) fn command<R>(
    driver: &Rc<RefCell<Driver>>,
    command: impl FnOnce(&mut Driver) -> R,
) -> Option<R> {
    let mut guard = borrow(driver)?;
    let result = command(&mut guard);
    guard.schedule_flush();
    release_and_tell(guard);
    Some(result)
}

/// The driver, unless it is at work already: only a bug could get there (the driver called
/// back into itself), which is said rather than panicked on.
fn borrow(driver: &Rc<RefCell<Driver>>) -> Option<RefMut<'_, Driver>> {
    let borrowed = driver.try_borrow_mut().ok();
    if borrowed.is_none() {
        web_sys::console::error_1(
            &"wasm-mqtt: the driver was re-entered; the input was dropped".into(),
        );
    }
    borrowed
}

/// Releases the driver, then hands the page what changed.
fn release_and_tell(mut guard: RefMut<'_, Driver>) {
    let update = std::mem::take(&mut guard.update);
    let tell = guard.tell_page.clone();
    drop(guard);
    if !update.is_empty() {
        tell(update);
    }
}

/// The first WebSocket message since the last turn: the turn that reads and answers it waits
/// for a later task, which runs after the messages already queued in the tab, so that one turn
/// (one `send`, one update of the page) serves the whole burst.
pub(super) fn wake(driver: &Weak<RefCell<Driver>>) {
    let Some(driver) = driver.upgrade() else {
        return;
    };
    let Some(later) = borrow(&driver).map(|mut guard| guard.turns.burst_in_a_later_task()) else {
        return;
    };
    if !later {
        drive(&driver, |_| {});
    }
}

pub(super) fn drive_weak(driver: &Weak<RefCell<Driver>>, input: impl FnOnce(&mut Driver)) {
    if let Some(driver) = driver.upgrade() {
        drive(&driver, input);
    }
}
