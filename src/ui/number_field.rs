//! A labelled field for a whole number, bound to the text the user typed (the form checks it
//! when it is used, and says what is wrong).

use leptos::prelude::*;

#[component]
pub fn NumberField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] max: Option<&'static str>,
    #[prop(optional, into)] disabled: MaybeProp<bool>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="number"
                min="0"
                max=max
                disabled=move || disabled.get().unwrap_or(false)
                bind:value=value
            />
        </div>
    }
}
