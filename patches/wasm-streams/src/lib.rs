//! Stands in for wasm-streams 0.5, which leptos pulls in through server_fn (leptos turns on
//! server_fn's `browser` feature, with no way to turn it off). wasm-streams exports three JS
//! classes with `#[wasm_bindgen]` (`IntoUnderlyingSource`, `IntoUnderlyingByteSource`,
//! `IntoUnderlyingSink`), and exports survive linking, so every page paid for them (6.5 KB gzip:
//! 5.8 KB of wasm, 0.7 KB of JS, measured 2026-11-26) though only server functions' streaming
//! bodies use them. This app has no server functions: here is the same API server_fn names, and
//! calling it aborts.

use futures_util::stream::{Empty, Stream};
use web_sys::wasm_bindgen::JsValue;

const NO_SERVER_FUNCTIONS: &str = "wasm-mqtt has no server functions, so no streams for them";

/// A JS `ReadableStream`; only what server_fn names.
pub struct ReadableStream(web_sys::ReadableStream);

impl ReadableStream {
    /// Wraps a JS stream.
    pub fn from_raw(raw: web_sys::ReadableStream) -> Self {
        Self(raw)
    }

    /// The JS stream.
    pub fn into_raw(self) -> web_sys::ReadableStream {
        self.0
    }

    /// A streaming request body for a server function: never called here.
    pub fn from_stream<St>(_stream: St) -> Self
    where
        St: Stream<Item = Result<JsValue, JsValue>> + 'static,
    {
        unimplemented!("{NO_SERVER_FUNCTIONS}")
    }

    /// A server function's streaming response: never called here.
    pub fn into_stream(self) -> Empty<Result<JsValue, JsValue>> {
        unimplemented!("{NO_SERVER_FUNCTIONS}")
    }
}
