// The UI load workload of the browser bench (run.mjs, `--only ui,floor,floorw`): a page
// subscribed to a topic, while MQTT.js in node publishes 64-byte QoS 0 messages to it at a
// steady rate. The page is the app itself (its release build, as in dist/), or the frame floor:
// floor.html, which only counts the messages, its socket on the main thread or in a worker.
// What is measured:
// - the gaps between animation frames in the page while the messages arrive (ui-probe.js, put
//   into the page before its own script);
// - the main thread's CPU time meanwhile, and its parts in script, style and layout (the
//   Performance domain, in thread ticks: the only domain attached to during the feed);
// - the memory the page holds once they all came: the JS heap after a garbage collection
//   (HeapProfiler.collectGarbage, Runtime.getHeapUsage) and the app's wasm linear memory,
//   read over DevTools after the run (the page's only: not a worker's).
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servePages } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
/** Serves the pages of `dir` with the probe in each, and takes the probe's reports. */
function serveWithProbe(dir, onReport) {
  return servePages(dir, {
    onReport,
    pageHtml: (html) => html.replace('<head>', '<head><script src="/bench-ui-probe.js"></script>'),
    extra: { '/bench-ui-probe.js': readFileSync(join(here, 'ui-probe.js')) },
  });
}

/** Publishes `n` numbered messages of `size` bytes to `topic` at `rate` a second; resolves with
 *  the time it took. */
async function publishSteadily(mqtt, { broker, version, topic, n, size, rate }) {
  const client = mqtt.connect(broker, { protocolVersion: version, clientId: `bench-ui-publisher-${process.pid}`, reconnectPeriod: 0 });
  await new Promise((ok, fail) => { client.once('connect', ok); client.once('error', fail); });
  const start = performance.now();
  let sent = 0;
  await new Promise((done) => {
    const tick = setInterval(() => {
      const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000));
      while (sent < due) client.publish(topic, `messages: ${sent++}`.padEnd(size, '.'), { qos: 0 });
      if (sent >= n) {
        clearInterval(tick);
        done();
      }
    }, 5);
  });
  const ms = performance.now() - start;
  await new Promise((ok) => client.end(false, {}, ok));
  return ms;
}

/**
 * One run: the page, the feed, the figures. `send` is run.mjs's DevTools call (browser-level
 * socket, flat sessions); `mqtt` the MQTT.js module; `dir` the folder served, `page` the path of
 * the page in it and `pageQuery` its own parameters, beside the app's; `printProfile`, if given,
 * gets a CPU profile of the page's main thread while the messages arrive (attached with the
 * Profiler domain only).
 */
export async function runUiLoad({ send, mqtt, dir, page, pageQuery = {}, broker, version, rate, seconds, size, printProfile }) {
  const n = rate * seconds;
  const id = `ui-${process.pid}-${Date.now()}`;
  const topic = `bench/${id}`;
  const reports = new Map();
  const waiters = new Map();
  const { server, origin } = await serveWithProbe(resolve(dir), (report) => {
    if (report.id !== id) return;
    reports.set(report.phase, report);
    waiters.get(report.phase)?.(report);
  });
  const reportOf = (phase, limitMs) => reports.get(phase) ?? new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no '${phase}' from the page after ${limitMs / 1000} s`)), limitMs);
    waiters.set(phase, (report) => { clearTimeout(timer); ok(report); });
  });
  const query = new URLSearchParams({
    broker, version: version === 5 ? '5' : '3.1.1', filter: topic, connect: '1', subscribe: '1',
    bench_id: id, bench_n: String(n), ...pageQuery,
  });
  const { targetId } = await send('Target.createTarget', { url: `${origin}${page}?${query}` });
  try {
    await reportOf('ready', 20_000);
    // Attached with the Performance domain only (no event for every frame or message): the
    // main thread's CPU time, and the part of it in script, style and layout, over the feed.
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    await send('Performance.enable', { timeDomain: 'threadTicks' }, sessionId);
    const metrics = async () => Object.fromEntries(
      (await send('Performance.getMetrics', {}, sessionId)).metrics.map(({ name, value }) => [name, value]),
    );
    const before = await metrics();
    if (printProfile) {
      await send('Profiler.enable', {}, sessionId);
      await send('Profiler.setSamplingInterval', { interval: 200 }, sessionId);
      await send('Profiler.start', {}, sessionId);
    }
    const publishMs = await publishSteadily(mqtt, { broker, version, topic, n, size, rate });
    const done = await reportOf('done', 60_000);
    const after = await metrics();
    const busy = (name) => after[name] - before[name];
    if (printProfile) printProfile((await send('Profiler.stop', {}, sessionId)).profile);
    await send('HeapProfiler.collectGarbage', {}, sessionId);
    const heap = await send('Runtime.getHeapUsage', {}, sessionId);
    const { result } = await send('Runtime.evaluate', { expression: 'benchWasmBytes()', returnByValue: true }, sessionId);
    return {
      ...done, n, rate, seconds, size, publishMs, heapUsed: heap.usedSize,
      // Absent from a page without wasm.
      wasmBytes: result.value >= 0 ? result.value : undefined,
      // Seconds of CPU time (thread ticks) between 'ready' and 'done'.
      cpu: { thread: busy('ThreadTime'), script: busy('ScriptDuration'), style: busy('RecalcStyleDuration'), layout: busy('LayoutDuration'), span: busy('Timestamp') },
    };
  } finally {
    await send('Target.closeTarget', { targetId }).catch(() => {});
    server.close();
  }
}
