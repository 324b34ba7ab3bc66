//! The messages received, newest first, in a box that scrolls through all those kept but holds
//! only the rows in view. Rows have one fixed height, the list is as tall as all of them, and
//! padding stands in for the rows above the view: however many messages are kept, a frame
//! redraws a few dozen rows. The box has a height of its own and `contain: strict`, so that
//! what changes in it never lays out the rest of the page (at 10k messages a second that took
//! most of each frame). Payloads are text nodes, never HTML.

use super::text::{qos_label, received_line};
use super::time_of_day;
use crate::log::Log;
use crate::Client;
use leptos::prelude::*;

/// A row's height in CSS pixels: the layout rests on it, so it is set here, not in the CSS.
const ROW_PX: usize = 28;
/// Rows the box shows at once.
const ROWS_IN_VIEW: usize = 14;
/// Rows made beyond each edge of the view, so that a short scroll finds them there.
const ROWS_BEYOND: usize = 3;

#[component]
pub fn ReceivedList() -> impl IntoView {
    let client = expect_context::<Client>();
    let received = client.received();
    let scroll_top = RwSignal::new(0);
    let first = move || (scroll_top.get() / ROW_PX).saturating_sub(ROWS_BEYOND);
    let rows = move || {
        let first = first();
        received.with(|log| {
            log.newest(first, ROWS_IN_VIEW + 2 * ROWS_BEYOND)
                .map(|(seq, message)| (*seq, message.clone()))
                .collect::<Vec<_>>()
        })
    };
    let kept = move || received.with(Log::len);
    let on_scroll = move |event: leptos::ev::Event| {
        let top = event_target::<web_sys::Element>(&event).scroll_top();
        scroll_top.set(usize::try_from(top).unwrap_or(0));
    };
    // Scrolled away from the newest, the view stays on the messages it shows while new ones
    // come in above them.
    let scroller = NodeRef::<leptos::html::Div>::new();
    let seen = StoredValue::new(received.with_untracked(Log::total));
    Effect::new(move || {
        let total = received.with(Log::total);
        let added = total.saturating_sub(seen.get_value()) as usize;
        seen.set_value(total);
        let top = scroll_top.get_untracked();
        let Some(scroller) = scroller.get_untracked().filter(|_| top > 0 && added > 0) else {
            return;
        };
        let moved = top.saturating_add(added.saturating_mul(ROW_PX));
        scroller.set_scroll_top(i32::try_from(moved).unwrap_or(i32::MAX));
        scroll_top.set(usize::try_from(scroller.scroll_top()).unwrap_or(0));
    });
    view! {
        <div
            node_ref=scroller
            id="received-log"
            class="log"
            style=move || {
                format!(
                    "--row:{ROW_PX}px;height:{}px;overflow-y:auto;contain:strict",
                    kept().min(ROWS_IN_VIEW) * ROW_PX,
                )
            }
            hidden=move || kept() == 0
            on:scroll=on_scroll
        >
            <ol
                class="rows"
                aria-labelledby="received-heading"
                style=move || {
                    format!(
                        "box-sizing:border-box;height:{}px;padding-top:{}px",
                        kept() * ROW_PX,
                        first() * ROW_PX,
                    )
                }
            >
                <For
                    each=rows
                    key=|(seq, _)| *seq
                    children=move |(_, message)| {
                        let line = received_line(&message.payload, &message.topic);
                        let title = line.clone();
                        view! {
                            <li data-testid="received-line">
                                <time>{time_of_day(message.at)}</time>
                                <span class="text" data-testid="received-text" title=title>
                                    {line}
                                </span>
                                <span class="badge">{qos_label(message.qos)}</span>
                                {message
                                    .retain
                                    .then(|| view! { <span class="badge">"retained"</span> })}
                            </li>
                        }
                    }
                />
            </ol>
        </div>
    }
}
