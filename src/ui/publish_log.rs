//! What was published, as the tutorial's pub.py prints it, with what became of each message:
//! the client's own log of sent messages, refusals included.

use super::text::{failed_line, sent_line};
use super::time_of_day;
use crate::log::Log;
use crate::Client;
use bytes::Bytes;
use leptos::prelude::*;
use mqtt_client::{Outcome, Sent, Status};

#[component]
pub fn PublishLog() -> impl IntoView {
    let client = expect_context::<Client>();
    let lines = move || (client.sent()).with(|log| log.iter().rev().cloned().collect::<Vec<_>>());
    view! {
        <div class="log-header">
            <h3 id="publish-log-heading">"Published"</h3>
            <button
                type="button"
                class="small"
                id="clear-publish-log"
                on:click=move |_| client.clear_sent()
            >
                "Clear"
            </button>
        </div>
        <ol id="publish-log" class="log" aria-labelledby="publish-log-heading">
            <For
                each=lines
                key=|(seq, _)| *seq
                children=move |(seq, sent)| view! { <PublishLogLine seq sent /> }
            />
        </ol>
    }
}

/// One message: "Send ..." while it goes, or "Failed to send ..." once refused, as pub.py
/// prints them, and what became of it.
#[component]
fn PublishLogLine(seq: u64, sent: Sent) -> impl IntoView {
    let client = expect_context::<Client>();
    // Searching from the newest: a line's entry is near the end of the log.
    let outcome = move || {
        client.sent().with(|log: &Log<Sent>| {
            (log.iter().rev())
                .find(|(entry_seq, _)| *entry_seq == seq)
                .map(|(_, entry)| entry.outcome.clone())
        })
    };
    let Sent {
        at, topic, payload, ..
    } = sent;
    let text = move || line_text(&outcome(), &topic, &payload);
    let outcome_text = move || match outcome() {
        Some(Outcome::Pending) if client.status().with(Status::is_connected) => {
            "waiting for the broker".to_string()
        }
        Some(Outcome::Pending) => "queued: goes out once connected".to_string(),
        Some(Outcome::Received) => "received by the broker: completing".to_string(),
        Some(Outcome::Delivered) => "delivered".to_string(),
        Some(Outcome::Stored) => "stored in this browser: sent when you connect again to this \
                                  broker with this client id"
            .to_string(),
        Some(Outcome::Failed(_)) | None => String::new(),
    };
    view! {
        <li data-testid="publish-line" class:failed=move || matches!(outcome(), Some(Outcome::Failed(_)))>
            <time>{time_of_day(at)}</time>
            <span class="text">{text}</span>
            <span class="outcome">{outcome_text}</span>
        </li>
    }
}

fn line_text(outcome: &Option<Outcome>, topic: &str, payload: &Bytes) -> String {
    match outcome {
        Some(Outcome::Failed(reason)) => failed_line(topic, reason),
        _ => sent_line(payload, topic),
    }
}
