//! Subscribing: a filter and a QoS, the subscriptions, the messages received.

use super::message_log::MessageLog;
use super::params::LaunchParams;
use super::problem_line::ProblemLine;
use super::qos_select::QosSelect;
use super::subscription_list::SubscriptionList;
use crate::Client;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use mqtt_engine::QoS;

/// What the subscribe form holds.
#[derive(Clone, Copy)]
pub struct SubscribeForm {
    pub filter: RwSignal<String>,
    pub qos: RwSignal<QoS>,
    pub problem: RwSignal<Option<String>>,
}

impl SubscribeForm {
    pub fn new(params: &LaunchParams) -> Self {
        Self {
            filter: RwSignal::new(params.filter.clone().unwrap_or("python/mqtt".into())),
            qos: RwSignal::new(params.qos.unwrap_or(QoS::AtMostOnce)),
            problem: RwSignal::new(None),
        }
    }

    pub fn subscribe(&self, client: Client) {
        let filter = self.filter.get_untracked();
        let result = client.subscribe(filter.trim(), self.qos.get_untracked());
        self.problem
            .set(result.err().map(|error| format!("Not subscribed: {error}")));
    }
}

#[component]
pub fn SubscribeView(form: SubscribeForm) -> impl IntoView {
    let client = expect_context::<Client>();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        form.subscribe(client);
    };
    view! {
        <section class="panel" aria-labelledby="subscribe-heading">
            <h2 id="subscribe-heading">"Subscribe"</h2>
            <form on:submit=on_submit novalidate>
                <div class="field wide">
                    <label for="filter">"Topic filter"</label>
                    <input id="filter" type="text" spellcheck="false" bind:value=form.filter />
                </div>
                <div class="field">
                    <QosSelect id="subscribe-qos" value=form.qos />
                </div>
                <div class="actions">
                    <button id="subscribe" type="submit" class="primary">
                        "Subscribe"
                    </button>
                </div>
                <ProblemLine problem=form.problem testid="subscribe-problem" />
            </form>
            <SubscriptionList />
            <MessageLog />
        </section>
    }
}
