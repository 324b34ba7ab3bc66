//! While the driver reconnects: when the next try starts (a countdown), why the link was lost,
//! and buttons to try now or to stop.

use super::text::retry_text;
use crate::Client;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use mqtt_client::wall_clock;

#[component]
pub fn ReconnectNotice() -> impl IntoView {
    let client = expect_context::<Client>();
    let retry = client.retry();
    // The countdown's clock ticks only while a try is scheduled.
    let clock = RwSignal::new(wall_clock());
    let ticker = StoredValue::new_local(None::<Interval>);
    Effect::new(move |_| {
        let scheduled = retry.with(|retry| retry.next_try_at.is_some());
        clock.set(wall_clock());
        ticker.set_value(scheduled.then(|| Interval::new(250, move || clock.set(wall_clock()))));
    });
    view! {
        <Show when=move || retry.with(|retry| retry.active)>
            <div class="reconnect" data-testid="reconnect" role="status" aria-live="polite">
                <span data-testid="reconnect-text">
                    {move || retry.with(|retry| retry_text(retry, clock.get()))}
                </span>
                <div class="actions">
                    <button
                        id="retry-now"
                        type="button"
                        class="small"
                        disabled=move || retry.with(|retry| retry.next_try_at.is_none())
                        on:click=move |_| client.retry_now()
                    >
                        "Try now"
                    </button>
                    <button
                        id="cancel-reconnect"
                        type="button"
                        class="small"
                        on:click=move |_| client.cancel_reconnect()
                    >
                        "Cancel"
                    </button>
                </div>
            </div>
        </Show>
    }
}
