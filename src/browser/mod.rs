//! The browser driver: one `web_sys::WebSocket` and one timer feeding the sans-IO
//! [`Session`](crate::mqtt::Session), with what comes out published as Leptos signals.
//!
//! The driver holds no protocol logic. Each turn of the event loop (a WebSocket message, the
//! timer, a command from the UI) it calls the session's input, drains the events into signals,
//! makes at most one `send` with everything `poll_transmit` holds, and re-arms the timer to
//! `poll_timeout`. One `send` per turn, acks included, is what makes a browser client fast.
//!
//! [`link`] (the wording of transport failures), [`log`] and [`state`] (what the signals hold,
//! and how events change it) are plain Rust, tested natively; the rest needs a browser.

pub mod link;
pub mod log;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod clock;

#[cfg(target_arch = "wasm32")]
pub use client::Client;
#[cfg(target_arch = "wasm32")]
pub use clock::{now, wall_clock};
pub use log::Log;
pub use state::{Notice, Outcome, Received, Sent, Status, SubState, Subscription};
