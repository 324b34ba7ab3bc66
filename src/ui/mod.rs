//! The Leptos app: one component a file, fed by the driver's signals. Nothing here knows the
//! wire format.
//!
//! [`params`] (the shareable URL), [`settings`] (the connection form) and [`text`] (the words
//! shown) are plain Rust, tested natively; the components need a browser.

pub mod params;
pub mod settings;
pub mod text;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod connection_panel;
#[cfg(target_arch = "wasm32")]
mod counter;
#[cfg(target_arch = "wasm32")]
mod error_list;
#[cfg(target_arch = "wasm32")]
mod live_rates;
#[cfg(target_arch = "wasm32")]
mod message_log;
#[cfg(target_arch = "wasm32")]
mod number_field;
#[cfg(target_arch = "wasm32")]
mod publish_form;
#[cfg(target_arch = "wasm32")]
mod publish_log;
#[cfg(target_arch = "wasm32")]
mod publish_view;
#[cfg(target_arch = "wasm32")]
mod qos_select;
#[cfg(target_arch = "wasm32")]
mod queue_status;
#[cfg(target_arch = "wasm32")]
mod received_list;
#[cfg(target_arch = "wasm32")]
mod reconnect_notice;
#[cfg(target_arch = "wasm32")]
mod share_link;
#[cfg(target_arch = "wasm32")]
mod status_line;
#[cfg(target_arch = "wasm32")]
mod subscribe_view;
#[cfg(target_arch = "wasm32")]
mod subscription_list;

#[cfg(target_arch = "wasm32")]
pub use app::App;

#[cfg(target_arch = "wasm32")]
fn page_is_https() -> bool {
    web_sys::window()
        .and_then(|window| window.location().protocol().ok())
        .is_some_and(|protocol| protocol == "https:")
}

/// `wasm-mqtt-<8 hex digits>`, from the browser's random source.
#[cfg(target_arch = "wasm32")]
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
#[cfg(target_arch = "wasm32")]
fn time_of_day(at: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at));
    text::clock_time(
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds(),
        date.get_milliseconds(),
    )
}
