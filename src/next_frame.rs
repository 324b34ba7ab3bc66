//! Runs a callback at most once per animation frame, however often it is asked for: the
//! messages that arrive within one frame make one update of the page, not one each.
//!
//! A hidden tab runs no animation frames: a timer stands in for them (the browser runs it at
//! most once a second there), so that what reads the signals still hears of the changes.

use gloo_timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How long the timer waits for an animation frame before it runs the callback itself.
const FALLBACK_MS: u32 = 200;

pub(super) struct NextFrame(Rc<Pending>);

struct Pending {
    run: Box<dyn Fn()>,
    due: Cell<bool>,
    /// One closure for every frame asked for, made once.
    on_frame: Closure<dyn FnMut()>,
    fallback: RefCell<Option<Timeout>>,
}

impl NextFrame {
    pub(super) fn new(run: impl Fn() + 'static) -> Self {
        Self(Rc::new_cyclic(|this: &Weak<Pending>| {
            let this = this.clone();
            Pending {
                run: Box::new(run),
                due: Cell::new(false),
                on_frame: Closure::new(move || fire(&this)),
                fallback: RefCell::new(None),
            }
        }))
    }

    /// Runs the callback at the next animation frame, unless that is already asked for.
    pub(super) fn schedule(&self) {
        let pending = &self.0;
        if pending.due.replace(true) {
            return;
        }
        let framed = web_sys::window().is_some_and(|window| {
            (window.request_animation_frame(pending.on_frame.as_ref().unchecked_ref())).is_ok()
        });
        let this = Rc::downgrade(pending);
        let delay = if framed { FALLBACK_MS } else { 0 };
        *pending.fallback.borrow_mut() = Some(Timeout::new(delay, move || fire(&this)));
    }
}

/// The frame or the timer, whichever comes first; the other then finds nothing due.
fn fire(pending: &Weak<Pending>) {
    let Some(pending) = pending.upgrade() else {
        return;
    };
    if !pending.due.replace(false) {
        return;
    }
    // Cancels the timer (dropping it while it runs is safe: wasm-bindgen frees it on return).
    let _fallback = pending.fallback.borrow_mut().take();
    (pending.run)();
}
