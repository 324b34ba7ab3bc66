//! The subscriptions: each with the QoS granted, or why the broker refused it.

use super::text::qos_label;
use crate::Client;
use leptos::prelude::*;
use mqtt_client::{Status, SubState, Subscription};

#[component]
pub fn SubscriptionList() -> impl IntoView {
    let client = expect_context::<Client>();
    let subscriptions = client.subscriptions();
    let connected = move || client.status().with(Status::is_connected);
    view! {
        <h3 id="subscriptions-heading">"Subscriptions"</h3>
        <Show
            when=move || subscriptions.with(|list| !list.is_empty())
            fallback=|| view! { <p class="hint" data-testid="no-subscriptions">"None yet."</p> }
        >
            <ul id="subscriptions" class="subscriptions" aria-labelledby="subscriptions-heading">
                <For
                    each=move || subscriptions.get()
                    key=|subscription| (subscription.filter.clone(), state_text(subscription))
                    children=move |subscription: Subscription| {
                        let filter = subscription.filter.clone();
                        let unsubscribe = {
                            let filter = filter.clone();
                            move |_| {
                                let _ = client.unsubscribe(&filter);
                            }
                        };
                        let state = state_text(&subscription);
                        let refused = matches!(subscription.state, SubState::Refused(_));
                        let granted = matches!(subscription.state, SubState::Granted(_));
                        view! {
                            <li data-testid="subscription" data-filter=filter.clone() class:failed=refused>
                                <code class="filter">{filter.clone()}</code>
                                <span class="state" data-testid="subscription-state">{state}</span>
                                <button
                                    type="button"
                                    class="small"
                                    data-testid="unsubscribe"
                                    aria-label=format!("Unsubscribe from {filter}")
                                    disabled=move || !(granted && connected())
                                    on:click=unsubscribe
                                >
                                    "Unsubscribe"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </Show>
    }
}

fn state_text(subscription: &Subscription) -> String {
    match &subscription.state {
        SubState::Pending(_) => format!("asked for {}…", qos_label(subscription.qos)),
        SubState::Granted(qos) => format!("granted {}", qos_label(*qos)),
        SubState::Refused(reason) => format!("refused: {reason}"),
        SubState::Unsubscribing(_) => "unsubscribing…".to_string(),
    }
}
