//! An MQTT client for the browser: the Leptos app ([`ui`]) and the [`Client`] handle it drives
//! the connection with. The connections run in a worker ([`worker_link`]; the worker's own
//! program is `src/worker.rs`, the `mqtt-client` crate over the sans-IO engine of the
//! `mqtt-engine` crate).

pub mod client;
pub mod log;
mod next_frame;
mod signals;
pub mod ui;
pub mod worker_link;

pub use client::{Client, DEFAULT_RECEIVED_KEPT};
