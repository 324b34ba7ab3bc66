// Starts the worker that runs the connections at once, so that it loads while the page's own
// wasm does; the page takes it up (src/worker_link.rs). Loaded by index.html before the page's
// script.
window.mqttWorker = new Worker(new URL("mqtt-worker_loader.js", document.baseURI), {
  type: "module",
});
