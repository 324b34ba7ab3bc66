//! The dedicated worker that runs the page's connections: the WebSockets, the sessions, the
//! timers and the stored queues live here, off the page's main thread. The page posts
//! [`ToWorker`] messages, those of one task together; what the connections change is gathered and posted back as one
//! [`ToPage`] at most about once a frame, never one message per MQTT packet.

use crate::connection::Connection;
use crate::protocol::{decode, encode, Command, ConnectionId, Reply, ToPage, ToWorker};
use crate::queue_store;
use crate::update::{Notice, Update};
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The least time between two posts to the page: about a frame.
const POST_EVERY_MS: f64 = 16.0;

/// Runs the worker: call it once, from the worker's entry.
pub fn run() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let outbox = Rc::new(RefCell::new(Outbox::default()));
    let connections = Rc::new(RefCell::new(HashMap::<ConnectionId, Connection>::new()));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let scope = scope.clone();
        move |event: MessageEvent| {
            let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
            // What the page commanded in one task, in order: what it makes the sessions send
            // goes out together, at the end of this task.
            match decode::<Vec<ToWorker>>(&bytes) {
                Ok(messages) => {
                    for message in messages {
                        handle(&scope, &connections, &outbox, message);
                    }
                }
                Err(error) => web_sys::console::error_1(
                    &format!("wasm-mqtt worker: a message it cannot read ({error})").into(),
                ),
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page: so does its handler.
    on_message.forget();
}

type Connections = Rc<RefCell<HashMap<ConnectionId, Connection>>>;

fn handle(
    scope: &DedicatedWorkerGlobalScope,
    connections: &Connections,
    outbox: &Rc<RefCell<Outbox>>,
    message: ToWorker,
) {
    match message {
        ToWorker::MoveQueues(queues) => {
            let (scope, outbox) = (scope.clone(), outbox.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let kept = queue_store::keep_moved(queues).await;
                let reply = Reply::QueuesMoved(kept.map_err(|error| error.to_string()));
                Outbox::reply(&outbox, &scope, reply);
            });
        }
        ToWorker::StoredClientIds { request, broker } => {
            let (scope, outbox) = (scope.clone(), outbox.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let client_ids = queue_store::client_ids(&broker).await;
                let reply = Reply::StoredClientIds {
                    request,
                    client_ids,
                };
                Outbox::reply(&outbox, &scope, reply);
            });
        }
        ToWorker::Page(event) => {
            // Cloned handles: a connection's work may tell the outbox, never this map.
            let all: Vec<Connection> = connections.borrow().values().cloned().collect();
            for connection in all {
                connection.page_event(event);
            }
        }
        ToWorker::Command {
            connection: id,
            command: Command::Close,
        } => {
            let closed = connections.borrow_mut().remove(&id);
            if let Some(connection) = closed {
                connection.disconnect();
            }
        }
        ToWorker::Command {
            connection: id,
            command,
        } => {
            let existing = connections.borrow().get(&id).cloned();
            let connection = existing.unwrap_or_else(|| {
                let connection = Connection::new({
                    let (scope, outbox) = (scope.clone(), outbox.clone());
                    move |update| Outbox::add(&outbox, &scope, id, update)
                });
                connections.borrow_mut().insert(id, connection.clone());
                connection
            });
            if let Err(text) = connection.run(command) {
                let notice = Notice {
                    at: js_sys::Date::now(),
                    text,
                };
                let update = Update {
                    notices: vec![notice],
                    ..Update::default()
                };
                Outbox::add(outbox, scope, id, update);
            }
        }
    }
}

/// What the page has not been told yet, per connection, and when it is to be told.
#[derive(Default)]
struct Outbox {
    updates: Vec<(ConnectionId, Update)>,
    replies: Vec<Reply>,
    timer: Option<Timeout>,
    last_post: f64,
}

impl Outbox {
    fn add(
        this: &Rc<RefCell<Outbox>>,
        scope: &DedicatedWorkerGlobalScope,
        connection: ConnectionId,
        update: Update,
    ) {
        let mut outbox = this.borrow_mut();
        match outbox.updates.iter_mut().find(|(id, _)| *id == connection) {
            Some((_, pending)) => pending.merge(update),
            None => outbox.updates.push((connection, update)),
        }
        drop(outbox);
        Outbox::post_soon(this, scope);
    }

    fn reply(this: &Rc<RefCell<Outbox>>, scope: &DedicatedWorkerGlobalScope, reply: Reply) {
        this.borrow_mut().replies.push(reply);
        Outbox::post_soon(this, scope);
    }

    /// Posts when a frame's time has passed since the last post, unless a post is due already.
    fn post_soon(this: &Rc<RefCell<Outbox>>, scope: &DedicatedWorkerGlobalScope) {
        let mut outbox = this.borrow_mut();
        if outbox.timer.is_some() {
            return;
        }
        let wait = (outbox.last_post + POST_EVERY_MS - js_sys::Date::now()).max(0.0);
        let (this, scope) = (this.clone(), scope.clone());
        outbox.timer = Some(Timeout::new(wait as u32, move || {
            Outbox::post(&this, &scope)
        }));
    }

    fn post(this: &Rc<RefCell<Outbox>>, scope: &DedicatedWorkerGlobalScope) {
        let to_page = {
            let mut outbox = this.borrow_mut();
            outbox.timer = None;
            outbox.last_post = js_sys::Date::now();
            ToPage {
                updates: std::mem::take(&mut outbox.updates),
                replies: std::mem::take(&mut outbox.replies),
            }
        };
        let bytes = js_sys::Uint8Array::from(encode(&to_page).as_slice());
        let transfer = js_sys::Array::of1(&bytes.buffer());
        if let Err(error) = scope.post_message_with_transfer(&bytes, &transfer) {
            web_sys::console::error_1(&error);
        }
    }
}

impl Connection {
    /// Runs a command from the page; `Err` holds the words for a refused one.
    fn run(&self, command: Command) -> Result<(), String> {
        match command {
            Command::Connect { url, options } => self.connect(&url, options),
            Command::Disconnect | Command::Close => self.disconnect(),
            Command::CancelReconnect => self.cancel_reconnect(),
            Command::RetryNow => self.retry_now(),
            Command::Publish {
                id,
                message,
                queue_offline,
            } => self.publish_as(id, message.into(), queue_offline),
            Command::Subscribe { filter, qos } => {
                return (self.subscribe(&filter, qos).map(drop))
                    .map_err(|error| format!("Not subscribed to '{filter}': {error}"));
            }
            Command::Unsubscribe { filter } => {
                return (self.unsubscribe(&filter).map(drop))
                    .map_err(|error| format!("Not unsubscribed from '{filter}': {error}"));
            }
            Command::HoldTimer(held) => self.hold_timer(held),
            Command::Crash => wasm_bindgen::throw_str("wasm-mqtt worker: stopped for a test"),
        }
        Ok(())
    }
}
