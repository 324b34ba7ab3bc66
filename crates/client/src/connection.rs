//! [`Connection`]: the handle the worker drives one connection with. Commands go in as calls;
//! what changed comes out as [`Update`]s, handed to the function given at its making, never
//! while the connection is at work.

use crate::driver::{command, drive, Driver};
use crate::protocol::PageEvent;
use crate::update::{Outcome, SentChange, Update};
use mqtt_engine::{ConnectOptions, Message, PublishId, QoS, RequestId, SubscribeError};
use std::cell::RefCell;
use std::rc::Rc;

/// One connection to a broker, as the user asked for it, over the browser's WebSocket.
///
/// One session lives across links: a lost connection is tried again after a backoff, and what
/// was published meanwhile goes out after the reconnect. What the session has not had
/// acknowledged is kept in this browser's storage, so that a reload loses nothing.
///
/// A cheap handle: clones drive the same connection. Dropping the last closes its WebSocket.
#[derive(Clone)]
pub struct Connection {
    driver: Rc<RefCell<Driver>>,
}

impl Connection {
    /// `tell` hears of every change, in order: after each turn of the client, and after each
    /// command, with the client free, so that it may command in return.
    pub fn new(tell: impl Fn(Update) + 'static) -> Self {
        Self {
            driver: Driver::new(Rc::new(tell)),
        }
    }

    /// Opens a WebSocket to `url` and connects with `options`, ending any connection before.
    /// With the same `url` and `options` as before, the session goes on (what it queued goes
    /// out); with others, a new session starts, given what this browser stored for the broker
    /// and client id. Whatever goes wrong shows in the status, in plain words.
    pub fn connect(&self, url: &str, options: ConnectOptions) {
        drive(&self.driver, |driver| driver.open(url.trim(), options));
    }

    /// Says goodbye to the broker (DISCONNECT), closes the WebSocket, stops reconnecting.
    pub fn disconnect(&self) {
        drive(&self.driver, Driver::close_by_user);
    }

    /// Stops reconnecting (a try under way included).
    pub fn cancel_reconnect(&self) {
        drive(&self.driver, Driver::cancel_reconnect);
    }

    /// Makes the next try now rather than at the end of the backoff.
    pub fn retry_now(&self) {
        drive(&self.driver, Driver::try_again);
    }

    /// Hands a message to the session, under the page's `id`: what becomes of it is told under
    /// that id, a refusal too. Connected, it goes out with whatever else is due this task;
    /// otherwise, if `queue_offline`, it waits, in order, for the next CONNACK (and in this
    /// browser's storage meanwhile).
    pub fn publish_as(&self, id: PublishId, message: Message, queue_offline: bool) {
        let published = command(&self.driver, |driver| {
            driver.publish(id, message, queue_offline)
        });
        if let Some(Err(error)) = published {
            let refused = SentChange::Outcome(id, Outcome::Failed(error.to_string()));
            drive(&self.driver, |driver| driver.tell(refused));
        }
    }

    /// Subscribes; while the link is down, the SUBSCRIBE goes out after the next CONNACK.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> Result<RequestId, SubscribeError> {
        command(&self.driver, |driver| driver.subscribe(filter, qos))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    pub fn unsubscribe(&self, filter: &str) -> Result<RequestId, SubscribeError> {
        command(&self.driver, |driver| driver.unsubscribe(filter))
            .unwrap_or(Err(SubscribeError::NotConnected))
    }

    /// What the page saw happen: the network came or went, the page was shown or is going.
    pub fn page_event(&self, event: PageEvent) {
        drive(&self.driver, |driver| driver.page_event(event));
    }

    /// For tests: holds the session's timer back, as a browser does in a hidden tab; on
    /// release a timer that came due meanwhile fires at once, late.
    #[doc(hidden)]
    pub fn hold_timer(&self, held: bool) {
        drive(&self.driver, |driver| driver.hold_timer(held));
    }
}
