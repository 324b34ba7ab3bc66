// The browser bench: our client against MQTT.js 5 and a raw WebSocket pump, in the same headless
// Chromium, against the same Mosquitto; then the app's page under a steady feed, beside the
// frame floor (bare pages that only count the messages). Started by scripts/bench (`make
// bench`), which builds the pages and starts the broker.
//
//   node benches/browser/run.mjs --broker ws://127.0.0.1:PORT/mqtt --dist target/bench-dist \
//        [--app-dist DIR] [--runs 3] [--only q0,load,ui,floor,floorw] [--ui-rates 10000,20000]
//        [--quick] [--out docs/bench.md]
//
// The floor (floor, floorw) needs no build: its pages are served from this folder.
//
// How it measures (see /work/shared/NOTES-brokers.md): Chromium is started here with a DevTools
// port; each run is a fresh page created over the browser-level DevTools socket
// (Target.createTarget) and never attached to, since an attached client that hears of every
// WebSocket frame cuts throughput 2-3 times. The page runs the workload its query string names
// and POSTs its result to the server here. Pages are served with `Cache-Control: no-store`, so
// every load is cold. Each workload runs `--runs` times per client, the clients interleaved (their
// order rotates from run to run); the table holds medians.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { startReflector } from './reflector.mjs';
import { runUiLoad } from './ui-load.mjs';
import { servePages } from './serve.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'scripts/package.json'));
const WebSocket = require('ws');

// ---- arguments
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const flag = (name) => args.includes(`--${name}`);
const broker = option('broker');
if (!broker) {
  console.error('usage: run.mjs --broker ws://127.0.0.1:PORT/mqtt --dist DIR [--app-dist DIR] [--runs N] [--only a,b] [--ui-rates R,R] [--quick] [--out FILE]');
  process.exit(2);
}
const distDir = resolve(option('dist', join(root, 'target/bench-dist')));
const appDist = option('app-dist') && resolve(option('app-dist'));
const runs = Number(option('runs', 3));
// Page loads are cheap and noisy (Mosquitto takes new WebSocket connections once per pass of its
// loop): more of them.
const loadRuns = Number(option('load-runs', Math.max(runs, 9)));
const only = option('only')?.split(',');
const quick = flag('quick');
const version = Number(option('mqtt', 4));
const out = option('out') && resolve(option('out'));
const chromiumPath = option('chromium', '/usr/bin/chromium');
// --profile ours,client:q0w — sample the main thread of those runs (distorts them a little).
const profile = option('profile')?.split(',');
const profileTop = Number(option('profile-top', 25));
// --profile-out DIR: each profile also written there whole, for DevTools' Performance panel.
const profileOut = option('profile-out') && resolve(option('profile-out'));
const started = Date.now();

// ---- the workloads: one client publishes n messages to a topic it subscribes to; and a page
// under a steady feed at each of `--ui-rates` (ui-load.mjs): the app's, which needs --app-dist,
// and the frame floor, a bare page that only counts the messages (floor.html, served from here),
// its socket on the main thread or in a worker
const scale = quick ? 10 : 1;
const uiRates = option('ui-rates', '10000,20000').split(',').map(Number);
const uiFeed = { ui: true, seconds: 10, size: 64 };
const here = dirname(fileURLToPath(import.meta.url));
const workloads = [
  { key: 'q0', name: 'QoS 0, 64 B, all at once', qos: 0, n: 100_000, size: 64, window: 0 },
  { key: 'q0w', name: 'QoS 0, 64 B, window 1000', qos: 0, n: 100_000, size: 64, window: 1000 },
  { key: 'q1', name: 'QoS 1, 64 B, all at once', qos: 1, n: 10_000, size: 64, window: 0 },
  { key: 'q1w', name: 'QoS 1, 64 B, window 1000', qos: 1, n: 10_000, size: 64, window: 1000 },
  { key: 'q2', name: 'QoS 2, 64 B, all at once', qos: 2, n: 10_000, size: 64, window: 0 },
  { key: 'q2w', name: 'QoS 2, 64 B, window 1000', qos: 2, n: 10_000, size: 64, window: 1000 },
  { key: '1k', name: 'QoS 0, 1 KB, all at once', qos: 0, n: 20_000, size: 1024, window: 0 },
  // Through benches/browser/reflector.mjs: Mosquitto's WebSocket listener stalls on 64 KB packets.
  { key: '64k', name: 'QoS 0, 64 KB, all at once (reflector)', qos: 0, n: 1_000, size: 65_536, window: 0, reflector: true },
  { key: 'load', name: 'page load → CONNACK', load: true },
  { key: 'ui', name: 'the app', ...uiFeed, dir: appDist, page: '/' },
  { key: 'floor', name: 'UI floor: bare page, socket on main thread', ...uiFeed, dir: here, page: '/floor.html', pageQuery: { socket: 'main' } },
  { key: 'floorw', name: 'UI floor: bare page, socket in a worker', ...uiFeed, dir: here, page: '/floor.html', pageQuery: { socket: 'worker' } },
].filter((w) => !only || only.includes(w.key))
  .map((w) => (w.ui ? { ...w, seconds: Math.max(1, w.seconds / scale) } : w))
  .map((w) => (w.load || w.ui ? w : { ...w, n: Math.max(100, Math.round(w.n / scale)) }));
const roundTrips = workloads.filter((w) => !w.ui);
const uiWorkloads = workloads.filter((w) => w.ui);

const allClients = [
  { key: 'raw', name: 'raw pump', page: '/raw.html', qos0Only: true },
  { key: 'mqttjs', name: 'MQTT.js 5.16', page: '/mqttjs.html' },
  { key: 'ours', name: 'ours: Session loop', page: '/index.html' },
  { key: 'client', name: 'ours: wasm_mqtt::Client', page: '/client/index.html' },
  // Not in the table by default (--clients): the raw pump with everything in one send; the
  // Session loop with each turn's send put off to a later task (page.rs, the experiment).
  { key: 'raw1', name: 'raw, one send', page: '/raw.html', query: { batch: '0' }, qos0Only: true },
  { key: 'later', name: 'Session loop, send in a later task', page: '/index.html', query: { flush: 'task' } },
];
const clientKeys = option('clients', 'raw,mqttjs,ours,client').split(',');
const clients = allClients.filter((c) => clientKeys.includes(c.key));

// ---- the server: the pages, and the results they post
const waiting = new Map(); // run id -> resolve
const { server, origin } = await servePages(distDir, {
  onReport: (result) => waiting.get(result.id)?.(result),
});

// The reflector for the large-payload workload, in this process.
const reflector = workloads.some((w) => w.reflector) ? await startReflector() : null;

// ---- Chromium, driven over its browser-level DevTools socket
const profileDir = mkdtempSync(join(tmpdir(), 'bench-chromium-'));
const chromium = spawn(chromiumPath, [
  '--headless',
  '--remote-debugging-port=0',
  `--user-data-dir=${profileDir}`,
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  // A page made with Target.createTarget is never in the foreground: keep its timers and
  // priority as a visible tab's.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--no-first-run',
  '--no-default-browser-check',
  'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });
function cleanup() {
  if (chromium.exitCode === null) chromium.kill('SIGKILL');
  try { rmSync(profileDir, { recursive: true, force: true }); } catch {}
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const devtoolsUrl = await new Promise((ok, fail) => {
  let text = '';
  const timer = setTimeout(() => fail(new Error(`Chromium did not start:\n${text}`)), 20_000);
  chromium.stderr.on('data', (chunk) => {
    text += chunk;
    const found = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (found) {
      clearTimeout(timer);
      ok(found[1]);
    }
  });
  chromium.on('exit', (code) => fail(new Error(`Chromium exited (${code}):\n${text}`)));
});
const cdp = new WebSocket(devtoolsUrl, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
await new Promise((ok, fail) => { cdp.once('open', ok); cdp.once('error', fail); });
let nextId = 1;
const calls = new Map();
cdp.on('message', (data) => {
  const message = JSON.parse(data);
  const call = calls.get(message.id);
  if (!call) return;
  calls.delete(message.id);
  if (message.error) call.fail(new Error(`${call.method}: ${message.error.message}`));
  else call.ok(message.result);
});
// Chromium gone: fail what waits on it rather than hang.
cdp.on('close', () => {
  for (const call of calls.values()) call.fail(new Error('the DevTools socket closed'));
  calls.clear();
});
chromium.on('exit', (code) => {
  console.error(`Chromium exited (${code}) during the bench`);
  process.exit(1);
});
function send(method, params = {}, sessionId = undefined) {
  const id = nextId++;
  cdp.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
  return new Promise((ok, fail) => calls.set(id, { ok, fail, method }));
}
const browserVersion = (await send('Browser.getVersion')).product;

// ---- one run: a fresh page, its result, the page closed
let runNumber = 0;
async function runOnce(client, workload) {
  const id = `${client.key}-${workload.key}-${++runNumber}-${process.pid}`;
  const query = new URLSearchParams({ broker: workload.reflector ? reflector.url : broker, id, v: String(version), ...client.query });
  if (workload.load) query.set('w', 'load');
  else for (const key of ['qos', 'n', 'size', 'window']) query.set(key, String(workload[key]));
  const limit = workload.load ? 15_000 : 30_000 + workload.n * workload.size / 20_000 + workload.n;
  const result = new Promise((ok) => {
    const timer = setTimeout(() => ok({ error: `no result after ${Math.round(limit / 1000)} s` }), limit);
    waiting.set(id, (value) => { clearTimeout(timer); ok(value); });
  });
  const { targetId } = await send('Target.createTarget', { url: `${origin}${client.page}?${query}` });
  // --profile: attach to this page (only the Profiler domain: the distortion of an attached
  // client comes from the Network domain's report of every frame) and sample its main thread.
  const profiling = profile && (profile.includes(client.key) || profile.includes(`${client.key}:${workload.key}`));
  let sessionId;
  if (profiling) {
    ({ sessionId } = await send('Target.attachToTarget', { targetId, flatten: true }));
    await send('Profiler.enable', {}, sessionId);
    await send('Profiler.setSamplingInterval', { interval: 200 }, sessionId);
    await send('Profiler.start', {}, sessionId);
  }
  const value = await result;
  waiting.delete(id);
  if (profiling) {
    const { profile: cpu } = await send('Profiler.stop', {}, sessionId);
    printProfile(`${client.name}, ${workload.name}`, cpu);
    if (profileOut) writeFileSync(join(profileOut, `${client.key}-${workload.key}.cpuprofile`), JSON.stringify(cpu));
  }
  await send('Target.closeTarget', { targetId }).catch(() => {});
  if (value.error) return { error: value.error };
  if (workload.load) return { value: value.connackMs, main: value.mainMs, open: value.openMs };
  return { value: workload.n / (value.ms / 1000), ms: value.ms };
}

/** The functions that took the most samples themselves, and the share of each. */
function printProfile(title, cpu) {
  const self = new Map();
  let total = 0;
  for (const node of cpu.nodes) {
    const frame = node.callFrame;
    const where = frame.url ? `${frame.url.split('/').pop().split('?')[0]}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(name, (self.get(name) ?? 0) + (node.hitCount ?? 0));
    total += node.hitCount ?? 0;
  }
  const idle = self.get('(idle)') ?? 0;
  console.log(`  profile: ${title}: ${total} samples, ${((100 * idle) / total).toFixed(0)} % idle; busy time by function (self):`);
  for (const [name, hits] of [...self].filter(([n]) => n !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, profileTop)) {
    console.log(`    ${((100 * hits) / (total - idle)).toFixed(1).padStart(5)} %  ${name}`);
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// ---- the bench
const results = {}; // workload key -> client key -> [values]
const loadParts = {}; // client key -> { main: [], open: [] }
const errors = [];
const loadBefore = loadavg()[0].toFixed(2);
console.log(`${browserVersion}, Mosquitto at ${broker}, MQTT ${version === 5 ? '5.0' : '3.1.1'}, ` +
  `${runs} runs per client (${loadRuns} for load)${quick ? ', quick: N / 10' : ''}`);
for (const workload of roundTrips) {
  const taking = clients.filter((c) => !(c.qos0Only && workload.qos > 0));
  results[workload.key] = Object.fromEntries(taking.map((c) => [c.key, []]));
  const count = workload.load ? loadRuns : runs;
  for (let run = 0; run < count; run++) {
    // Interleaved, and the order rotates so that no client always goes first.
    const order = taking.map((_, i) => taking[(i + run) % taking.length]);
    for (const client of order) {
      const outcome = await runOnce(client, workload);
      if (outcome.error) {
        errors.push(`${workload.name}, ${client.name}: ${outcome.error}`);
        console.log(`  ${workload.name} | ${client.name}: FAILED ${outcome.error}`);
      } else {
        results[workload.key][client.key].push(outcome.value);
        if (workload.load) {
          loadParts[client.key] ??= { main: [], open: [] };
          loadParts[client.key].main.push(outcome.main);
          loadParts[client.key].open.push(outcome.open);
        }
        const shown = workload.load ? `${outcome.value.toFixed(0)} ms` : `${Math.round(outcome.value)} msg/s`;
        console.log(`  ${workload.name} | ${client.name}: ${shown}`);
      }
    }
  }
}

// ---- the pages under load: `runs` runs of each page at each rate, the pages interleaved (their
// order rotates from run to run); the figures of each are those of its run with the median p95
const uiResults = uiRates.flatMap((rate) => uiWorkloads.map((workload) => ({ workload, rate, runs: [] })));
const uiLabel = ({ workload, rate }) => `UI under load, ${workload.name}, ${rate.toLocaleString('en')} msg/s`;
for (const workload of uiWorkloads.filter((w) => !w.dir)) errors.push(`UI under load, ${workload.name}: needs --app-dist`);
for (let run = 0; run < runs; run++) {
  for (const rate of uiRates) {
    const taking = uiResults.filter((r) => r.rate === rate && r.workload.dir);
    for (const result of taking.map((_, i) => taking[(i + run) % taking.length])) {
      const label = uiLabel(result);
      try {
        const printUiProfile = profile?.includes(result.workload.key) ? (cpu) => printProfile(label, cpu) : undefined;
        const outcome = await runUiLoad({ send, mqtt: require('mqtt'), broker, version, ...result.workload, rate, printProfile: printUiProfile });
        result.runs.push(outcome);
        console.log(`  ${label}: frame gap p95 ${outcome.p95.toFixed(1)} ms, ${outcome.received} messages in ${(outcome.ms / 1000).toFixed(1)} s`);
      } catch (error) {
        errors.push(`${label}: ${error.message}`);
        console.log(`  ${label}: FAILED ${error.message}`);
      }
    }
  }
}
const medianRun = (done) => [...done].sort((a, b) => a.p95 - b.p95)[(done.length - 1) >> 1];
const uiMeasured = uiResults.filter((r) => r.runs.length).map((r) => ({ ...r, ui: medianRun(r.runs) }));

// ---- the table
const fmtRate = (v) => (v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v >= 1000 ? `${(v / 1000).toFixed(2)}k` : v.toFixed(0));
const fmtMs = (v) => (v === undefined ? '—' : `${v.toFixed(0)} ms`);
const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);
const diff = (a, b) => (a === undefined || b === undefined ? '—' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(0)} ms`);
const header = ['workload', ...clients.map((c) => c.name), 'Session / MQTT.js', 'Session / raw', 'Client / MQTT.js', 'Client / raw'];
const rows = [];
const medians = {};
for (const workload of roundTrips) {
  const m = Object.fromEntries(Object.entries(results[workload.key]).map(([k, v]) => [k, v.length ? median(v) : undefined]));
  medians[workload.key] = m;
  const label = workload.load ? workload.name : `${workload.name}, N=${workload.n.toLocaleString('en')}`;
  if (workload.load) {
    // Lower is better: the ratios are differences here.
    rows.push([label, ...clients.map((c) => fmtMs(m[c.key])), diff(m.ours, m.mqttjs), diff(m.ours, m.raw), diff(m.client, m.mqttjs), diff(m.client, m.raw)]);
  } else {
    rows.push([label, ...clients.map((c) => (c.key in m ? fmtRate(m[c.key]) : 'n/a')), ratio(m.ours, m.mqttjs), ratio(m.ours, m.raw), ratio(m.client, m.mqttjs), ratio(m.client, m.raw)]);
  }
}
const markdownTable = (head, body) => [
  `| ${head.join(' | ')} |`,
  `|${head.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`,
  ...body.map((row) => `| ${row.join(' | ')} |`),
].join('\n');
const table = markdownTable(header, rows);
// Where the load time goes: navigation start → the program running → WebSocket open → CONNACK.
const loadTable = Object.keys(loadParts).length === 0 ? '' : markdownTable(
  ['page load (medians, ms since navigation start)', 'program running', 'WebSocket open', 'CONNACK'],
  clients.filter((c) => loadParts[c.key]).map((c) => {
    const parts = loadParts[c.key];
    const shown = (values) => (values.some((v) => v < 0) ? '—' : median(values).toFixed(0));
    return [c.name, shown(parts.main), shown(parts.open), results.load[c.key].length ? median(results.load[c.key]).toFixed(0) : '—'];
  }),
);

// The pages under load: a row for each page at each rate. The issue's targets are the app's (said
// under the table, reported, never asserted).
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const uiTable = !uiMeasured.length ? '' : markdownTable(
  [`UI under load: page, ${uiFeed.size} B QoS 0 for ${uiWorkloads[0].seconds} s`, 'msg/s', 'frame gap p95 (median; longest)', 'p95 of every run',
    'main thread CPU: in all (script; style and layout)', 'memory after GC: JS heap + wasm', 'received / published (publishing took)'],
  uiMeasured.map(({ workload, rate, runs: done, ui }) => {
    const percent = (seconds) => `${((100 * seconds) / ui.cpu.span).toFixed(0)} %`;
    return [
      workload.name,
      rate.toLocaleString('en'),
      `${ui.p95.toFixed(1)} ms (${ui.p50.toFixed(1)} ms; ${ui.max.toFixed(0)} ms)`,
      `${done.map((r) => r.p95.toFixed(1)).join(', ')} ms`,
      `${percent(ui.cpu.thread)} (${percent(ui.cpu.script)}; ${percent(ui.cpu.style + ui.cpu.layout)}) of ${ui.cpu.span.toFixed(1)} s`,
      ui.wasmBytes === undefined ? `${mb(ui.heapUsed)} (no wasm)` : `${mb(ui.heapUsed + ui.wasmBytes)} (${mb(ui.heapUsed)} + ${mb(ui.wasmBytes)})`,
      `${ui.received.toLocaleString('en')} / ${ui.n.toLocaleString('en')} (${(ui.publishMs / 1000).toFixed(1)} s)`,
    ];
  }),
);
// What the app showed as its rate in, once a second, in the run of each table row.
const appRatesIn = uiMeasured.filter((r) => r.workload.key === 'ui').map(({ rate, ui }) =>
  `- at ${rate.toLocaleString('en')} msg/s: ${ui.ratesIn.filter((r) => r > 0).map((r) => r.toLocaleString('en')).join(', ')}`).join('\n');

// Every run, for the spread.
const allRuns = roundTrips.map((workload) => {
  const cells = Object.entries(results[workload.key]).map(([key, values]) => {
    const name = clients.find((c) => c.key === key).name;
    const shown = values.map((v) => (workload.load ? v.toFixed(0) : Math.round(v).toString())).join(', ');
    return `${name}: ${shown || 'failed'}`;
  });
  return `- ${workload.name}${workload.load ? ' (ms)' : ' (msg/s)'}: ${cells.join('; ')}`;
}).join('\n');

// ---- sizes: the app's release build, and MQTT.js
function sizeOf(file) {
  const bytes = readFileSync(file);
  const brotli = brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } });
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotli.length };
}
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const sum = (parts) => parts.reduce(
  (all, p) => ({ raw: all.raw + p.raw, gzip: all.gzip + p.gzip, brotli: all.brotli + p.brotli }),
  { raw: 0, gzip: 0, brotli: 0 });
let sizes = '';
if (appDist) {
  const mqttjs = sizeOf(join(root, 'scripts/node_modules/mqtt/dist/mqtt.min.js'));
  // A bundle's wasm, and its JS: the loader and the snippets it imports (inbox.js),
  // each compressed on its own, as a server sends them (wasm-bindgen writes every snippet of
  // the crate; a page that does not use one does not load it).
  const page = (dir, prefix) => {
    const list = readdirSync(dir);
    const loader = list.find((f) => f.startsWith(prefix) && f.endsWith('.js'));
    const snippets = [...readFileSync(join(dir, loader), 'utf8').matchAll(/from\s*["']\.\/(snippets\/[^"']+)["']/g)];
    return {
      wasm: sizeOf(join(dir, list.find((f) => f.startsWith(prefix) && f.endsWith('.wasm')))),
      js: sum([loader, ...snippets.map((match) => match[1])].map((f) => sizeOf(join(dir, f)))),
    };
  };
  const app = page(appDist, 'wasm-mqtt');
  // The worker's bundle, with the loader the page starts it from (src/mqtt-worker_loader.js).
  const worker = page(appDist, 'mqtt-worker');
  worker.js = sum([worker.js, sizeOf(join(appDist, 'mqtt-worker_loader.js'))]);
  const enginePage = page(distDir, 'bench-page');
  const clientPage = page(join(distDir, 'client'), 'bench-client');
  const row = (name, parts) => {
    const total = sum(parts);
    return [name, ...parts.map((p) => `${p.raw.toLocaleString('en')} / ${p.gzip.toLocaleString('en')}`), `${kb(total.raw)} / ${kb(total.gzip)}`, kb(total.brotli)];
  };
  sizes = markdownTable(['release build (bytes raw / gzip -9)', 'wasm', 'JS', 'total', 'total, brotli -11'], [
    row('the app\'s page (dist/: Leptos UI, the Client handle)', [app.wasm, app.js]),
    row('the app\'s worker (dist/: the connections: client + engine)', [worker.wasm, worker.js]),
    row('the app, both bundles', [sum([app.wasm, worker.wasm]), sum([app.js, worker.js])]),
    row('bench page: Session loop (engine only)', [enginePage.wasm, enginePage.js]),
    row('bench page: wasm_mqtt::Client (Leptos; its worker is the app\'s)', [clientPage.wasm, clientPage.js]),
    row('MQTT.js 5.16 `mqtt.min.js`', [mqttjs]).toSpliced(1, 0, '—'),
  ]);
}

// Which code was measured: BENCH_COMMIT (set when benching an export of a commit), or this
// checkout's commit, marked when the engine, driver or bench sources differ from it.
function measuredCode() {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  try {
    const git = (...argv) => execFileSync('git', ['-C', root, ...argv], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'benches', 'Cargo.toml', 'Cargo.lock');
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
const seconds = Math.round((Date.now() - started) / 1000);
const loadAfter = loadavg()[0].toFixed(2);
// (`mosquitto -h` prints its version and exits with 3.)
const versionOf = (command, argv) => (spawnSync(command, argv, { encoding: 'utf8' }).stdout ?? '?').trim().split('\n')[0];
if (rows.length) console.log(`\n${table}\n`);
if (uiTable) console.log(`\n${uiTable}\n`);
if (loadTable) console.log(`${loadTable}\n`);
if (sizes) console.log(`${sizes}\n`);
if (errors.length) console.log(`Failed runs:\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
console.log(`browser bench: ${seconds} s; load average ${loadBefore} before, ${loadAfter} after`);

const laterNote = `- **Session loop, send in a later task**: an experiment, the
  same loop with each turn's \`send\` put off to a MessageChannel task, so that the WebSocket
  messages already queued are handled first and their acks and refills share one \`send\`.
`;
if (out) {
  const roundTripSection = !rows.length ? '' : `## Round trip: one client publishes N messages to a topic it subscribes to

Messages per second from SUBACK to the last message back (and, at QoS 1 and 2, the last
acknowledgement), median of ${runs} runs per client, the clients interleaved; the load row is the time
from navigation start to CONNACK (median of ${loadRuns}, cold cache), lower is better, and its last
columns are differences, not ratios.

${table}

- **raw pump**: the ceiling. Pre-encoded PUBLISH packets sent in batched \`send\`s (about 64 KB a
  send all at once, a tenth of the window at a time with a window); what comes back is counted,
  not parsed. QoS 0 only.
- **MQTT.js 5.16**: \`mqtt.min.js\` with default options (it coalesces its writes through a stream).
- **ours: Session loop**: the engine (\`mqtt_engine::Session\`) under the thinnest
  WebSocket loop (benches/browser/page.rs): one turn per WebSocket message, each handed to the
  wasm as it comes, and what \`poll_transmit\` holds sent at the end of the turn, acks included.
  No Leptos in the page.
- **ours: wasm_mqtt::Client**: the shipped client read through its Leptos signals as the app
  reads them (benches/browser/client.rs): its connection runs in the app's worker (the same
  engine, plus the driver, its stored queue in IndexedDB), which sends the page what changed
  once a frame; the page keeps the logs of sent and received messages, and publishes again from
  \`on_received\`. Unlike the Session loop, the worker gathers the WebSocket messages of a burst
  in JS and reads and answers them in one turn, in a later task.
${clientKeys.includes('later') ? laterNote : ''}- "All at once" hands the client all N messages in one go; "window 1000" keeps at most 1000
  published and not yet back, publishing again as each comes back.

${loadTable ? `Where the load time goes: "program running" is when the page's own code started (for ours,
the wasm fetched, compiled and instantiated; for MQTT.js, mqtt.min.js parsed and run), "WebSocket
open" when the broker accepted the connection.

${loadTable}
` : ''}
Every run (${quick ? 'quick run' : 'full N'}):

${allRuns}
`;
  const uiSection = !uiTable ? '' : `
## The app under load, and the frame floor

The app's release build (the same as dist/) subscribed to a topic, while MQTT.js in node
publishes numbered ${uiFeed.size}-byte QoS 0 messages to it at a steady rate (benches/browser/ui-load.mjs), ${uiRates.map((r) => r.toLocaleString('en')).join(' and ')} a
second. Beside it, the frame floor: the same feed to a bare page (benches/browser/floor.html)
that only counts the messages, with a hand-encoded CONNECT and SUBSCRIBE and a reader that
splits the WebSocket's bytes into packets, and shows the count; its socket is on the main thread
(the count shown once a frame), or in a dedicated worker that posts its count to the page every
16 ms. The floor is what the browser costs anyway (the WebSocket's messages, the frames), plus
a few lines of counting; what the app spends past it is its own doing.
A probe put into each page before its own script (benches/browser/ui-probe.js) takes the time of
every animation frame from the first message to the last, and reads what the page shows;
DevTools is attached to the page meanwhile with the Performance domain only, for the main
thread's CPU time (thread ticks, so time the thread waited for a core on a busy machine is not
counted; a worker's time is not in it). Once all came, DevTools collects the garbage and reads
the page's JS heap (not a worker's), and the probe the size of the app's wasm linear memory
(which never shrinks: its high mark). ${runs} runs of each page at each rate, the pages interleaved; each
row's figures are from its run with the median p95.

${uiTable}

The issue's targets, for the app at 10,000 msg/s (reported here, never asserted): a p95 gap
between frames of at most 33 ms, and at most 100 MB of memory with the 100,000 messages held.
${appRatesIn ? `The rate in that the app showed, once a second, in the run of its row (msg/s):

${appRatesIn}
` : ''}`;
  const doc = `# Bench: our client against MQTT.js, in the same browser

Written by \`make bench\` (scripts/bench → benches/browser/run.mjs); the figures below are from the
run of ${new Date().toISOString().slice(0, 10)} of commit ${measuredCode()}, on this project's machine (${versionOf('nproc', [])} cores), in
${browserVersion} (headless), against Mosquitto ${versionOf('mosquitto', ['-h']).replace(/^mosquitto version /, '')}
over WebSockets on loopback (a bench listener: \`max_queued_messages 0\`, \`max_inflight_messages 0\`), MQTT
${version === 5 ? '5.0' : '3.1.1'} for every client. ${quick ? '**Quick run: N divided by 10.** ' : ''}The browser part took ${seconds} s; the load
average (1 min) was ${loadBefore} before it and ${loadAfter} after (the machine has 2 cores, and other work on it
lowers every figure: compare the ratios, which interleaving keeps fair, more than the rates).

What limits each client, and what would move the figures, is in docs/bench-analysis.md (by hand,
from the run of 2026-11-26).

${roundTripSection}${uiSection}${errors.length ? `\nFailed runs:\n${errors.map((e) => `- ${e}`).join('\n')}\n` : ''}
${sizes ? `## Sizes\n\n${sizes}\n\nThe app is \`trunk build --release\` of index.html (opt-level "z", LTO, wasm-opt -Oz from\nbinaryen 132), the same build as dist/. The budget of issue #5 is in gzip; brotli is what a host\nthat compresses ahead of time, or a CDN, sends to a browser that asks for it.\n` : ''}`;
  writeFileSync(out, doc);
}
chromium.removeAllListeners('exit');
cdp.close();
server.close();
reflector?.close();
process.exit(errors.length ? 1 : 0);
