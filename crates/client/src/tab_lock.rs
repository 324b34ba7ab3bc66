//! One tab at a time for a stored queue: a Web Lock (`navigator.locks`) per broker and client
//! id, held while a session for them lives in this tab. Two tabs connected as one client would
//! otherwise both send what the first stored, and write over each other's record. The lock
//! goes with the tab: closed, reloaded or crashed, the next one gets it.
//!
//! `LockManager` is among web-sys's unstable APIs, so it is reached through `js_sys`.

use js_sys::{Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// What became of a claim.
pub(crate) enum Claim {
    /// Held as long as this lives.
    Held { _lock: TabLock },
    /// Another tab of this browser holds it.
    HeldElsewhere,
    /// No Web Locks here (a page not served over https or from localhost, an old browser):
    /// every tab goes on as if it held it.
    Unsupported,
}

/// A held lock, let go when dropped.
pub(crate) struct TabLock {
    release: Function,
}

impl Drop for TabLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Asks for the lock named `name` without waiting for it; `answer` hears, in a later task,
/// whether this tab has it. False, and no answer, where the browser has no Web Locks or
/// refuses the request at once: as `Claim::Unsupported`.
#[must_use]
pub(crate) fn claim(name: &str, answer: impl FnOnce(Claim) + 'static) -> bool {
    let Some((locks, request)) = lock_manager() else {
        return false;
    };
    // Answered once: by the lock's callback, or else by the request's failure.
    let answer = Rc::new(RefCell::new(Some(answer)));
    let tell = move |claim: Claim| {
        let answer = answer.borrow_mut().take();
        if let Some(answer) = answer {
            answer(claim);
        }
    };
    let options = Object::new();
    let _ = Reflect::set(&options, &"ifAvailable".into(), &true.into());
    let granted = Closure::once_into_js({
        let tell = tell.clone();
        move |lock: JsValue| -> JsValue {
            if lock.is_null() {
                tell(Claim::HeldElsewhere);
                return JsValue::UNDEFINED;
            }
            // The lock is held until this promise settles: when the TabLock is dropped.
            let mut release = None;
            let held = Promise::new(&mut |resolve, _reject| release = Some(resolve));
            tell(match release {
                Some(release) => Claim::Held {
                    _lock: TabLock { release },
                },
                None => Claim::Unsupported,
            });
            held.into()
        }
    });
    match request.call3(&locks, &JsValue::from_str(name), &options, &granted) {
        // Settles when the lock is let go, or at once if the browser refuses the request (an
        // opaque origin): the lock's callback never runs then.
        Ok(settles) => {
            wasm_bindgen_futures::spawn_local(async move {
                let settled = JsFuture::from(Promise::resolve(&settles)).await;
                if settled.is_err() {
                    tell(Claim::Unsupported);
                }
            });
            true
        }
        Err(_) => false,
    }
}

/// `navigator.locks` and its `request`, where the browser has them.
fn lock_manager() -> Option<(JsValue, Function)> {
    let navigator = crate::environment::global("navigator")?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    if locks.is_undefined() {
        return None;
    }
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Some((locks, request))
}
