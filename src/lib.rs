//! An MQTT client for the browser: the Leptos app ([`ui`]) and the [`Client`] handle it drives
//! the connection with. The connection itself is the `mqtt-client` crate, over the sans-IO
//! engine of the `mqtt-engine` crate.

pub mod client;
pub mod log;
mod next_frame;
pub mod ui;

pub use client::{Client, DEFAULT_RECEIVED_KEPT};
