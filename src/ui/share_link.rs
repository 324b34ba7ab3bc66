//! A link to this page with the current settings, which connects and subscribes when opened.

use super::connection_panel::ConnectionForm;
use super::counter::Counter;
use super::params::ShareSettings;
use super::subscribe_view::SubscribeForm;
use leptos::prelude::*;

#[component]
pub fn ShareLink(
    form: ConnectionForm,
    counter: Counter,
    subscribe: SubscribeForm,
) -> impl IntoView {
    let url = move || {
        let base = web_sys::window()
            .and_then(|window| {
                let location = window.location();
                Some(format!(
                    "{}{}",
                    location.origin().ok()?,
                    location.pathname().ok()?
                ))
            })
            .unwrap_or_default();
        let broker = form.broker.get();
        let username = form.username.get();
        let topic = counter.topic.get();
        let filter = subscribe.filter.get();
        let settings = ShareSettings {
            broker: &broker,
            username: &username,
            version: form.version.get(),
            topic: &topic,
            filter: &filter,
            qos: subscribe.qos.get(),
            interval_ms: counter.period.get().trim().parse().unwrap_or(1_000),
        };
        format!("{base}{}", settings.query())
    };
    view! {
        <div class="share">
            <label for="share-link">"Link to these settings (connects and subscribes on open)"</label>
            <div class="with-button">
                <input
                    id="share-link"
                    type="text"
                    readonly
                    prop:value=url
                    on:focus=move |event| {
                        use wasm_bindgen::JsCast;
                        if let Some(input) = event
                            .target()
                            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
                        {
                            input.select();
                        }
                    }
                />
                <a class="button" href=url>
                    "Open"
                </a>
            </div>
        </div>
    }
}
