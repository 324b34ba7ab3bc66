//! The bench page of our engine (`make bench`; benches/browser/index.html, built by Trunk in
//! release mode): the `Session` under the thinnest WebSocket loop. Each WebSocket message is
//! one turn: `handle_bytes`, the events drained, then what `poll_transmit` holds, acks included
//! (one `send` per megabyte). No Leptos, no UI state: the engine's own cost. The shipped driver
//! does better than this loop, gathering the messages of a burst in JS and answering them in one
//! turn (crates/client/src/inbox.rs). The workload: see common.rs.
//!
//! An experiment beside it (`flush=task` in the query string, `--clients later` in run.mjs):
//! the same loop, but the `send` of a turn is put off to a later task (a MessageChannel
//! message), so that the WebSocket messages already queued are handled first and their acks and
//! refills go out together. It measures what batching across turns would give the driver.

#[path = "common.rs"]
mod common;

fn main() {
    page::start(common::Params::from_location());
}

mod page {
    use crate::common::{now, Params, Tally};
    use bytes::Bytes;
    use mqtt_engine::{Event, Instant, Message, QoS, Session};
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{BinaryType, MessageEvent, WebSocket};

    #[wasm_bindgen]
    extern "C" {
        /// Defined by index.html: calls the function in a later task (a MessageChannel message).
        #[wasm_bindgen(js_name = benchSoon)]
        fn bench_soon(callback: &JsValue);
    }

    struct Loop {
        /// `flush=task`: the experiment; the closure that flushes, and whether it is due.
        flush_later: Option<JsValue>,
        flush_scheduled: bool,
        session: Session,
        socket: WebSocket,
        tally: Tally,
        topic: String,
        payload: Bytes,
        /// Receives each WebSocket message, reused (as the driver does).
        inbox: Vec<u8>,
    }

    impl Loop {
        fn publish_due(&mut self, now: Instant) {
            for _ in 0..self.tally.due() {
                let message = Message::new(
                    self.topic.clone(),
                    self.payload.clone(),
                    self.tally.params.qos,
                );
                if let Err(error) = self.session.publish(message, now) {
                    self.tally.report(Some(format!("publish: {error}")));
                    return;
                }
                self.tally.published += 1;
            }
        }

        /// The end of a turn: drain the events, then one `send` with everything due.
        fn turn(&mut self) {
            let now = now();
            let at = Instant::from_millis(now as u64);
            while let Some(event) = self.session.poll_event() {
                match event {
                    Event::Connected { .. } => {
                        self.tally.connack_at = Some(now);
                        if self.tally.params.load_only {
                            self.tally.report(None);
                        } else {
                            let filter = (self.topic.clone(), self.tally.params.qos);
                            if let Err(error) = self.session.subscribe(vec![filter], at) {
                                self.tally.report(Some(format!("subscribe: {error}")));
                            }
                        }
                    }
                    Event::Subscribed { .. } => {
                        self.tally.started_at = Some(now);
                        self.publish_due(at);
                    }
                    Event::Message(_) => {
                        self.tally.received += 1;
                        if self.tally.params.window > 0 {
                            self.publish_due(at);
                        }
                    }
                    Event::Published { .. } => {
                        if self.tally.params.qos != QoS::AtMostOnce {
                            self.tally.acked += 1;
                        }
                    }
                    Event::PublishFailed { reason, .. } => {
                        self.tally.report(Some(format!("refused: {reason}")))
                    }
                    Event::PublishGivenUp { .. } => self.tally.report(Some("given up".to_string())),
                    Event::Disconnected { reason } => {
                        self.tally.report(Some(format!("disconnected: {reason}")))
                    }
                    Event::Unsubscribed { .. } | Event::PublishReceived { .. } => {}
                }
            }
            if self.tally.done() {
                self.tally.report(None);
            }
            match &self.flush_later {
                None => self.flush(),
                Some(callback) if !self.flush_scheduled => {
                    self.flush_scheduled = true;
                    bench_soon(callback);
                }
                Some(_) => {}
            }
        }

        fn flush(&mut self) {
            self.flush_scheduled = false;
            while let Some(bytes) = self.session.poll_transmit() {
                if let Err(error) = self.socket.send_with_u8_array(&bytes) {
                    web_sys::console::error_1(&error);
                }
            }
        }
    }

    pub fn start(params: Params) {
        let session = match Session::new(params.options()) {
            Ok(session) => session,
            Err(error) => return Tally::new(params).report(Some(error.to_string())),
        };
        let socket = WebSocket::new_with_str(&params.broker, "mqtt").unwrap();
        socket.set_binary_type(BinaryType::Arraybuffer);
        let flush_later = web_sys::window()
            .and_then(|window| window.location().search().ok())
            .is_some_and(|search| search.contains("flush=task"));
        let state = Rc::new(RefCell::new(Loop {
            flush_later: None,
            flush_scheduled: false,
            session,
            socket: socket.clone(),
            topic: params.topic(),
            payload: Bytes::from(vec![0x5a; params.size]),
            tally: Tally::new(params),
            inbox: Vec::new(),
        }));
        let on_open = {
            let state = state.clone();
            Closure::<dyn FnMut()>::new(move || {
                let mut state = state.borrow_mut();
                state.tally.open_at = Some(now());
                state.session.connect(Instant::from_millis(now() as u64));
                state.turn();
            })
        };
        let on_message = {
            let state = state.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let mut guard = state.borrow_mut();
                let state = &mut *guard;
                let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() else {
                    return state.tally.report(Some("a text message".into()));
                };
                let view = js_sys::Uint8Array::new(&buffer);
                let length = view.length() as usize;
                state.inbox.resize(length, 0);
                view.copy_to(&mut state.inbox[..length]);
                state
                    .session
                    .handle_bytes(&state.inbox[..length], Instant::from_millis(now() as u64));
                state.turn();
            })
        };
        let on_close = {
            let state = state.clone();
            Closure::<dyn FnMut()>::new(move || {
                state
                    .borrow_mut()
                    .tally
                    .report(Some("the WebSocket closed".into()))
            })
        };
        if flush_later {
            let flush = {
                let state = state.clone();
                Closure::<dyn FnMut()>::new(move || state.borrow_mut().flush())
            };
            state.borrow_mut().flush_later = Some(flush.into_js_value());
        }
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The page lives as long as the run.
        on_open.forget();
        on_message.forget();
        on_close.forget();
    }
}
