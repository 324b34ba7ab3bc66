//! The [`Client`] handle for the UI and tests: commands go down to the connection, which runs
//! in the page's worker ([`WorkerLink`]); the [`Update`](mqtt_client::Update)s it sends up are
//! applied to signals that the UI reads.

use crate::log::Log;
use crate::next_frame::NextFrame;
use crate::signals::Signals;
use crate::worker_link::{Listener, WorkerLink};
use leptos::prelude::*;
use mqtt_client::protocol::{Command, ConnectionId, Outgoing};
use mqtt_client::{
    Notice, Outcome, QueueView, Received, RetryStatus, Sent, Status, SubState, Subscription,
};
use mqtt_engine::{
    ConnectOptions, DisconnectReason, Message, PublishError, PublishId, QoS, SubscribeError,
    TopicFilter, TopicName,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// How many entries the logs of sent messages and errors keep for the UI.
const KEPT: usize = 500;

/// How many received messages the log keeps, unless told otherwise
/// ([`set_received_capacity`](Client::set_received_capacity)).
pub const DEFAULT_RECEIVED_KEPT: usize = 100_000;

/// The ids the page gives what it publishes: apart from those the worker gives restored
/// messages.
const PAGE_PUBLISH_IDS: u64 = 1 << 63;

/// An MQTT client over a browser WebSocket: commands in, signals out.
///
/// `Copy`, so the UI can hand it to every event handler. Its state is in signals that the UI
/// reads; nothing here renders anything. The connection itself runs in the page's worker:
/// what the page cannot tell at once (a full queue, a message over the broker's limit) comes
/// back as the message's outcome.
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
    connection: StoredValue<Handle, LocalStorage>,
    signals: Signals,
}

/// The client's connection in the worker; closed there when the client goes.
struct Handle {
    link: Rc<WorkerLink>,
    id: ConnectionId,
    /// The last Connect, made again if the worker is restarted.
    connected_with: Rc<RefCell<Option<(String, ConnectOptions)>>>,
    published: Cell<u64>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.link.leave(self.id);
    }
}

/// What the client hears from the worker.
struct Hearing {
    signals: Signals,
    connected_with: Rc<RefCell<Option<(String, ConnectOptions)>>>,
}

impl Listener for Hearing {
    fn update(&self, update: mqtt_client::Update) {
        self.signals.apply(update);
    }

    fn worker_stopped(&self, reason: &str) {
        let signals = self.signals;
        signals.worker_stopped.set(true);
        signals.status.set(Status::Disconnected {
            reason: reason.to_string(),
            by_you: false,
        });
    }

    /// Connects again as it last did, and subscribes again to what it had asked for.
    fn worker_restarted(&self, link: &WorkerLink, id: ConnectionId) {
        self.signals.worker_stopped.set(false);
        let subscriptions = self.signals.subscriptions.get_untracked();
        self.signals.subscriptions.set(Vec::new());
        let Some((url, options)) = self.connected_with.borrow().clone() else {
            return;
        };
        self.signals.status.set(Status::Connecting);
        link.command(id, Command::Connect { url, options });
        for subscription in subscriptions {
            if !matches!(subscription.state, SubState::Unsubscribing(_)) {
                let (filter, qos) = (subscription.filter, subscription.qos);
                link.command(id, Command::Subscribe { filter, qos });
            }
        }
    }
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
            worker_stopped: RwSignal::new(false),
            received_handlers: StoredValue::new_local(Vec::new()),
        };
        let link = WorkerLink::get();
        let connected_with = Rc::new(RefCell::new(None));
        let id = link.join(Rc::new(Hearing {
            signals,
            connected_with: connected_with.clone(),
        }));
        let handle = Handle {
            link,
            id,
            connected_with,
            published: Cell::new(0),
        };
        Self {
            connection: StoredValue::new_local(handle),
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

    /// The worker that runs the connections died (the status says why): see
    /// [`restart_worker`](Self::restart_worker).
    pub fn worker_stopped(&self) -> ReadSignal<bool> {
        self.signals.worker_stopped.read_only()
    }

    /// Starts the worker again, and every client of the page connects again as it last did;
    /// what was stored in this browser goes out.
    pub fn restart_worker(&self) {
        self.connection.with_value(|handle| handle.link.restart());
    }

    /// Calls `handler` with each message as it arrives on the page (with the others of its
    /// frame), before it is in [`received`](Self::received), whose readers hear of it only at
    /// the next animation frame: for a reader that keeps pace with the stream rather than the
    /// screen (a flow-control window, say).
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
        if self.signals.worker_stopped.get_untracked() {
            return; // the status says why, and the panel offers a restart
        }
        let url = url.trim().to_string();
        self.signals.status.set(Status::Connecting);
        self.connection.with_value(|handle| {
            *handle.connected_with.borrow_mut() = Some((url.clone(), options.clone()));
            handle.link.move_stored_queues();
            handle.command(Command::Connect { url, options });
        });
    }

    /// Says goodbye to the broker (DISCONNECT), closes the WebSocket, stops reconnecting. The
    /// status says so at once, as the worker will.
    pub fn disconnect(&self) {
        if self.signals.status.with_untracked(Status::is_active) {
            self.signals.status.set(Status::Disconnected {
                reason: DisconnectReason::ClientRequested.to_string(),
                by_you: true,
            });
        }
        self.command(Command::Disconnect);
    }

    /// Stops reconnecting (a try under way included).
    pub fn cancel_reconnect(&self) {
        self.command(Command::CancelReconnect);
    }

    /// Makes the next try now rather than at the end of the backoff.
    pub fn retry_now(&self) {
        self.command(Command::RetryNow);
    }

    /// Hands a message to the session. Connected, it goes out at once; otherwise it waits, in
    /// order, for the next CONNACK (and in this browser's storage meanwhile). Refused here with
    /// no connection set up or an invalid topic; a refusal of the session (the queue at its
    /// bound, over the broker's limits) is the message's outcome. Either way it is in
    /// [`sent`](Self::sent), with what became of it.
    pub fn publish(&self, message: Message) -> Result<PublishId, PublishError> {
        self.send(message, true)
    }

    /// As [`publish`](Self::publish), but refused unless connected now.
    pub fn publish_if_connected(&self, message: Message) -> Result<PublishId, PublishError> {
        self.send(message, false)
    }

    /// Hands `message` to the worker, or refuses what the page can tell at once; either way
    /// the log of sent messages has it, with what became of it.
    fn send(&self, message: Message, queue_offline: bool) -> Result<PublishId, PublishError> {
        let Some((id, connected_once)) = (self.connection)
            .try_with_value(|handle| (handle.publish_id(), handle.connected_once()))
        else {
            return Err(PublishError::NotConnected);
        };
        let connected = self.signals.status.with_untracked(Status::is_connected);
        // A dead worker would drop it: refused, and the status says why.
        let stopped = self.signals.worker_stopped.get_untracked();
        let refusal = match TopicName::new(message.topic.as_str()) {
            Err(error) => Some(PublishError::InvalidTopic(error)),
            Ok(_) if stopped || !connected_once || (!queue_offline && !connected) => {
                Some(PublishError::NotConnected)
            }
            Ok(_) => None,
        };
        let mut sent = Sent::pending(id, &message);
        if let Some(refusal) = &refusal {
            sent.outcome = Outcome::Failed(refusal.to_string());
        }
        self.signals.sent.update(|log| {
            log.push(sent);
        });
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        let message = Outgoing {
            topic: message.topic,
            payload: message.payload,
            qos: message.qos,
            retain: message.retain,
        };
        self.command(Command::Publish {
            id,
            message,
            queue_offline,
        });
        Ok(id)
    }

    /// Subscribes; while the link is down, the SUBSCRIBE goes out after the next CONNACK.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), SubscribeError> {
        self.check_filter(filter)?;
        self.command(Command::Subscribe {
            filter: filter.to_string(),
            qos,
        });
        Ok(())
    }

    pub fn unsubscribe(&self, filter: &str) -> Result<(), SubscribeError> {
        self.check_filter(filter)?;
        self.command(Command::Unsubscribe {
            filter: filter.to_string(),
        });
        Ok(())
    }

    fn check_filter(&self, filter: &str) -> Result<(), SubscribeError> {
        let stopped = self.signals.worker_stopped.get_untracked();
        if stopped || !self.connection.with_value(Handle::connected_once) {
            return Err(SubscribeError::NotConnected);
        }
        TopicFilter::new(filter)
            .map(drop)
            .map_err(|error| SubscribeError::InvalidFilter {
                filter: filter.to_string(),
                error,
            })
    }

    /// Which client ids have unsent messages stored in this browser for `broker` (a reload
    /// while they waited): `answer` hears, once the worker looked.
    pub fn stored_client_ids(&self, broker: &str, answer: impl FnOnce(Vec<String>) + 'static) {
        self.connection
            .with_value(|handle| handle.link.stored_client_ids(broker, answer));
    }

    /// For tests: holds the session's timer back, as a browser does in a hidden tab; on
    /// release a timer that came due meanwhile fires at once, late.
    #[doc(hidden)]
    pub fn hold_timer(&self, held: bool) {
        self.command(Command::HoldTimer(held));
    }

    /// For tests: stops the worker at once, as a wasm panic would.
    #[doc(hidden)]
    pub fn crash_worker(&self) {
        self.command(Command::Crash);
    }

    fn command(&self, command: Command) {
        self.connection.with_value(|handle| handle.command(command));
    }
}

impl Handle {
    fn command(&self, command: Command) {
        self.link.command(self.id, command);
    }

    fn connected_once(&self) -> bool {
        self.connected_with.borrow().is_some()
    }

    /// An id for the next message published.
    fn publish_id(&self) -> PublishId {
        let n = self.published.get() + 1;
        self.published.set(n);
        PublishId(PAGE_PUBLISH_IDS | n)
    }
}
