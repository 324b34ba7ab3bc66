//! The driver itself: a [`Client`] handle for the UI and tests, and the `Core` behind it that
//! owns the session, the WebSocket and the timer.

use super::clock::{now, wall_clock};
use super::link::{self, Progress};
use super::log::Log;
use super::state::{self, Changes, Notice, Outcome, Received, Sent, Status, Subscription};
use crate::mqtt::{
    ConnectOptions, DisconnectReason, Event, Message, Millis, PublishError, PublishId, QoS,
    RequestId, Session, State, SubscribeError,
};
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// How many entries each log keeps for the UI.
const KEPT: usize = 500;

/// An MQTT client over a browser WebSocket: commands in, signals out.
///
/// `Copy`, so the UI can hand it to every event handler. Its state is in signals that the UI
/// reads; nothing here renders anything.
///
/// ```ignore
/// let client = Client::new();
/// client.connect("ws://broker.emqx.io:8083/mqtt", ConnectOptions::new("me"));
/// // … once client.status() says Connected:
/// client.subscribe("python/mqtt", QoS::AtMostOnce)?;
/// ```
#[derive(Clone, Copy)]
pub struct Client {
    core: StoredValue<Rc<RefCell<Core>>, LocalStorage>,
    signals: Signals,
}

/// What the UI reads. Each part is a signal of its own, so a view re-renders only for its part.
#[derive(Clone, Copy)]
struct Signals {
    status: RwSignal<Status>,
    received: RwSignal<Log<Received>>,
    sent: RwSignal<Log<Sent>>,
    subscriptions: RwSignal<Vec<Subscription>>,
    errors: RwSignal<Log<Notice>>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    pub fn new() -> Self {
        let signals = Signals {
            status: RwSignal::new(Status::Idle),
            received: RwSignal::new(Log::new(KEPT)),
            sent: RwSignal::new(Log::new(KEPT)),
            subscriptions: RwSignal::new(Vec::new()),
            errors: RwSignal::new(Log::new(KEPT)),
        };
        let core = Rc::new_cyclic(|this| {
            RefCell::new(Core {
                signals,
                this: this.clone(),
                session: None,
                link: None,
                generation: 0,
                timer: None,
                flush_scheduled: false,
                inbox: Vec::new(),
                driver_events: Vec::new(),
            })
        });
        Self {
            core: StoredValue::new_local(core),
            signals,
        }
    }

    pub fn status(&self) -> ReadSignal<Status> {
        self.signals.status.read_only()
    }

    /// Messages received, newest last.
    pub fn received(&self) -> ReadSignal<Log<Received>> {
        self.signals.received.read_only()
    }

    /// Messages published, each with what became of it.
    pub fn sent(&self) -> ReadSignal<Log<Sent>> {
        self.signals.sent.read_only()
    }

    pub fn subscriptions(&self) -> ReadSignal<Vec<Subscription>> {
        self.signals.subscriptions.read_only()
    }

    /// Errors not shown elsewhere: refused publishes and subscriptions.
    pub fn errors(&self) -> ReadSignal<Log<Notice>> {
        self.signals.errors.read_only()
    }

    pub fn clear_received(&self) {
        self.signals.received.update(Log::clear);
    }

    pub fn clear_sent(&self) {
        self.signals.sent.update(Log::clear);
    }

    pub fn clear_errors(&self) {
        self.signals.errors.update(Log::clear);
    }

    /// Opens a WebSocket to `url` and connects with `options`, ending any connection before.
    /// Whatever goes wrong shows in [`status`](Self::status) as a reason in plain words.
    pub fn connect(&self, url: &str, options: ConnectOptions) {
        if let Some(core) = self.core() {
            drive(&core, |core| core.open(url.trim(), options));
        }
    }

    /// Says goodbye to the broker (DISCONNECT) and closes the WebSocket.
    pub fn disconnect(&self) {
        if let Some(core) = self.core() {
            drive(&core, Core::close_by_user);
        }
    }

    /// Hands a message to the session; it goes out with whatever else is due this turn.
    pub fn publish(&self, message: Message) -> Result<PublishId, PublishError> {
        self.command(|core| core.publish(message))
            .unwrap_or(Err(PublishError::NotConnected))
    }

    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<RequestId, SubscribeError> {
        self.command(|core| core.subscribe(filter, qos))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    pub fn unsubscribe(&self, filter: &str) -> Result<RequestId, SubscribeError> {
        self.command(|core| core.unsubscribe(filter))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    fn core(&self) -> Option<Rc<RefCell<Core>>> {
        self.core.try_get_value()
    }

    /// Runs a command now; what it makes the session send goes out at the end of this turn of
    /// the event loop, together with anything else commanded in the same turn.
    fn command<R>(&self, command: impl FnOnce(&mut Core) -> R) -> Option<R> {
        let core = self.core()?;
        let Ok(mut core) = core.try_borrow_mut() else {
            report_reentry();
            return None;
        };
        let result = command(&mut core);
        core.schedule_flush();
        Some(result)
    }
}

/// Runs one input through the core, then the end of the turn: events into signals, one `send`,
/// the timer re-armed.
fn drive<R>(core: &Rc<RefCell<Core>>, input: impl FnOnce(&mut Core) -> R) -> Option<R> {
    let Ok(mut guard) = core.try_borrow_mut() else {
        report_reentry();
        return None;
    };
    let result = input(&mut guard);
    let (signals, events) = guard.turn();
    drop(guard);
    signals.apply(events);
    Some(result)
}

fn drive_weak(core: &Weak<RefCell<Core>>, input: impl FnOnce(&mut Core)) {
    if let Some(core) = core.upgrade() {
        drive(&core, input);
    }
}

/// Only a bug could get here (the core called back into itself); say so rather than panic.
fn report_reentry() {
    web_sys::console::error_1(
        &"wasm-mqtt: the driver was re-entered; the input was dropped".into(),
    );
}

struct Core {
    signals: Signals,
    this: Weak<RefCell<Core>>,
    /// One session per `connect`.
    session: Option<Session>,
    link: Option<Link>,
    /// Numbers the links, so that a late callback of a closed one is ignored.
    generation: u64,
    /// The armed timer and the deadline it was armed for.
    timer: Option<(Millis, Timeout)>,
    flush_scheduled: bool,
    /// Receives each WebSocket message, reused to spare an allocation per message.
    inbox: Vec<u8>,
    /// Events of the driver's own: links that failed before the session was involved.
    driver_events: Vec<Event>,
}

struct Link {
    generation: u64,
    url: String,
    socket: WebSocket,
    progress: Progress,
    /// Kept alive as long as the socket may call them.
    _handlers: Handlers,
}

struct Handlers {
    _open: Closure<dyn FnMut()>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl Core {
    fn open(&mut self, url: &str, options: ConnectOptions) {
        if self.link.is_some() || self.session_active() {
            self.close_by_user();
            let (signals, events) = self.turn();
            signals.apply(events);
        }
        self.session = None;
        if let Err(reason) = link::check_broker_url(url, page_is_https()) {
            return self.fail(reason);
        }
        let session = match Session::new(options) {
            Ok(session) => session,
            Err(error) => {
                return self.fail(format!("the connection settings are not valid: {error}"))
            }
        };
        let socket = match WebSocket::new_with_str(url, "mqtt") {
            Ok(socket) => socket,
            Err(error) => {
                return self.fail(format!(
                    "the browser refused the address {url}: {}",
                    js_error_text(&error)
                ))
            }
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        self.generation += 1;
        let generation = self.generation;
        let handlers = Handlers {
            _open: {
                let this = self.this.clone();
                Closure::new(move || drive_weak(&this, |core| core.on_open(generation)))
            },
            _message: {
                let this = self.this.clone();
                Closure::new(move |event: MessageEvent| {
                    drive_weak(&this, |core| core.on_message(generation, event))
                })
            },
            _close: {
                let this = self.this.clone();
                Closure::new(move |event: CloseEvent| {
                    drive_weak(&this, |core| core.on_close(generation, event))
                })
            },
        };
        socket.set_onopen(Some(handlers._open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(handlers._message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(handlers._close.as_ref().unchecked_ref()));
        // onerror tells nothing that onclose does not, and always comes with it.
        self.session = Some(session);
        self.link = Some(Link {
            generation,
            url: url.to_string(),
            socket,
            progress: Progress::NotOpened,
            _handlers: handlers,
        });
        self.signals.status.set(Status::Connecting);
    }

    fn fail(&mut self, reason: String) {
        self.driver_events.push(Event::Disconnected {
            reason: DisconnectReason::TransportClosed(reason),
        });
    }

    fn session_active(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|session| session.state() != State::Disconnected)
    }

    fn current_link(&mut self, generation: u64) -> Option<&mut Link> {
        self.link
            .as_mut()
            .filter(|link| link.generation == generation)
    }

    fn on_open(&mut self, generation: u64) {
        let Some(link) = self.current_link(generation) else {
            return;
        };
        link.progress = Progress::Opened;
        if let Some(session) = &mut self.session {
            session.connect(now());
        }
    }

    fn on_message(&mut self, generation: u64, event: MessageEvent) {
        let Some(link) = self.link.as_ref().filter(|l| l.generation == generation) else {
            return;
        };
        let Some(session) = &mut self.session else {
            return;
        };
        let data = event.data();
        let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() else {
            session.handle_closed(link::text_frame_reason(&link.url));
            return;
        };
        let view = js_sys::Uint8Array::new(buffer);
        let length = view.length() as usize;
        self.inbox.resize(length, 0);
        view.copy_to(&mut self.inbox[..length]);
        session.handle_bytes(&self.inbox[..length], now());
        if self.inbox.capacity() > 1 << 20 {
            self.inbox = Vec::new(); // one large message should not pin a megabyte for good
        }
    }

    fn on_close(&mut self, generation: u64, event: CloseEvent) {
        let Some(link) = self.link.take_if(|link| link.generation == generation) else {
            return;
        };
        let reason = link::describe_close(&link.url, link.progress, event.code(), &event.reason());
        match &mut self.session {
            Some(session) if session.state() != State::Disconnected => {
                session.handle_closed(reason)
            }
            _ => self.fail(reason),
        }
    }

    fn on_timer(&mut self) {
        self.timer = None;
        if let Some(session) = &mut self.session {
            session.handle_timeout(now());
        }
    }

    fn close_by_user(&mut self) {
        if self.session_active() {
            if let Some(session) = &mut self.session {
                session.disconnect(now());
            }
        } else if self.link.is_some() {
            // The WebSocket is still opening: no MQTT yet, just close it.
            self.close_link();
            self.driver_events.push(Event::Disconnected {
                reason: DisconnectReason::ClientRequested,
            });
        }
    }

    /// The session, while it is connected. The engine would queue commands made offline; until
    /// the app offers that (with reconnecting), they are refused as "not connected".
    fn connected_session(&mut self) -> Option<&mut Session> {
        (self.session.as_mut()).filter(|session| session.state() == State::Connected)
    }

    fn publish(&mut self, message: Message) -> Result<PublishId, PublishError> {
        let session = self.connected_session().ok_or(PublishError::NotConnected)?;
        let sent = Sent {
            id: PublishId(0),
            at: wall_clock(),
            topic: message.topic.clone(),
            payload: message.payload.clone(),
            qos: message.qos,
            retain: message.retain,
            outcome: Outcome::Pending,
        };
        let id = session.publish(message, now())?;
        self.signals.sent.update(|log| {
            log.push(Sent { id, ..sent });
        });
        Ok(id)
    }

    fn subscribe(&mut self, filter: &str, qos: QoS) -> Result<RequestId, SubscribeError> {
        let session = self
            .connected_session()
            .ok_or(SubscribeError::NotConnected)?;
        let id = session.subscribe(vec![(filter.to_string(), qos)], now())?;
        self.signals
            .subscriptions
            .update(|subscriptions| state::subscription_requested(subscriptions, filter, qos, id));
        Ok(id)
    }

    fn unsubscribe(&mut self, filter: &str) -> Result<RequestId, SubscribeError> {
        let session = self
            .connected_session()
            .ok_or(SubscribeError::NotConnected)?;
        let id = session.unsubscribe(vec![filter.to_string()], now())?;
        self.signals
            .subscriptions
            .update(|subscriptions| state::unsubscribe_requested(subscriptions, filter, id));
        Ok(id)
    }

    fn schedule_flush(&mut self) {
        if self.flush_scheduled {
            return;
        }
        self.flush_scheduled = true;
        let this = self.this.clone();
        // A microtask: it runs once the current task (an event handler, a tick) is done.
        wasm_bindgen_futures::spawn_local(async move {
            drive_weak(&this, |core| core.flush_scheduled = false);
        });
    }

    /// The end of every turn: drain the events, make one `send`, close the link if the session
    /// ended it, re-arm the timer.
    fn turn(&mut self) -> (Signals, Vec<Event>) {
        let mut events = Vec::new();
        let mut ended = false;
        if let Some(session) = &mut self.session {
            while let Some(event) = session.poll_event() {
                match event {
                    Event::Connected { .. } => {
                        if let Some(link) = &mut self.link {
                            link.progress = Progress::Connected;
                        }
                    }
                    Event::Disconnected { .. } => ended = true,
                    _ => {}
                }
                events.push(event);
            }
        }
        events.append(&mut self.driver_events);
        self.flush();
        if ended {
            self.close_link();
        }
        self.arm_timer();
        (self.signals, events)
    }

    fn flush(&mut self) {
        let Some(bytes) = self.session.as_mut().and_then(Session::poll_transmit) else {
            return;
        };
        let Some(link) = &self.link else {
            return;
        };
        if link.socket.ready_state() == WebSocket::OPEN {
            if let Err(error) = link.socket.send_with_u8_array(&bytes) {
                web_sys::console::error_1(&error);
            }
        }
    }

    fn close_link(&mut self) {
        if let Some(link) = self.link.take() {
            link.socket.set_onopen(None);
            link.socket.set_onmessage(None);
            link.socket.set_onclose(None);
            // Queued bytes (a DISCONNECT) still go out before the close frame.
            let _ = link.socket.close();
            // Dropping a handler that is running now is safe: wasm-bindgen frees it on return.
        }
        self.timer = None;
    }

    /// One timer for the session's next deadline. A timer armed for an earlier deadline is kept:
    /// when it fires, `handle_timeout` finds nothing due and the timer is armed again. That
    /// spares a clearTimeout and a setTimeout per message, since each send moves the keep-alive.
    fn arm_timer(&mut self) {
        let Some(deadline) = self.session.as_ref().and_then(Session::poll_timeout) else {
            self.timer = None;
            return;
        };
        if matches!(&self.timer, Some((armed, _)) if *armed <= deadline) {
            return;
        }
        let delay = deadline.saturating_sub(now()).min(i32::MAX as u64) as u32;
        let this = self.this.clone();
        let timeout = Timeout::new(delay, move || drive_weak(&this, Core::on_timer));
        self.timer = Some((deadline, timeout));
    }
}

impl Signals {
    fn apply(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let at = wall_clock();
        let mut changes = Changes::from_events(events, at);
        if let Some(status) = changes.status.take() {
            self.status.set(status);
        }
        if !changes.received.is_empty() {
            let received = std::mem::take(&mut changes.received);
            self.received.update(|log| {
                for message in received {
                    log.push(message);
                }
            });
        }
        if !changes.outcomes.is_empty() || changes.ended {
            self.sent.update(|log| changes.apply_to_sent(log));
        }
        if changes.connected.is_some()
            || changes.ended
            || !changes.subscribed.is_empty()
            || !changes.unsubscribed.is_empty()
        {
            self.subscriptions
                .update(|subscriptions| changes.apply_to_subscriptions(subscriptions));
        }
        if !changes.errors.is_empty() {
            self.errors.update(|log| {
                for text in changes.errors {
                    log.push(Notice { at, text });
                }
            });
        }
    }
}

fn page_is_https() -> bool {
    web_sys::window()
        .and_then(|window| window.location().protocol().ok())
        .is_some_and(|protocol| protocol == "https:")
}

/// The message of a JavaScript exception.
fn js_error_text(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        String::from(error.message())
    } else {
        error
            .as_string()
            .unwrap_or_else(|| "an unknown error".into())
    }
}
