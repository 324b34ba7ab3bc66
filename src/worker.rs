//! The worker's program (built by Trunk as a second bundle, beside the page's): it runs every
//! connection of the page, off the page's main thread.

fn main() {
    mqtt_client::worker::run();
}
