// Starts the worker that runs the page's connections (src/worker.rs, built by Trunk as
// mqtt-worker.js and mqtt-worker_bg.wasm beside this file). What the page posts while the wasm
// loads is kept, and handed to the worker's own handler once it is set.
const early = [];
self.onmessage = (event) => early.push(event);
import init from "./mqtt-worker.js";
await init();
for (const event of early) self.onmessage(event);
