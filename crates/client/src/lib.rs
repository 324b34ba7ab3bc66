//! The browser side of the MQTT client: a `web_sys::WebSocket`, timers and this browser's
//! storage feeding the sans-IO session of `mqtt-engine`. The page drives it through a
//! `Connection`; what changed comes back as an `Update`, a plain value the page applies.
//!
//! - `driver`: the turn: inputs in, the session's events out, everything due sent at once;
//! - `link`: one WebSocket, its inbox (`inbox`) and how it closed (`transport_error`);
//! - `session_timer`: the keep-alive timer, and what a hidden tab does to it;
//! - `reconnect`: when to try again after a lost link;
//! - `current`, `store`, `stored_queue`, `queue_store`, `tab_lock`: the connection the user
//!   asked for, and what of it this browser keeps (in IndexedDB), written by one tab at a time;
//! - `turns`: when a turn runs (`later_task` for a burst of messages);
//! - `update`: what the page is told; `protocol`: how it crosses; `worker`: the worker's loop.

mod clock;
mod connection;
mod current;
mod driver;
mod environment;
mod inbox;
mod later_task;
mod link;
pub mod protocol;
pub mod queue_store;
pub mod reconnect;
mod session_timer;
mod store;
pub mod stored_queue;
mod tab_lock;
pub mod transport_error;
mod turns;
pub mod update;
pub mod worker;

pub use clock::{now, wall_clock};
pub use connection::Connection;
pub use environment::page_is_https;
pub use queue_store::{client_ids as stored_client_ids, StorageError};
pub use reconnect::RetryStatus;
pub use update::{
    Notice, Outcome, QueueView, Received, Sent, SentChange, Status, SubState, Subscription, Update,
};
