//! A problem to fix, said in words where it happened: nothing while there is none.

use leptos::prelude::*;

#[component]
pub fn ProblemLine(
    #[prop(into)] problem: Signal<Option<String>>,
    testid: &'static str,
) -> impl IntoView {
    move || {
        problem.get().map(|problem| {
            view! {
                <p class="problem" role="alert" data-testid=testid>
                    {problem}
                </p>
            }
        })
    }
}
