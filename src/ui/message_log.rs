//! The messages received, as the tutorial's sub.py prints them, with time, QoS and retain.
//! Payloads are text nodes, never HTML.

use super::text::{qos_label, received_line};
use super::time_of_day;
use crate::browser::{Client, Log, Received};
use leptos::prelude::*;

/// The newest lines shown; the count covers them all.
const SHOWN: usize = 100;

#[component]
pub fn MessageLog(client: Client) -> impl IntoView {
    let received = client.received();
    let lines = move || {
        received.with(|log: &Log<Received>| {
            log.iter()
                .rev()
                .take(SHOWN)
                .map(|(seq, message)| (*seq, message.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="log-header">
            <h3 id="received-heading">"Received"</h3>
            <span class="hint" data-testid="received-count">
                {move || received.with(Log::total)}
                " in all"
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
        <ol id="received-log" class="log" aria-labelledby="received-heading" aria-live="polite">
            <For
                each=lines
                key=|(seq, _)| *seq
                children=move |(_, message)| {
                    view! {
                        <li data-testid="received-line">
                            <time>{time_of_day(message.at)}</time>
                            <span class="text" data-testid="received-text">
                                {received_line(&message.payload, &message.topic)}
                            </span>
                            <span class="badge">{qos_label(message.qos)}</span>
                            {message.retain.then(|| view! { <span class="badge">"retained"</span> })}
                        </li>
                    }
                }
            />
        </ol>
    }
}
