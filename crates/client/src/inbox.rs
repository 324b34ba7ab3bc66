//! What a WebSocket receives, gathered on the JS side (inbox.js) until the driver's next turn.
//!
//! Mosquitto sends a WebSocket message per packet. Handing each to the wasm cost a call in, and
//! four calls out to read and copy it: more than the packet's decoding and the session's work
//! together. Gathered, a burst costs one call in to be told of it, and one out to copy it.

use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

#[wasm_bindgen(module = "/src/inbox.js")]
extern "C" {
    /// Set as the socket's `onmessage`; calls `wake` at the first message since the last take.
    pub(crate) type Inbox;

    #[wasm_bindgen(constructor)]
    pub(crate) fn new(socket: &WebSocket, wake: &js_sys::Function) -> Inbox;

    /// Bytes of the binary messages waiting.
    #[wasm_bindgen(method, getter)]
    pub(crate) fn length(this: &Inbox) -> u32;

    /// A text message came: not MQTT over WebSocket.
    #[wasm_bindgen(method, getter)]
    pub(crate) fn text(this: &Inbox) -> bool;

    /// Copies the waiting messages into `into` (`length` bytes), in order, and forgets them.
    #[wasm_bindgen(method)]
    pub(crate) fn take(this: &Inbox, into: &mut [u8]);
}
