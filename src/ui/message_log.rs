//! The messages received, as the tutorial's sub.py prints them: how many came, how fast
//! messages come and go, how many the log keeps (a setting), and the log itself.

use super::live_rates::LiveRates;
use super::number_field::NumberField;
use super::problem_line::ProblemLine;
use super::received_list::ReceivedList;
use super::settings::received_kept;
use super::text::received_count;
use crate::Client;
use crate::DEFAULT_RECEIVED_KEPT;
use leptos::prelude::*;

#[component]
pub fn MessageLog() -> impl IntoView {
    let client = expect_context::<Client>();
    let received = client.received();
    let kept_text = RwSignal::new(DEFAULT_RECEIVED_KEPT.to_string());
    let kept = move || kept_text.with(|text| received_kept(text));
    Effect::new(move || {
        if let Ok(capacity) = kept() {
            client.set_received_capacity(capacity);
        }
    });
    view! {
        <div class="log-header">
            <h3 id="received-heading">"Received"</h3>
            <span class="hint" data-testid="received-count">
                {move || received.with(|log| received_count(log.total(), log.len()))}
            </span>
            <button
                type="button"
                class="small"
                id="clear-received"
                on:click=move |_| client.clear_received()
            >
                "Clear"
            </button>
        </div>
        <div class="log-settings">
            <LiveRates />
            <NumberField id="received-kept" label="Messages kept" value=kept_text />
        </div>
        <ProblemLine problem=Signal::derive(move || kept().err()) testid="received-kept-problem" />
        <ReceivedList />
    }
}
