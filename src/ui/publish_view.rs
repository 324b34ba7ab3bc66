//! Publishing: the tutorial's counter, one message at a time, and the log of both.

use super::counter::Counter;
use super::problem_line::ProblemLine;
use super::publish_form::PublishForm;
use super::publish_log::PublishLog;
use super::qos_select::QosSelect;
use super::queue_status::QueueStatus;
use super::text::counter_payload;
use leptos::prelude::*;

#[component]
pub fn PublishView(counter: Counter) -> impl IntoView {
    let running = counter.running;
    view! {
        <section class="panel" aria-labelledby="publish-heading">
            <h2 id="publish-heading">"Publish"</h2>
            <div class="counter" role="group" aria-labelledby="counter-heading">
                <h3 id="counter-heading">"Counter"</h3>
                <p class="hint">
                    "Publishes " <code>"messages: N"</code>
                    " every period, as the tutorial's pub.py does."
                </p>
                <div class="field wide">
                    <label for="publish-topic">"Topic"</label>
                    <input
                        id="publish-topic"
                        type="text"
                        spellcheck="false"
                        bind:value=counter.topic
                    />
                </div>
                <div class="field">
                    <QosSelect id="counter-qos" value=counter.qos />
                </div>
                <div class="field">
                    <label for="counter-period">"Period (ms)"</label>
                    <input
                        id="counter-period"
                        type="number"
                        min="10"
                        step="100"
                        bind:value=counter.period
                        on:change=move |_| counter.period_changed()
                    />
                </div>
                <div class="field check">
                    <input
                        id="counter-queue-offline"
                        type="checkbox"
                        bind:checked=counter.queue_offline
                    />
                    <label for="counter-queue-offline">"Queue while offline"</label>
                </div>
                <div class="actions">
                    <button
                        id="counter-start"
                        type="button"
                        class="primary"
                        disabled=move || running.get()
                        on:click=move |_| counter.start()
                    >
                        "Start"
                    </button>
                    <button
                        id="counter-stop"
                        type="button"
                        disabled=move || !running.get()
                        on:click=move |_| counter.stop()
                    >
                        "Stop"
                    </button>
                    <button id="counter-reset" type="button" on:click=move |_| counter.reset()>
                        "Reset N"
                    </button>
                    <span class="hint" data-testid="counter-next">
                        "Next: " <code>{move || counter_payload(counter.next.get())}</code>
                    </span>
                </div>
                <ProblemLine problem=counter.problem testid="counter-problem" />
            </div>
            <PublishForm topic=counter.topic.get_untracked() />
            <QueueStatus />
            <PublishLog />
        </section>
    }
}
