//! The [`Client`] handle for the UI and tests: commands in, signals out. The work is done by
//! the [`Driver`](super::driver) behind it.

use super::clock::wall_clock;
use super::driver::{drive, report_reentry, Driver, Turn};
use super::log::Log;
use super::next_frame::NextFrame;
use super::reconnect::RetryStatus;
use super::state::{Changes, Notice, QueueView, Received, Sent, Status, Subscription};
use mqtt_engine::{
    ConnectOptions, Message, PublishError, PublishId, QoS, RequestId, SubscribeError,
};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// How many entries the logs of sent messages and errors keep for the UI.
const KEPT: usize = 500;

/// How many received messages the log keeps, unless told otherwise
/// ([`set_received_capacity`](Client::set_received_capacity)).
pub const DEFAULT_RECEIVED_KEPT: usize = 100_000;

/// An MQTT client over a browser WebSocket: commands in, signals out.
///
/// `Copy`, so the UI can hand it to every event handler. Its state is in signals that the UI
/// reads; nothing here renders anything.
///
/// One session lives across links: a lost connection is tried again after a backoff (see
/// [`retry`](Self::retry)), and what was published meanwhile goes out after the reconnect.
///
/// ```ignore
/// let client = Client::new();
/// client.connect("ws://broker.emqx.io:8083/mqtt", ConnectOptions::new("me"));
/// client.subscribe("python/mqtt", QoS::AtMostOnce)?; // goes out after CONNACK
/// client.publish(Message::new("python/mqtt", "hi", QoS::AtLeastOnce))?;
/// ```
#[derive(Clone, Copy)]
pub struct Client {
    driver: StoredValue<Rc<RefCell<Driver>>, LocalStorage>,
    signals: Signals,
}

/// A function told of each message as it arrives.
pub(super) type ReceivedHandler = Rc<dyn Fn(&Received)>;

/// What the UI reads. Each part is a signal of its own, so a view re-renders only for its part.
#[derive(Clone, Copy)]
pub(super) struct Signals {
    pub status: RwSignal<Status>,
    /// Written untracked as messages arrive; its readers hear of it once a frame.
    pub received: RwSignal<Log<Received>>,
    pub received_frame: StoredValue<NextFrame, LocalStorage>,
    pub sent: RwSignal<Log<Sent>>,
    pub subscriptions: RwSignal<Vec<Subscription>>,
    pub errors: RwSignal<Log<Notice>>,
    pub retry: RwSignal<RetryStatus>,
    pub queue: RwSignal<QueueView>,
    /// Told of each message as it arrives ([`Client::on_received`]).
    pub received_handlers: StoredValue<Vec<ReceivedHandler>, LocalStorage>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    pub fn new() -> Self {
        let received = RwSignal::new(Log::new(DEFAULT_RECEIVED_KEPT));
        let signals = Signals {
            status: RwSignal::new(Status::Idle),
            received,
            received_frame: StoredValue::new_local(NextFrame::new(move || received.notify())),
            sent: RwSignal::new(Log::new(KEPT)),
            subscriptions: RwSignal::new(Vec::new()),
            errors: RwSignal::new(Log::new(KEPT)),
            retry: RwSignal::new(RetryStatus::default()),
            queue: RwSignal::new(QueueView::default()),
            received_handlers: StoredValue::new_local(Vec::new()),
        };
        Self {
            driver: StoredValue::new_local(Driver::new(signals)),
            signals,
        }
    }

    pub fn status(&self) -> ReadSignal<Status> {
        self.signals.status.read_only()
    }

    /// Messages received, newest last. It changes as each message arrives; those who track it
    /// hear of the changes once per animation frame.
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

    /// Errors not shown elsewhere: refused publishes and subscriptions, storage trouble.
    pub fn errors(&self) -> ReadSignal<Log<Notice>> {
        self.signals.errors.read_only()
    }

    /// Reconnecting: the tries made, when the next one starts, why the link was lost.
    pub fn retry(&self) -> ReadSignal<RetryStatus> {
        self.signals.retry.read_only()
    }

    /// Messages waiting to be sent, dropped at the bound, and not yet acknowledged.
    pub fn queue(&self) -> ReadSignal<QueueView> {
        self.signals.queue.read_only()
    }

    /// Calls `handler` with each message as it arrives (in the task that follows the burst of
    /// WebSocket messages that brought it), before it is in [`received`](Self::received),
    /// whose readers hear of it only once a frame: for a reader that keeps pace with the
    /// stream rather than the screen (a flow-control window, say). What `handler` publishes
    /// goes out with the acks of the messages of that burst.
    pub fn on_received(&self, handler: impl Fn(&Received) + 'static) {
        (self.signals.received_handlers).update_value(|handlers| handlers.push(Rc::new(handler)));
    }

    pub fn clear_received(&self) {
        self.signals.received.update(Log::clear);
    }

    /// Keeps at most `capacity` received messages from now on, dropping the oldest past it.
    pub fn set_received_capacity(&self, capacity: usize) {
        self.signals
            .received
            .update(|log| log.set_capacity(capacity));
    }

    pub fn clear_sent(&self) {
        self.signals.sent.update(Log::clear);
    }

    pub fn clear_errors(&self) {
        self.signals.errors.update(Log::clear);
    }

    /// Opens a WebSocket to `url` and connects with `options`, ending any connection before.
    /// With the same `url` and `options` as before, the session goes on (what it queued goes
    /// out); with others, a new session starts, given what this browser stored for the broker
    /// and client id. Whatever goes wrong shows in [`status`](Self::status) in plain words.
    pub fn connect(&self, url: &str, options: ConnectOptions) {
        if let Some(driver) = self.driver() {
            drive(&driver, |driver| driver.open(url.trim(), options));
        }
    }

    /// Says goodbye to the broker (DISCONNECT), closes the WebSocket, stops reconnecting.
    pub fn disconnect(&self) {
        if let Some(driver) = self.driver() {
            drive(&driver, Driver::close_by_user);
        }
    }

    /// Stops reconnecting (a try under way included).
    pub fn cancel_reconnect(&self) {
        if let Some(driver) = self.driver() {
            drive(&driver, Driver::cancel_reconnect);
        }
    }

    /// Makes the next try now rather than at the end of the backoff.
    pub fn retry_now(&self) {
        if let Some(driver) = self.driver() {
            drive(&driver, Driver::try_again);
        }
    }

    /// Hands a message to the session. Connected, it goes out with whatever else is due this
    /// turn; otherwise it waits, in order, for the next CONNACK (and in this browser's storage
    /// meanwhile). Refused only with no connection set up, or at the queue's bound.
    pub fn publish(&self, message: Message) -> Result<PublishId, PublishError> {
        self.command(|driver| driver.publish(message, true))
            .unwrap_or(Err(PublishError::NotConnected))
    }

    /// As [`publish`](Self::publish), but refused unless connected now.
    pub fn publish_if_connected(&self, message: Message) -> Result<PublishId, PublishError> {
        self.command(|driver| driver.publish(message, false))
            .unwrap_or(Err(PublishError::NotConnected))
    }

    /// Subscribes; while the link is down, the SUBSCRIBE goes out after the next CONNACK.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<RequestId, SubscribeError> {
        self.command(|driver| driver.subscribe(filter, qos))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    pub fn unsubscribe(&self, filter: &str) -> Result<RequestId, SubscribeError> {
        self.command(|driver| driver.unsubscribe(filter))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    /// For tests: holds the session's timer back, as a browser does in a hidden tab; on
    /// release a timer that came due meanwhile fires at once, late.
    #[doc(hidden)]
    pub fn hold_timer(&self, held: bool) {
        if let Some(driver) = self.driver() {
            drive(&driver, |driver| driver.hold_timer(held));
        }
    }

    fn driver(&self) -> Option<Rc<RefCell<Driver>>> {
        self.driver.try_get_value()
    }

    /// Runs a command now; what it makes the session send goes out at the end of this turn of
    /// the event loop, together with anything else commanded in the same turn.
    fn command<R>(&self, command: impl FnOnce(&mut Driver) -> R) -> Option<R> {
        let driver = self.driver()?;
        let Ok(mut driver) = driver.try_borrow_mut() else {
            report_reentry();
            return None;
        };
        let result = command(&mut driver);
        driver.schedule_flush();
        Some(result)
    }
}

impl Signals {
    pub(super) fn apply(&self, turn: Turn) {
        if self.retry.with_untracked(|retry| *retry != turn.retry) {
            self.retry.set(turn.retry);
        }
        if self.queue.with_untracked(|queue| *queue != turn.queue) {
            self.queue.set(turn.queue);
        }
        if turn.events.is_empty() {
            return;
        }
        let at = wall_clock();
        let mut changes = Changes::from_events(turn.events, at);
        if let Some(status) = turn.status.or(changes.status.take()) {
            self.status.set(status);
        }
        if !changes.received.is_empty() {
            let received = std::mem::take(&mut changes.received);
            // Cloned, so that a handler may add another without a borrow held.
            let handlers = self.received_handlers.get_value();
            for message in &received {
                for handler in &handlers {
                    handler(message);
                }
            }
            self.received.update_untracked(|log| {
                for message in received {
                    log.push(message);
                }
            });
            self.received_frame.try_with_value(NextFrame::schedule);
        }
        if !changes.outcomes.is_empty() {
            self.sent.update(|log| changes.apply_to_sent(log));
        }
        if !changes.subscribed.is_empty() || !changes.unsubscribed.is_empty() {
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
