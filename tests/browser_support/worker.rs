//! The tests' worker: the test's own wasm module, started in a module worker from a Blob,
//! running the same `mqtt_client::worker::run` as the app's worker bundle (src/worker.rs).
//! Tests make their clients with [`new_client`] (and mount the app after
//! [`use_the_test_worker`]), so that every client uses it.

use wasm_bindgen::prelude::*;
use wasm_mqtt::Client;
use web_sys::Worker;

#[wasm_bindgen(inline_js = r#"
// This snippet is served at <root>/snippets/<crate>-<hash>/inline0.js, the test's glue
// (wasm-bindgen --target web) at <root>/wasm-bindgen-test.js.
export function glue_url() {
  return new URL("../../wasm-bindgen-test.js", import.meta.url).href;
}
// The worker takes the page's compiled module first, and a port on which the tests run code
// in the worker (`in_the_worker`); what the page posts before the entry has set its own handler
// is kept and handed over.
export function spawn_same_module(glue, module, entry) {
  const bootstrap = `
    import init, * as glue from ${JSON.stringify(glue)};
    const early = [];
    self.onmessage = async (first) => {
      self.onmessage = (event) => early.push(event);
      const [module, tests] = first.data;
      tests.onmessage = (event) => tests.postMessage(String((0, eval)(event.data)));
      await init({ module_or_path: module });
      glue[${JSON.stringify(entry)}]();
      for (const event of early) self.onmessage(event);
    };
  `;
  const url = URL.createObjectURL(new Blob([bootstrap], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  const tests = new MessageChannel();
  globalThis.mqttTestWorker = tests.port1;
  worker.postMessage([module, tests.port2], [tests.port2]);
  return worker;
}
// Runs `code` in the test worker; resolves with what it gave, as text.
export function in_the_worker(code) {
  const port = globalThis.mqttTestWorker;
  return new Promise((answer) => {
    port.onmessage = (event) => answer(event.data);
    port.postMessage(code);
  });
}
"#)]
extern "C" {
    fn glue_url() -> String;
    #[wasm_bindgen(js_name = in_the_worker)]
    fn run_in_the_worker(code: &str) -> js_sys::Promise;
    #[wasm_bindgen(catch)]
    fn spawn_same_module(glue: &str, module: &JsValue, entry: &str) -> Result<Worker, JsValue>;
}

/// The worker's entry in the test's module.
#[wasm_bindgen]
pub fn mqtt_worker_main() {
    mqtt_client::worker::run();
}

fn spawn_test_worker() -> Result<Worker, JsValue> {
    spawn_same_module(&glue_url(), &wasm_bindgen::module(), "mqtt_worker_main")
}

/// Runs JavaScript `code` in the test worker (its global scope), and gives what it gave, as text.
pub async fn in_the_worker(code: &str) -> String {
    let answer = wasm_bindgen_futures::JsFuture::from(run_in_the_worker(code)).await;
    answer
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

/// Has the clients made from now on use the test's worker.
pub fn use_the_test_worker() {
    wasm_mqtt::worker_link::set_spawn(spawn_test_worker);
}

/// A client on the test's worker.
pub fn new_client() -> Client {
    use_the_test_worker();
    Client::new()
}
