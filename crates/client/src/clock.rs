//! Time for the session (a monotonic clock in ms) and for people (the wall clock).

use crate::environment::performance;
use mqtt_engine::Millis;
use web_sys::Performance;

thread_local! {
    static PERFORMANCE: Option<Performance> = performance();
}

/// Milliseconds on `performance.now()`: monotonic, unlike the wall clock.
pub fn now() -> Millis {
    PERFORMANCE.with(|performance| match performance {
        Some(performance) => performance.now() as Millis,
        None => js_sys::Date::now() as Millis,
    })
}

/// Milliseconds since 1970, for showing when something happened.
pub fn wall_clock() -> f64 {
    js_sys::Date::now()
}
