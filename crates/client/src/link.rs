//! One WebSocket under the session: opened, read from its inbox, written to, closed. What it
//! does is reported to the driver through the callbacks it was opened with, each tagged with
//! the link's generation so that a late callback of a closed link is told apart.

use crate::environment::js_error_text;
use crate::inbox::Inbox;
use crate::transport_error::Progress;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, WebSocket};

/// What the driver is told of a link.
pub(crate) struct Callbacks {
    pub open: Box<dyn FnMut()>,
    /// The first message since the inbox was last read.
    pub wake: Box<dyn FnMut()>,
    pub close: Box<dyn FnMut(CloseEvent)>,
}

pub(crate) struct Link {
    pub generation: u64,
    pub url: String,
    pub progress: Progress,
    /// The WebSocket is open, and CONNECT waits until this tab has read the stored queue (or
    /// knows another tab has it): what is restored goes out first.
    pub connect_awaits_queue: bool,
    socket: WebSocket,
    inbox: Inbox,
    /// Kept alive as long as the socket may call them.
    _handlers: Handlers,
}

struct Handlers {
    _open: Closure<dyn FnMut()>,
    _wake: Closure<dyn FnMut()>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

/// What the inbox held.
pub(crate) struct Inflow {
    /// A text message came: not MQTT over WebSocket.
    pub text: bool,
}

impl Link {
    /// A new WebSocket to `url` (subprotocol `mqtt`); the error is the browser's refusal, in
    /// its words.
    pub fn open(url: &str, generation: u64, callbacks: Callbacks) -> Result<Link, String> {
        let socket = WebSocket::new_with_str(url, "mqtt").map_err(|error| js_error_text(&error))?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let handlers = Handlers {
            _open: Closure::new(callbacks.open),
            _wake: Closure::new(callbacks.wake),
            _close: Closure::new(callbacks.close),
        };
        socket.set_onopen(Some(handlers._open.as_ref().unchecked_ref()));
        let inbox = Inbox::new(&socket, handlers._wake.as_ref().unchecked_ref());
        socket.set_onclose(Some(handlers._close.as_ref().unchecked_ref()));
        // onerror tells nothing that onclose does not, and always comes with it.
        Ok(Link {
            generation,
            url: url.to_string(),
            progress: Progress::NotOpened,
            connect_awaits_queue: false,
            socket,
            inbox,
            _handlers: handlers,
        })
    }

    /// Moves what the link received since the last read into `into` (emptied first); `None`
    /// if nothing came.
    pub fn read(&self, into: &mut Vec<u8>) -> Option<Inflow> {
        let length = self.inbox.length() as usize;
        let text = self.inbox.text();
        if length == 0 && !text {
            return None;
        }
        into.resize(length, 0);
        self.inbox.take(into);
        Some(Inflow { text })
    }

    pub fn is_open(&self) -> bool {
        self.socket.ready_state() == WebSocket::OPEN
    }

    pub fn send(&self, bytes: &[u8]) {
        if let Err(error) = self.socket.send_with_u8_array(bytes) {
            web_sys::console::error_1(&error);
        }
    }
}

impl Drop for Link {
    /// Closes the WebSocket before its handlers go. Bytes already handed to it (a DISCONNECT)
    /// still go out before the close frame.
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
        // Dropping a handler that is running now is safe: wasm-bindgen frees it on return.
    }
}
