//! Publish one message: topic, payload, QoS, retain.

use super::problem_line::ProblemLine;
use super::qos_select::QosSelect;
use crate::Client;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use mqtt_client::Outcome;
use mqtt_engine::{Message, PublishId, QoS};

#[component]
pub fn PublishForm(topic: String) -> impl IntoView {
    let client = expect_context::<Client>();
    let topic = RwSignal::new(topic);
    let payload = RwSignal::new(String::from("hello from the browser"));
    let qos = RwSignal::new(QoS::AtMostOnce);
    let retain = RwSignal::new(false);
    // What the page refused at once; what the session refused is the last message's outcome.
    let refused = RwSignal::new(None::<String>);
    let last = RwSignal::new(None::<PublishId>);
    let problem = Signal::derive(move || {
        refused.get().or_else(|| {
            let id = last.get()?;
            client.sent().with(|sent| {
                match &sent.iter().rev().find(|(_, s)| s.id == id)?.1.outcome {
                    Outcome::Failed(reason) => Some(format!("Not published: {reason}")),
                    _ => None,
                }
            })
        })
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let mut message = Message::new(
            topic.get_untracked(),
            payload.get_untracked(),
            qos.get_untracked(),
        );
        message.retain = retain.get_untracked();
        match client.publish(message) {
            Ok(id) => {
                refused.set(None);
                last.set(Some(id));
            }
            Err(error) => refused.set(Some(format!("Not published: {error}"))),
        }
    };
    view! {
        <form
            class="publish-form"
            on:submit=on_submit
            novalidate
            aria-labelledby="message-heading"
        >
            <h3 id="message-heading">"One message"</h3>
            <div class="field wide">
                <label for="message-topic">"Topic"</label>
                <input id="message-topic" type="text" spellcheck="false" bind:value=topic />
            </div>
            <div class="field wide">
                <label for="message-payload">"Payload"</label>
                <textarea id="message-payload" rows="2" bind:value=payload></textarea>
            </div>
            <div class="field">
                <QosSelect id="message-qos" value=qos />
            </div>
            <div class="field check">
                <input id="message-retain" type="checkbox" bind:checked=retain />
                <label for="message-retain">"Retain"</label>
            </div>
            <div class="actions">
                <button id="message-publish" type="submit" class="primary">
                    "Publish"
                </button>
            </div>
            <ProblemLine problem testid="publish-problem" />
        </form>
    }
}
