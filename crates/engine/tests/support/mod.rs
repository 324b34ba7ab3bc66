//! The harness for the native broker tests: brokers started per test, and a driver that runs
//! the engine's session over a real WebSocket.
#![allow(dead_code)] // each test file uses part of it

pub mod brokers;
pub mod driver;

use mqtt_engine::{ConnectOptions, Version};

/// Options for a client of this version, with a short response timeout so a silent broker
/// fails a test quickly.
pub fn options(version: Version, client_id: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(client_id);
    options.version = version;
    options.response_timeout = mqtt_engine::Duration::from_secs(3);
    options
}
