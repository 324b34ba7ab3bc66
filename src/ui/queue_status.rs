//! The queue of unsent messages: how many wait, how many were dropped at the bound, how many
//! are not yet acknowledged, how many came back from this browser's storage.

use super::text::queue_text;
use crate::Client;
use leptos::prelude::*;

#[component]
pub fn QueueStatus() -> impl IntoView {
    let client = expect_context::<Client>();
    let queue = client.queue();
    view! {
        <p
            class="queue hint"
            data-testid="queue"
            data-queued=move || queue.with(|q| q.queued)
            data-dropped=move || queue.with(|q| q.dropped)
            data-unacknowledged=move || queue.with(|q| q.unacknowledged)
            data-restored=move || queue.with(|q| q.restored)
            class:dropping=move || queue.with(|q| q.dropped > 0)
        >
            {move || queue.with(queue_text)}
        </p>
    }
}
