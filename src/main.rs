//! Mounts the app into the page (built for the browser by `trunk build`).

#[cfg(target_arch = "wasm32")]
fn main() {
    use leptos::prelude::*;
    use wasm_mqtt::ui::App;
    leptos::mount::mount_to_body(|| view! { <App /> });
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("wasm-mqtt runs in a browser: build it with `trunk build` (see README.md).");
}
