//! A task of its own, run after the tasks already queued: a message the page posts to itself
//! over a `MessageChannel`. A zero-delay `setTimeout` does the same in a visible tab, but a
//! browser runs a hidden tab's timers at most once a second, and a hidden tab's acks would
//! wait that long; messages are not held back.

use gloo_events::EventListener;
use wasm_bindgen::JsValue;
use web_sys::{MessageChannel, MessagePort};

pub(crate) struct LaterTask {
    sender: MessagePort,
    /// On the channel's other port; removed when the task is dropped.
    _listener: EventListener,
}

impl LaterTask {
    /// `None` if the browser cannot make a channel.
    pub(crate) fn new(mut run: impl FnMut() + 'static) -> Option<Self> {
        let channel = MessageChannel::new().ok()?;
        let receiver = channel.port1();
        let listener = EventListener::new(&receiver, "message", move |_| run());
        receiver.start(); // a port listened to with addEventListener starts closed
        Some(Self {
            sender: channel.port2(),
            _listener: listener,
        })
    }

    /// Asks for one run; false if the message could not be posted.
    pub(crate) fn post(&self) -> bool {
        self.sender.post_message(&JsValue::UNDEFINED).is_ok()
    }
}
