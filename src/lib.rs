//! An MQTT client for the browser: the WebSocket driver ([`browser`]) and the Leptos app
//! ([`ui`]), over the sans-IO engine of the `mqtt-engine` crate. What the driver and the app do
//! without a browser (wording, parsing, state updates) compiles everywhere and is tested
//! natively; what needs web-sys or Leptos is built for wasm32 only.

pub mod browser;
pub mod ui;
