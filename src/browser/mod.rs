//! The browser driver: one `web_sys::WebSocket` at a time and one timer feeding the sans-IO
//! [`Session`](mqtt_engine::Session), with what comes out published as Leptos signals.
//!
//! The driver holds no protocol logic. Each turn of the event loop (a WebSocket message, the
//! timer, a command from the UI) it calls the session's input, drains the events into signals,
//! sends everything `poll_transmit` holds (one `send` per megabyte of whole packets), and re-arms
//! the timer to `poll_timeout`. Few `send`s per turn, acks included, make a browser client fast.
//!
//! One session lives as long as the connection the user asked for (broker and settings), across
//! links: when a link is lost the driver opens another after a backoff ([`reconnect`]) and the
//! session resumes on it, with what was queued or in flight. What the session has not had
//! acknowledged is also kept in localStorage ([`stored_queue`]), so a reload loses nothing.
//!
//! [`link`] (the wording of transport failures), [`log`], [`reconnect`] (when to try again),
//! [`state`] (what the signals hold, and how events change it) and [`stored_queue`] (the stored
//! record) are plain Rust, tested natively; the rest needs a browser.

pub mod link;
pub mod log;
pub mod reconnect;
pub mod state;
pub mod stored_queue;

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod clock;
#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod inbox;
#[cfg(target_arch = "wasm32")]
mod later_task;
#[cfg(target_arch = "wasm32")]
mod next_frame;
#[cfg(target_arch = "wasm32")]
mod tab_lock;

#[cfg(target_arch = "wasm32")]
pub use client::{Client, DEFAULT_RECEIVED_KEPT};
#[cfg(target_arch = "wasm32")]
pub use clock::{now, wall_clock};
pub use log::Log;
pub use reconnect::RetryStatus;
pub use state::{Notice, Outcome, QueueView, Received, Sent, Status, SubState, Subscription};
#[cfg(target_arch = "wasm32")]
pub use stored_queue::client_ids as stored_client_ids;
