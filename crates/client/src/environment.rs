//! What the browser says of the place the client runs in, a page or a worker: whether it is
//! online, whether the page came over https, its monotonic clock, and its exceptions in words.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

/// A property of the global object (`window`, or a worker's `self`).
pub(crate) fn global(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &name.into())
        .ok()
        .filter(|value| !value.is_undefined())
}

pub(crate) fn browser_is_offline() -> bool {
    (global("navigator").and_then(|navigator| Reflect::get(&navigator, &"onLine".into()).ok()))
        .is_some_and(|online| online == JsValue::FALSE)
}

/// Browsers block `ws://` from a page served over `https://`, except to the local machine. A
/// worker's location is its script's, on the page's origin.
pub fn page_is_https() -> bool {
    (global("location").and_then(|location| Reflect::get(&location, &"protocol".into()).ok()))
        .and_then(|protocol| protocol.as_string())
        .is_some_and(|protocol| protocol == "https:")
}

pub(crate) fn performance() -> Option<web_sys::Performance> {
    global("performance")?.dyn_into().ok()
}

/// A JavaScript exception in words: its name and message, or what a full storage means.
pub(crate) fn js_error_text(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) if error.name() == "QuotaExceededError" => {
            "the browser's storage for this site is full".to_string()
        }
        Some(error) => format!(
            "{}: {}",
            String::from(error.name()),
            String::from(error.message())
        ),
        None => (error.as_string()).unwrap_or_else(|| "an unknown error".to_string()),
    }
}
