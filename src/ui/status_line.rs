//! The connection's state in plain words.

use leptos::prelude::*;
use mqtt_client::Status;

#[component]
pub fn StatusLine(status: ReadSignal<Status>) -> impl IntoView {
    view! {
        <p
            class="status"
            data-testid="status"
            data-state=move || status.with(Status::kind)
            role="status"
            aria-live="polite"
        >
            {move || status.with(Status::text)}
        </p>
    }
}
