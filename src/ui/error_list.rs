//! Errors that belong to no one form: refused messages and subscriptions, problems with the
//! page's link.

use super::time_of_day;
use crate::Client;
use leptos::prelude::*;

#[component]
pub fn ErrorList(link_problems: RwSignal<Vec<String>>) -> impl IntoView {
    let client = expect_context::<Client>();
    let errors = client.errors();
    let lines = move || {
        let mut lines: Vec<(String, String)> = link_problems
            .get()
            .into_iter()
            .map(|text| (String::new(), text))
            .collect();
        errors.with(|log| {
            lines.extend(
                log.iter()
                    .rev()
                    .take(10)
                    .map(|(_, notice)| (time_of_day(notice.at), notice.text.clone())),
            )
        });
        lines
    };
    let dismiss = move |_| {
        client.clear_errors();
        link_problems.set(Vec::new());
    };
    view! {
        <Show when=move || !lines().is_empty()>
            <section class="errors" role="alert" data-testid="errors" aria-label="Errors">
                <ul>
                    {move || {
                        lines()
                            .into_iter()
                            .map(|(time, text)| {
                                view! {
                                    <li>
                                        <time>{time}</time>
                                        <span class="text">{text}</span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <button type="button" class="small" id="dismiss-errors" on:click=dismiss>
                    "Dismiss"
                </button>
            </section>
        </Show>
    }
}
