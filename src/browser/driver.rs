//! The `Driver` behind a [`Client`](super::Client): it owns the session, the WebSocket of the
//! moment, the session's timer, the retry timer and the stored queue.
//!
//! Every input (a WebSocket callback, a timer, a window event, a command) runs through
//! [`drive`]: what the link received is handed to the session, then the input, then the end of
//! the turn ([`Driver::turn`]): the session's events are drained, everything due goes out
//! together (a `send` per megabyte), a link the session ended is closed (and a retry scheduled
//! if the loss is to be retried), the timer is re-armed, and a save of the queue is scheduled
//! if it changed. The signals are set after the driver is released.
//!
//! WebSocket messages wait in the link's [`Inbox`] for a turn of their own, run in a later
//! task ([`wake`]): one turn a burst of messages, not one a message.

use super::client::Signals;
use super::clock::{now, wall_clock};
use super::inbox::Inbox;
use super::later_task::LaterTask;
use super::link::{self, Progress};
use super::reconnect::{AfterLoss, Reconnect, RetryStatus};
use super::state::{self, Notice, Outcome, QueueView, Sent, Status};
use super::stored_queue;
use super::tab_lock::{self, Claim};
use mqtt_engine::{
    ConnectOptions, DisconnectReason, Event, Message, Millis, PublishError, PublishId, QoS,
    RequestId, Session, State, SubscribeError,
};
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use leptos::prelude::{Set, Update};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, VisibilityState, WebSocket};

/// How long a change to the queue waits before it is stored: a burst of publishes and acks
/// makes one write to localStorage, not one each.
const STORE_DELAY_MS: u32 = 200;

/// Publish and request ids of the n-th session are tagged with n in their high bits, so that
/// they stay unique in the logs across sessions (each session counts from 1).
const TAG_SHIFT: u32 = 40;

/// Runs one input through the driver, then the end of the turn; sets the signals after.
pub(super) fn drive<R>(
    driver: &Rc<RefCell<Driver>>,
    input: impl FnOnce(&mut Driver) -> R,
) -> Option<R> {
    let Ok(mut guard) = driver.try_borrow_mut() else {
        report_reentry();
        return None;
    };
    guard.read_inbox();
    let result = input(&mut guard);
    let turn = guard.turn();
    let signals = guard.signals;
    let answering = guard.answering;
    drop(guard);
    signals.apply(turn);
    if answering {
        // The answers to the messages, and what the signals' readers published on hearing
        // of them, in one `send`.
        if let Ok(mut guard) = driver.try_borrow_mut() {
            guard.answering = false;
            guard.flush();
        }
    }
    Some(result)
}

/// The first WebSocket message since the last turn: the turn that reads and answers it waits
/// for a later task, which runs after the messages already queued in the tab, so that one turn
/// (one `send`, one update of the signals) serves the whole burst.
fn wake(driver: &Weak<RefCell<Driver>>) {
    let Some(driver) = driver.upgrade() else {
        return;
    };
    let later = match driver.try_borrow_mut() {
        Ok(mut guard) => guard.turn_in_a_later_task(),
        Err(_) => return report_reentry(),
    };
    if !later {
        drive(&driver, |_| {});
    }
}

fn drive_weak(driver: &Weak<RefCell<Driver>>, input: impl FnOnce(&mut Driver)) {
    if let Some(driver) = driver.upgrade() {
        drive(&driver, input);
    }
}

/// Only a bug could get here (the driver called back into itself); say so rather than panic.
pub(super) fn report_reentry() {
    web_sys::console::error_1(
        &"wasm-mqtt: the driver was re-entered; the input was dropped".into(),
    );
}

/// What one turn changed, for the signals.
pub(super) struct Turn {
    pub events: Vec<Event>,
    /// The status the driver decided on, over the one the events imply (a loss it retries).
    pub status: Option<Status>,
    pub retry: RetryStatus,
    pub queue: QueueView,
}

pub(super) struct Driver {
    signals: Signals,
    this: Weak<RefCell<Driver>>,
    /// The connection the user asked for, with its session: kept across links, replaced only
    /// by a Connect with other settings.
    connection: Option<Connection>,
    link: Option<Link>,
    /// Numbers the links, so that a late callback of a closed one is ignored.
    generation: u64,
    sessions_made: u64,
    timer: Option<SessionTimer>,
    /// This turn's input came from the network (a WebSocket event), not from a timer.
    network_input: bool,
    /// Tests hold the timer to play a hidden tab whose timers the browser throttles.
    timer_held: bool,
    timer_missed: bool,
    reconnect: Reconnect,
    retry_timer: Option<Timeout>,
    store: StoreState,
    flush_scheduled: bool,
    /// WebSocket messages came in since the last turn: that turn answers them (acks, and
    /// what the signals' readers publish on hearing of them) after setting the signals.
    answer_later: bool,
    /// The signals of such a turn are being set: what their readers command (a window
    /// refilled) goes out with the answers.
    answering: bool,
    /// The link is open, and CONNECT waits for this tab's claim on the stored queue: what is
    /// restored goes in before it.
    connect_awaits_claim: bool,
    /// The later task that runs the turn of a burst of messages, and whether it is due.
    burst_turn: Option<LaterTask>,
    burst_turn_due: bool,
    /// What the link received, copied out of its inbox; reused to spare an allocation a turn.
    received: Vec<u8>,
    /// Links that ended without the session's say (it was not connecting or connected).
    endings: Vec<DisconnectReason>,
    /// online, offline, visibilitychange, pagehide; removed when the driver is dropped.
    _listeners: Vec<EventListener>,
}

struct Connection {
    url: String,
    /// As given: the session may change its client id, when the broker assigns one.
    options: ConnectOptions,
    session: Session,
    tag: u64,
    /// Messages read back from storage when the session began.
    restored: usize,
    /// Whether this tab has the stored queue of this broker and client id; `None` while it
    /// asks. Only the tab that has it reads and writes it.
    claim: Option<Claim>,
}

struct Link {
    generation: u64,
    url: String,
    socket: WebSocket,
    inbox: Inbox,
    progress: Progress,
    /// Kept alive as long as the socket may call them.
    _handlers: Handlers,
}

struct Handlers {
    _open: Closure<dyn FnMut()>,
    _wake: Closure<dyn FnMut()>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

/// The session's timer: the deadline it was armed for, and whether it was armed in a WebSocket
/// event's task.
///
/// That matters in a hidden tab. Chrome's intensive throttling (after some minutes hidden)
/// delays a timer to a once-a-minute wake-up when its nesting level is 5 or more, that is,
/// when it was set from a timer that was set from a timer…, and to a once-a-second one
/// otherwise. A timer set in a WebSocket event's task has nesting level 0. The keep-alive
/// timer chains through itself (ping, wait, ping); so a timer armed in a timer's task is armed
/// again at the next WebSocket event (the PINGRESP, at the latest), which costs one
/// clearTimeout and setTimeout a keep-alive period and keeps the chain short.
struct SessionTimer {
    deadline: Millis,
    from_network: bool,
    _timeout: Timeout,
}

#[derive(Default)]
struct StoreState {
    /// The queue changed since it was last stored.
    dirty: bool,
    timer: Option<Timeout>,
    /// The last save failed (and said so): the next failure is not said again.
    failing: bool,
}

impl Driver {
    pub(super) fn new(signals: Signals) -> Rc<RefCell<Self>> {
        let driver = Rc::new_cyclic(|this: &Weak<RefCell<Driver>>| {
            RefCell::new(Driver {
                signals,
                this: this.clone(),
                connection: None,
                link: None,
                generation: 0,
                sessions_made: 0,
                timer: None,
                network_input: false,
                timer_held: false,
                timer_missed: false,
                reconnect: Reconnect::new(browser_is_offline()),
                retry_timer: None,
                store: StoreState::default(),
                flush_scheduled: false,
                answer_later: false,
                answering: false,
                connect_awaits_claim: false,
                burst_turn: None,
                burst_turn_due: false,
                received: Vec::new(),
                endings: Vec::new(),
                _listeners: Vec::new(),
            })
        });
        let this = Rc::downgrade(&driver);
        let burst_turn =
            LaterTask::new(move || drive_weak(&this, |driver| driver.burst_turn_due = false));
        let listeners = listen(&Rc::downgrade(&driver));
        let mut new = driver.borrow_mut();
        new.burst_turn = burst_turn;
        new._listeners = listeners;
        drop(new);
        driver
    }

    /// Connects to `url` with `options`: the same session as before if both are unchanged
    /// (what it queued goes out after CONNACK), else a new one, given what was stored for this
    /// broker and client id.
    pub(super) fn open(&mut self, url: &str, options: ConnectOptions) {
        if self.link.is_some() || self.session_active() || self.reconnect.is_active() {
            self.close_by_user();
            let turn = self.turn();
            self.signals.apply(turn);
        }
        self.reconnect.start();
        if let Err(reason) = link::check_broker_url(url, page_is_https()) {
            return self.end_link(DisconnectReason::TransportClosed(reason));
        }
        let same = (self.connection.as_ref())
            .is_some_and(|connection| connection.url == url && connection.options == options);
        if !same {
            if let Err(reason) = self.replace_session(url, options) {
                return self.end_link(DisconnectReason::TransportClosed(reason));
            }
        }
        self.signals.status.set(Status::Connecting);
        self.open_link();
    }

    fn replace_session(&mut self, url: &str, options: ConnectOptions) -> Result<(), String> {
        if let Some(old) = self.connection.take() {
            // Keep what it had not had acknowledged: a Connect with its broker and client id
            // later gives it to that session.
            let result = Self::save(&old);
            self.store_result(result);
            self.store = StoreState::default();
            if old.session.unacknowledged() > 0 {
                self.signals.sent.update(state::unacknowledged_stored);
            }
            self.signals.subscriptions.set(Vec::new());
        }
        let session = Session::new(options.clone())
            .map_err(|error| format!("the connection settings are not valid: {error}"))?;
        self.sessions_made += 1;
        let tag = self.sessions_made;
        let lock_name = stored_queue::key(url, &options.client_id);
        self.connection = Some(Connection {
            url: url.to_string(),
            options,
            session,
            tag,
            restored: 0,
            claim: None,
        });
        let this = self.this.clone();
        let asked = tab_lock::claim(&lock_name, move |claim| {
            drive_weak(&this, |driver| driver.on_claim(tag, claim))
        });
        if !asked {
            self.take_claim(Claim::Unsupported);
        }
        Ok(())
    }

    /// This tab's answer about the stored queue of session `tag`.
    fn on_claim(&mut self, tag: u64, claim: Claim) {
        if (self.connection.as_ref()).is_some_and(|connection| connection.tag == tag) {
            self.take_claim(claim);
            if std::mem::take(&mut self.connect_awaits_claim) {
                if let Some(session) = self.session() {
                    session.connect(now());
                }
            }
        }
    }

    /// Restores the stored queue if this tab has it, or says which tab does.
    fn take_claim(&mut self, claim: Claim) {
        let Some(connection) = &mut self.connection else {
            return;
        };
        let elsewhere = matches!(claim, Claim::HeldElsewhere);
        connection.claim = Some(claim);
        if elsewhere {
            let client_id = connection.options.client_id.clone();
            self.notice(format!(
                "Another tab of this browser is connected to this broker as \"{client_id}\": the \
                 messages stored for it stay with that tab, and this tab stores none. Close that \
                 tab, or use another client id here."
            ));
            return;
        }
        let tag = connection.tag;
        let mut restored = Vec::new();
        match stored_queue::load(&connection.url, &connection.options.client_id) {
            Ok(pending) => {
                let entries: Vec<Sent> = (pending.iter())
                    .map(|pending| Sent {
                        outcome: if pending.released {
                            Outcome::Received
                        } else {
                            Outcome::Pending
                        },
                        ..sent_entry(&pending.message)
                    })
                    .collect();
                for (id, sent) in connection.session.restore(pending).into_iter().zip(entries) {
                    if let Ok(id) = id {
                        restored.push(Sent {
                            id: tag_publish(tag, id),
                            ..sent
                        });
                    }
                }
            }
            Err(text) => self.notice(text),
        }
        if let Some(connection) = &mut self.connection {
            connection.restored = restored.len();
        }
        if !restored.is_empty() {
            self.signals.sent.update(|log| {
                for sent in restored {
                    log.push(sent);
                }
            });
        }
    }

    /// A new WebSocket for the connection; the session connects once it opens.
    fn open_link(&mut self) {
        let Some(url) = self.connection.as_ref().map(|c| c.url.clone()) else {
            return;
        };
        let socket = match WebSocket::new_with_str(&url, "mqtt") {
            Ok(socket) => socket,
            Err(error) => {
                return self.end_link(DisconnectReason::TransportClosed(format!(
                    "the browser refused the address {url}: {}",
                    js_error_text(&error)
                )))
            }
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        self.generation += 1;
        let generation = self.generation;
        let handlers = Handlers {
            _open: {
                let this = self.this.clone();
                Closure::new(move || drive_weak(&this, |driver| driver.on_open(generation)))
            },
            _wake: {
                let this = self.this.clone();
                Closure::new(move || wake(&this))
            },
            _close: {
                let this = self.this.clone();
                Closure::new(move |event: CloseEvent| {
                    drive_weak(&this, |driver| driver.on_close(generation, event))
                })
            },
        };
        socket.set_onopen(Some(handlers._open.as_ref().unchecked_ref()));
        let inbox = Inbox::new(&socket, handlers._wake.as_ref().unchecked_ref());
        socket.set_onclose(Some(handlers._close.as_ref().unchecked_ref()));
        // onerror tells nothing that onclose does not, and always comes with it.
        self.link = Some(Link {
            generation,
            url,
            socket,
            inbox,
            progress: Progress::NotOpened,
            _handlers: handlers,
        });
    }

    /// A link ended without the session's say: its WebSocket never got as far as CONNECT.
    fn end_link(&mut self, reason: DisconnectReason) {
        self.endings.push(reason);
    }

    fn session(&mut self) -> Option<&mut Session> {
        self.connection
            .as_mut()
            .map(|connection| &mut connection.session)
    }

    fn session_active(&self) -> bool {
        (self.connection.as_ref())
            .is_some_and(|connection| connection.session.state() != State::Disconnected)
    }

    fn on_open(&mut self, generation: u64) {
        self.network_input = true;
        let Some(link) = self.link.as_mut().filter(|l| l.generation == generation) else {
            return;
        };
        link.progress = Progress::Opened;
        let claimed = (self.connection.as_ref()).is_some_and(|c| c.claim.is_some());
        if !claimed {
            self.connect_awaits_claim = true;
        } else if let Some(session) = self.session() {
            session.connect(now());
        }
    }

    /// Hands the session what the link received since the last turn.
    fn read_inbox(&mut self) {
        let (Some(link), Some(connection)) = (&self.link, &mut self.connection) else {
            return;
        };
        let length = link.inbox.length() as usize;
        let text = link.inbox.text();
        if length == 0 && !text {
            return;
        }
        self.network_input = true;
        self.answer_later = true;
        self.received.resize(length, 0);
        link.inbox.take(&mut self.received);
        let session = &mut connection.session;
        session.handle_bytes(&self.received, now());
        if text {
            session.handle_closed(link::text_frame_reason(&link.url));
        }
        if self.received.capacity() > 1 << 20 {
            self.received = Vec::new(); // one large message should not pin a megabyte for good
        }
    }

    fn on_close(&mut self, generation: u64, event: CloseEvent) {
        self.network_input = true;
        let Some(link) = self.link.take_if(|link| link.generation == generation) else {
            return;
        };
        self.connect_awaits_claim = false;
        let reason = link::describe_close(&link.url, link.progress, event.code(), &event.reason());
        if self.session_active() {
            if let Some(session) = self.session() {
                session.handle_closed(reason);
            }
        } else {
            self.end_link(DisconnectReason::TransportClosed(reason));
        }
    }

    fn on_timer(&mut self) {
        self.timer = None;
        if self.timer_held {
            self.timer_missed = true;
            return;
        }
        if let Some(session) = self.session() {
            session.handle_timeout(now());
        }
    }

    /// Plays a hidden tab: while held, the session's timer does not fire; on release, a timer
    /// that came due meanwhile fires at once, late, as a throttled one would.
    pub(super) fn hold_timer(&mut self, held: bool) {
        self.timer_held = held;
        if !held && std::mem::take(&mut self.timer_missed) {
            self.on_timer();
        }
    }

    /// The browser went offline: no tries until it is back.
    fn on_offline(&mut self) {
        if self.reconnect.went_offline() {
            self.retry_timer = None;
        }
    }

    /// Back online: if the driver was waiting to try again, it tries now.
    fn on_online(&mut self) {
        if self.reconnect.came_online() {
            self.try_again();
        }
    }

    /// A tab shown again may have had its timers held back for minutes: whatever came due
    /// meanwhile runs now (the session compares times, so a late call sends the keep-alive
    /// ping it owes, and declares the link dead only if a ping went unanswered).
    fn on_visibility_change(&mut self) {
        let visible = (web_sys::window().and_then(|window| window.document()))
            .is_some_and(|document| document.visibility_state() == VisibilityState::Visible);
        if !visible {
            return;
        }
        let now = now();
        if let Some(session) = self.session() {
            session.handle_timeout(now);
        }
        if self.reconnect.is_due(now) {
            self.try_again();
        }
    }

    /// The next try: on the retry timer, when the network is back, or when the user asks.
    pub(super) fn try_again(&mut self) {
        self.retry_timer = None;
        if self.link.is_some() || self.connection.is_none() || !self.reconnect.may_try() {
            return;
        }
        self.reconnect.try_begins();
        self.open_link();
    }

    /// Disconnect: DISCONNECT if connected, and no more tries.
    pub(super) fn close_by_user(&mut self) {
        let was_retrying = self.reconnect.is_active();
        self.reconnect.stop();
        self.retry_timer = None;
        if self.session_active() {
            if let Some(session) = self.session() {
                session.disconnect(now());
            }
        } else if self.link.is_some() {
            // The WebSocket is still opening: no MQTT yet, just close it.
            self.close_link();
            self.end_link(DisconnectReason::ClientRequested);
        } else if was_retrying {
            self.end_link(DisconnectReason::ClientRequested);
        }
    }

    /// Cancel: stops retrying (and the try under way), leaving the session for a later Connect.
    pub(super) fn cancel_reconnect(&mut self) {
        if self.reconnect.is_active() {
            self.close_by_user();
        }
    }

    /// Publishes, or queues while the link is down if `queue_offline`.
    pub(super) fn publish(
        &mut self,
        message: Message,
        queue_offline: bool,
    ) -> Result<PublishId, PublishError> {
        let connection = self.connection.as_mut().ok_or(PublishError::NotConnected)?;
        if !queue_offline && connection.session.state() != State::Connected {
            return Err(PublishError::NotConnected);
        }
        let sent = sent_entry(&message);
        let id = connection.session.publish(message, now())?;
        let id = tag_publish(connection.tag, id);
        self.store.dirty = true;
        self.signals.sent.update(|log| {
            log.push(Sent { id, ..sent });
        });
        Ok(id)
    }

    /// Subscribes now, or after the next CONNACK while the link is down.
    pub(super) fn subscribe(
        &mut self,
        filter: &str,
        qos: QoS,
    ) -> Result<RequestId, SubscribeError> {
        let connection = self
            .connection
            .as_mut()
            .ok_or(SubscribeError::NotConnected)?;
        let id = connection
            .session
            .subscribe(vec![(filter.to_string(), qos)], now())?;
        let id = tag_request(connection.tag, id);
        self.signals
            .subscriptions
            .update(|subscriptions| state::subscription_requested(subscriptions, filter, qos, id));
        Ok(id)
    }

    pub(super) fn unsubscribe(&mut self, filter: &str) -> Result<RequestId, SubscribeError> {
        let connection = self
            .connection
            .as_mut()
            .ok_or(SubscribeError::NotConnected)?;
        let id = connection
            .session
            .unsubscribe(vec![filter.to_string()], now())?;
        let id = tag_request(connection.tag, id);
        self.signals
            .subscriptions
            .update(|subscriptions| state::unsubscribe_requested(subscriptions, filter, id));
        Ok(id)
    }

    /// Ends the turn in a microtask, once the current task (an event handler, a tick) is done:
    /// the commands of one task go out in one `send`. While messages wait for their turn, or
    /// their turn sets the signals, commands go out with the answers to those messages.
    pub(super) fn schedule_flush(&mut self) {
        if self.answering || self.burst_turn_due || self.flush_scheduled {
            return;
        }
        self.flush_scheduled = true;
        let this = self.this.clone();
        wasm_bindgen_futures::spawn_local(async move {
            drive_weak(&this, |driver| driver.flush_scheduled = false);
        });
    }

    /// The end of every turn: drain the events, make one `send`, close the link if the session
    /// ended it and decide about trying again, re-arm the timer, schedule a save.
    pub(super) fn turn(&mut self) -> Turn {
        let now = now();
        let mut events = Vec::new();
        let mut ended = None;
        if let Some(connection) = &mut self.connection {
            while let Some(event) = connection.session.poll_event() {
                match &event {
                    Event::Connected { .. } => {
                        if let Some(link) = &mut self.link {
                            link.progress = Progress::Connected;
                        }
                        self.reconnect.connected(now);
                        // A session the broker lost drops what the broker had answered.
                        self.store.dirty = true;
                    }
                    Event::PublishReceived { .. }
                    | Event::Published { .. }
                    | Event::PublishFailed { .. }
                    | Event::PublishGivenUp { .. } => self.store.dirty = true,
                    Event::Disconnected { reason } => ended = Some(reason.clone()),
                    _ => {}
                }
                events.push(tagged(connection.tag, event));
            }
        }
        for reason in std::mem::take(&mut self.endings) {
            ended = Some(reason.clone());
            events.push(Event::Disconnected { reason });
        }
        if std::mem::take(&mut self.answer_later) && ended.is_none() {
            self.answering = true;
        } else {
            self.flush();
        }
        let mut status = None;
        if let Some(reason) = ended {
            self.close_link();
            status = self.after_ending(&reason, now);
        }
        self.arm_timer();
        self.network_input = false;
        self.schedule_store();
        Turn {
            events,
            status,
            retry: self
                .reconnect
                .status(|at| wall_clock() + at.saturating_sub(now) as f64),
            queue: self.queue_view(),
        }
    }

    /// A link ended: try again later, wait for the network, or stop.
    fn after_ending(&mut self, reason: &DisconnectReason, now: Millis) -> Option<Status> {
        let was_established = self.reconnect.was_established();
        match self
            .reconnect
            .link_ended(reason, now, js_sys::Math::random())
        {
            AfterLoss::RetryAt(at) => {
                let delay = at.saturating_sub(now).min(i32::MAX as u64) as u32;
                let this = self.this.clone();
                self.retry_timer = Some(Timeout::new(delay, move || {
                    drive_weak(&this, Driver::try_again)
                }));
                Some(Status::Reconnecting {
                    reason: reason.to_string(),
                })
            }
            AfterLoss::WaitForNetwork => Some(Status::Reconnecting {
                reason: format!("{reason}; the browser is offline"),
            }),
            AfterLoss::Stop if was_established && *reason != DisconnectReason::ClientRequested => {
                Some(Status::Disconnected {
                    reason: format!("{reason}. Not trying again: this needs new settings"),
                    by_you: false,
                })
            }
            // A first try made while the browser says it is offline: say so.
            AfterLoss::Stop if self.reconnect.is_offline() => Some(Status::Disconnected {
                reason: format!("{reason}; the browser is offline"),
                by_you: *reason == DisconnectReason::ClientRequested,
            }),
            AfterLoss::Stop => None,
        }
    }

    /// Asks for the later task that runs the turn of this burst of messages, unless it is
    /// due already; false if there is none (the browser could not make one).
    fn turn_in_a_later_task(&mut self) -> bool {
        if !self.burst_turn_due {
            self.burst_turn_due = self.burst_turn.as_ref().is_some_and(LaterTask::post);
        }
        self.burst_turn_due
    }

    fn flush(&mut self) {
        let (Some(connection), Some(link)) = (&mut self.connection, &self.link) else {
            return;
        };
        let open = link.socket.ready_state() == WebSocket::OPEN;
        while let Some(bytes) = connection.session.poll_transmit() {
            if !open {
                continue;
            }
            if let Err(error) = link.socket.send_with_u8_array(&bytes) {
                web_sys::console::error_1(&error);
            }
        }
    }

    fn close_link(&mut self) {
        self.connect_awaits_claim = false;
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
    /// A timer armed in a timer's task is armed again in a WebSocket event's (see
    /// [`SessionTimer`]).
    fn arm_timer(&mut self) {
        if self.timer_held && self.timer_missed {
            return; // it fires when released
        }
        let Some(deadline) = self.session().and_then(|session| session.poll_timeout()) else {
            self.timer = None;
            return;
        };
        let keep = (self.timer.as_ref()).is_some_and(|timer| {
            timer.deadline <= deadline && (timer.from_network || !self.network_input)
        });
        if keep {
            return;
        }
        let delay = deadline.saturating_sub(now()).min(i32::MAX as u64) as u32;
        let this = self.this.clone();
        self.timer = Some(SessionTimer {
            deadline,
            from_network: self.network_input,
            _timeout: Timeout::new(delay, move || drive_weak(&this, Driver::on_timer)),
        });
    }

    fn schedule_store(&mut self) {
        if !self.store.dirty || self.store.timer.is_some() {
            return;
        }
        let this = self.this.clone();
        self.store.timer = Some(Timeout::new(STORE_DELAY_MS, move || {
            drive_weak(&this, Driver::store_now)
        }));
    }

    /// Stores what the session has not had acknowledged, if it changed; also on `pagehide`, so
    /// that a reload inside the delay loses nothing.
    pub(super) fn store_now(&mut self) {
        self.store.timer = None;
        if !std::mem::take(&mut self.store.dirty) {
            return;
        }
        let Some(connection) = &self.connection else {
            return;
        };
        let result = Self::save(connection);
        self.store_result(result);
    }

    /// Writes the stored queue, unless another tab has it, or this one has not read it yet.
    fn save(connection: &Connection) -> Result<(), String> {
        if matches!(connection.claim, None | Some(Claim::HeldElsewhere)) {
            return Ok(());
        }
        let pending = connection.session.pending();
        stored_queue::save(&connection.url, &connection.options.client_id, &pending)
    }

    fn store_result(&mut self, result: Result<(), String>) {
        match result {
            Ok(()) => self.store.failing = false,
            Err(text) => {
                if !std::mem::replace(&mut self.store.failing, true) {
                    self.notice(text);
                }
            }
        }
    }

    fn queue_view(&self) -> QueueView {
        let Some(connection) = &self.connection else {
            return QueueView::default();
        };
        let stats = connection.session.queue_stats();
        QueueView {
            queued: stats.messages,
            bytes: stats.bytes,
            dropped: stats.dropped,
            unacknowledged: connection.session.unacknowledged(),
            restored: connection.restored,
        }
    }

    fn notice(&self, text: String) {
        let at = wall_clock();
        self.signals.errors.update(|log| {
            log.push(Notice { at, text });
        });
    }
}

impl Drop for Driver {
    /// A client dropped with its link open: close the WebSocket before its handlers go.
    fn drop(&mut self) {
        self.close_link();
    }
}

fn sent_entry(message: &Message) -> Sent {
    Sent {
        id: PublishId(0),
        at: wall_clock(),
        topic: message.topic.clone(),
        payload: message.payload.clone(),
        qos: message.qos,
        retain: message.retain,
        outcome: Outcome::Pending,
    }
}

fn tag_publish(tag: u64, id: PublishId) -> PublishId {
    PublishId(tag << TAG_SHIFT | id.0)
}

fn tag_request(tag: u64, id: RequestId) -> RequestId {
    RequestId(tag << TAG_SHIFT | id.0)
}

fn tagged(tag: u64, event: Event) -> Event {
    match event {
        Event::PublishReceived { id } => Event::PublishReceived {
            id: tag_publish(tag, id),
        },
        Event::Published { id } => Event::Published {
            id: tag_publish(tag, id),
        },
        Event::PublishFailed { id, reason } => Event::PublishFailed {
            id: tag_publish(tag, id),
            reason,
        },
        Event::PublishGivenUp { id } => Event::PublishGivenUp {
            id: tag_publish(tag, id),
        },
        Event::Subscribed { id, results } => Event::Subscribed {
            id: tag_request(tag, id),
            results,
        },
        Event::Unsubscribed { id, filters } => Event::Unsubscribed {
            id: tag_request(tag, id),
            filters,
        },
        other => other,
    }
}

/// The window's and the document's events the driver follows.
fn listen(this: &Weak<RefCell<Driver>>) -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let on = |target: &web_sys::EventTarget, kind: &'static str, input: fn(&mut Driver)| {
        let this = this.clone();
        EventListener::new(target, kind, move |_| drive_weak(&this, input))
    };
    let mut listeners = vec![
        on(&window, "online", Driver::on_online),
        on(&window, "offline", Driver::on_offline),
        on(&window, "pagehide", Driver::store_now),
    ];
    if let Some(document) = window.document() {
        listeners.push(on(
            &document,
            "visibilitychange",
            Driver::on_visibility_change,
        ));
    }
    listeners
}

fn browser_is_offline() -> bool {
    web_sys::window().is_some_and(|window| !window.navigator().on_line())
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
