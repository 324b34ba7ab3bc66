//! What the browser says of the place the client runs in: whether it is online, whether the
//! page came over https, and its exceptions in words.

use wasm_bindgen::{JsCast, JsValue};

pub(crate) fn browser_is_offline() -> bool {
    web_sys::window().is_some_and(|window| !window.navigator().on_line())
}

/// Browsers block `ws://` from a page served over `https://`, except to the local machine.
pub fn page_is_https() -> bool {
    web_sys::window()
        .and_then(|window| window.location().protocol().ok())
        .is_some_and(|protocol| protocol == "https:")
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
