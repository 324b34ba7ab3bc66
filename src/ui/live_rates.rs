//! How fast messages come in and go out: counted over the last second, once a second.

use super::text::{per_second, rate_text};
use crate::log::Log;
use crate::Client;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use mqtt_client::now;

const PERIOD_MS: u32 = 1_000;

#[component]
pub fn LiveRates() -> impl IntoView {
    let client = expect_context::<Client>();
    let totals = move || {
        (
            client.received().with_untracked(Log::total),
            client.sent().with_untracked(Log::total),
        )
    };
    let rates = RwSignal::new((0, 0));
    let last = StoredValue::new((totals(), now()));
    let tick = move || {
        let ((received_then, sent_then), then) = last.get_value();
        let ((received, sent), at) = (totals(), now());
        let elapsed = (at - then).as_millis();
        rates.set((
            per_second(received.saturating_sub(received_then), elapsed),
            per_second(sent.saturating_sub(sent_then), elapsed),
        ));
        last.set_value(((received, sent), at));
    };
    // Dropped with the component, which stops it.
    let _ticking = StoredValue::new_local(Interval::new(PERIOD_MS, tick));
    view! {
        <p
            class="hint rates"
            data-testid="rates"
            data-in=move || rates.get().0
            data-out=move || rates.get().1
        >
            {move || format!("In {}, out {}", rate_text(rates.get().0), rate_text(rates.get().1))}
        </p>
    }
}
