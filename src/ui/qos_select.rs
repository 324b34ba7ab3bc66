//! A labelled QoS picker bound to a signal.

use super::text::qos_label;
use crate::ui::params::parse_qos;
use leptos::prelude::*;
use mqtt_engine::QoS;

#[component]
pub fn QosSelect(id: &'static str, value: RwSignal<QoS>) -> impl IntoView {
    let option = move |qos: QoS| {
        let number = (qos as u8).to_string();
        view! {
            <option value=number.clone() selected=move || value.get() == qos>
                {qos_label(qos)}
            </option>
        }
    };
    view! {
        <label for=id>"QoS"</label>
        <select
            id=id
            prop:value=move || (value.get() as u8).to_string()
            on:change=move |event| {
                if let Some(qos) = parse_qos(&event_target_value(&event)) {
                    value.set(qos);
                }
            }
        >
            {option(QoS::AtMostOnce)}
            {option(QoS::AtLeastOnce)}
            {option(QoS::ExactlyOnce)}
        </select>
    }
}
