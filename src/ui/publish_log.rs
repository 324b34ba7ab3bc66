//! What was published, as the tutorial's pub.py prints it, with what became of each message.

use super::time_of_day;
use crate::log::Log;
use crate::Client;
use leptos::prelude::*;
use mqtt_client::{wall_clock, Outcome, Status};
use mqtt_engine::PublishId;

/// One line of the publish log.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishLine {
    pub at: f64,
    pub text: String,
    /// The message the session took, if it took it.
    pub id: Option<PublishId>,
}

impl PublishLine {
    pub fn sent(text: String, id: PublishId) -> Self {
        Self {
            at: wall_clock(),
            text,
            id: Some(id),
        }
    }

    pub fn failed(text: String) -> Self {
        Self {
            at: wall_clock(),
            text,
            id: None,
        }
    }
}

#[component]
pub fn PublishLog(log: RwSignal<Log<PublishLine>>) -> impl IntoView {
    let client = expect_context::<Client>();
    let lines = move || log.with(|log| log.iter().rev().cloned().collect::<Vec<_>>());
    view! {
        <div class="log-header">
            <h3 id="publish-log-heading">"Published"</h3>
            <button
                type="button"
                class="small"
                id="clear-publish-log"
                on:click=move |_| {
                    log.update(Log::clear);
                    client.clear_sent();
                }
            >
                "Clear"
            </button>
        </div>
        <ol id="publish-log" class="log" aria-labelledby="publish-log-heading">
            <For
                each=lines
                key=|(seq, _)| *seq
                children=move |(_, line)| view! { <PublishLogLine line /> }
            />
        </ol>
    }
}

#[component]
fn PublishLogLine(line: PublishLine) -> impl IntoView {
    let client = expect_context::<Client>();
    let id = line.id;
    // Searching from the newest: a line's message is near the end of the sent log.
    let outcome = move || {
        let id = id?;
        client.sent().with(|sent| {
            sent.iter()
                .rev()
                .find(|(_, entry)| entry.id == id)
                .map(|(_, entry)| entry.outcome.clone())
        })
    };
    let outcome_text = move || match outcome() {
        Some(Outcome::Pending) if client.status().with(Status::is_connected) => {
            "waiting for the broker".to_string()
        }
        Some(Outcome::Pending) => "queued: goes out once connected".to_string(),
        Some(Outcome::Received) => "received by the broker: completing".to_string(),
        Some(Outcome::Delivered) => "delivered".to_string(),
        Some(Outcome::Failed(reason)) => reason,
        Some(Outcome::Stored) => "stored in this browser: sent when you connect again to this \
                                  broker with this client id"
            .to_string(),
        None => String::new(),
    };
    let failed = id.is_none();
    view! {
        <li
            data-testid="publish-line"
            class:failed=move || failed || matches!(outcome(), Some(Outcome::Failed(_)))
        >
            <time>{time_of_day(line.at)}</time>
            <span class="text">{line.text}</span>
            <span class="outcome">{outcome_text}</span>
        </li>
    }
}
