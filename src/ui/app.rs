//! The app: the client (given to every component through the context), the forms, and the
//! page's link driving them.

use super::connection_panel::{ConnectionForm, ConnectionPanel};
use super::counter::Counter;
use super::error_list::ErrorList;
use super::params::LaunchParams;
use super::publish_view::PublishView;
use super::share_link::ShareLink;
use super::subscribe_view::{SubscribeForm, SubscribeView};
use crate::Client;
use leptos::prelude::*;
use mqtt_client::Status;

/// The whole app. `query` stands in for the page's own query string (tests mount it with one).
#[component]
pub fn App(#[prop(optional, into)] query: Option<String>) -> impl IntoView {
    let query = query.unwrap_or_else(page_query);
    let params = LaunchParams::from_query(&query);
    let client = Client::new();
    // The components below take the client from the context.
    provide_context(client);
    let form = ConnectionForm::new(&params);
    let counter = Counter::new(client, &params);
    let subscribe = SubscribeForm::new(&params);
    let link_problems = RwSignal::new(params.problems.clone());

    if params.subscribe || params.publish {
        let (subscribe_on_connect, publish_on_connect) = (params.subscribe, params.publish);
        let (subscribed, counter_started) = (StoredValue::new(false), StoredValue::new(false));
        Effect::new(move |_| {
            if !client.status().with(Status::is_connected) {
                return;
            }
            // Once: the session subscribes again by itself after a reconnect that finds the
            // broker's session gone.
            if subscribe_on_connect && !subscribed.get_value() {
                subscribed.set_value(true);
                let filter = subscribe.filter.get_untracked();
                let listed = (client.subscriptions())
                    .with_untracked(|list| list.iter().any(|s| s.filter == filter.trim()));
                if !listed {
                    subscribe.subscribe(client);
                }
            }
            if publish_on_connect && !counter_started.get_value() {
                counter_started.set_value(true);
                counter.start();
            }
        });
    }
    let connect_now = params.connect;
    form.take_up_a_stored_queue(client, &params, move || {
        if connect_now {
            form.connect(client);
        }
    });

    view! {
        <header class="top">
            <h1>"MQTT in the browser"</h1>
            <p class="hint">
                "The Python tutorial's pub.py and sub.py, over MQTT 3.1.1 or 5.0 on a WebSocket."
            </p>
        </header>
        <ErrorList link_problems />
        <main class="panels">
            <ConnectionPanel form />
            <PublishView counter />
            <SubscribeView form=subscribe />
        </main>
        <footer>
            <ShareLink form counter subscribe />
        </footer>
    }
}

fn page_query() -> String {
    web_sys::window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default()
}
