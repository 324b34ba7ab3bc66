//! Mounts the app into the page (built for the browser by `trunk build`).

use leptos::prelude::*;
use wasm_mqtt::ui::App;

fn main() {
    leptos::mount::mount_to_body(|| view! { <App /> });
}
