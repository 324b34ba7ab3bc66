//! The Leptos app: one component a file, fed by the driver's signals. Nothing here knows the
//! wire format.
//!
//! [`params`] (the shareable URL), [`settings`] (the connection form) and [`text`] (the words
//! shown) are plain Rust, tested natively; the components are tested in the browser.

pub mod params;
pub mod settings;
pub mod text;

mod app;
mod connection_panel;
mod counter;
mod error_list;
mod live_rates;
mod message_log;
mod number_field;
mod problem_line;
mod publish_form;
mod publish_log;
mod publish_view;
mod qos_select;
mod queue_status;
mod received_list;
mod reconnect_notice;
mod share_link;
mod status_line;
mod subscribe_view;
mod subscription_list;

pub use app::App;

/// `wasm-mqtt-<8 hex digits>`, from the browser's random source.
fn random_client_id() -> String {
    let mut bytes = [0u8; 4];
    let from_crypto = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    let random = if from_crypto {
        u32::from_le_bytes(bytes)
    } else {
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    };
    mqtt_engine::generated_client_id(random)
}

/// `HH:MM:SS.mmm` in local time, for a wall-clock time in ms.
fn time_of_day(at: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at));
    text::clock_time(
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds(),
        date.get_milliseconds(),
    )
}
