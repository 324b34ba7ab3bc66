// End to end with the tutorial's own scripts (../shared/seed/python-mqtt-tutorial.md):
//   1. the tutorial's pub.py publishes; the release build in headless Chromium shows
//      "Received `messages: N` from `python/mqtt` topic";
//   2. the app's counter publishes; the tutorial's sub.py prints the messages.
// A local Mosquitto (TCP for paho, WebSockets for the app) and a static server for dist/ are
// started here on free loopback ports and stopped at the end.
//
// Usage: node tests/e2e/tutorial.mjs DIST_DIR [--screenshot docs/screenshot.png]
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'scripts/package.json'));
const { chromium } = require('playwright-core');

const distDir = resolve(process.argv[2] ?? join(root, 'dist'));
const screenshotAt = process.argv.indexOf('--screenshot');
const screenshotPath = screenshotAt > 0 ? resolve(process.argv[screenshotAt + 1]) : null;
const seedPath = resolve(root, '../shared/seed/python-mqtt-tutorial.md');
const python = join(root, '.venv/bin/python');
const children = [];
const results = [];

function freePort(wanted = 0) {
  return Number(execFileSync(join(root, 'scripts/free-port'), [String(wanted)]).toString().trim());
}

function stopAll() {
  for (const child of children) child.kill('SIGKILL');
}
process.on('exit', stopAll);

async function startMosquitto() {
  const tcpPort = freePort();
  const wsPort = freePort();
  const dir = mkdtempSync(join(tmpdir(), 'e2e-mosquitto-'));
  const config = readFileSync(join(root, 'scripts/mosquitto/dev.conf'), 'utf8')
    .replace('@TCP_PORT@', tcpPort)
    .replace('@WS_PORT@', wsPort);
  writeFileSync(join(dir, 'mosquitto.conf'), config);
  const broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  children.push(broker);
  const accepts = (port) => new Promise((ok) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(() => ok(true)));
    socket.on('error', () => ok(false));
  });
  await waitFor(() => accepts(wsPort), 5000, 'Mosquitto did not start');
  return { tcpPort, wsPort };
}

function serveDist() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    const file = join(distDir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(distDir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** The tutorial's script that follows `heading`, pointed at the local broker. */
function tutorialScript(heading, tcpPort) {
  const seed = readFileSync(seedPath, 'utf8');
  const after = seed.slice(seed.indexOf(heading));
  const code = after.match(/```python\n([\s\S]*?)```/)[1];
  // The tutorial names a public broker; only the local one is reachable (and allowed) here.
  const pointed = code.replace(/^broker = '[^']*'$/m, "broker = '127.0.0.1'").replace(/^port = 1883$/m, `port = ${tcpPort}`);
  if (!pointed.includes("broker = '127.0.0.1'") || !pointed.includes(`port = ${tcpPort}`)) {
    throw new Error(`could not point ${heading} at the local broker`);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'e2e-tutorial-')), 'script.py');
  writeFileSync(file, pointed);
  return file;
}

function runScript(file) {
  const child = spawn(python, ['-u', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const output = { text: '' };
  child.stdout.on('data', (chunk) => (output.text += chunk));
  child.stderr.on('data', (chunk) => (output.text += chunk));
  return { child, output };
}

async function waitFor(condition, ms, failure) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(failure);
}

async function check(name, body) {
  const started = Date.now();
  try {
    const detail = await body();
    results.push(true);
    console.log(`ok   ${name} (${Date.now() - started} ms)${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    results.push(false);
    console.log(`FAIL ${name}: ${error.message}`);
  }
}

const { tcpPort, wsPort } = await startMosquitto();
const server = await serveDist();
const appUrl = `http://127.0.0.1:${server.address().port}/`;
const brokerUrl = `ws://127.0.0.1:${wsPort}/mqtt`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});

async function openApp(query) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  await page.goto(`${appUrl}?${new URLSearchParams({ broker: brokerUrl, ...query })}`);
  return { page, problems };
}

await check("the tutorial's pub.py publishes; the app shows what it receives", async () => {
  const { child, output } = runScript(tutorialScript('**The code of publishing messages**', tcpPort));
  const { page, problems } = await openApp({ connect: '1', subscribe: '1', filter: 'python/mqtt' });
  const received = () => page.evaluate(() => document.body.innerText.match(/Received `messages: \d+` from `python\/mqtt` topic/g) ?? []);
  await waitFor(async () => (await received()).length >= 3, 15000,
    `the page showed ${JSON.stringify(await received())}; pub.py printed ${JSON.stringify(output.text.slice(-300))}`);
  if (!/Send `messages: \d+` to topic `python\/mqtt`/.test(output.text)) throw new Error(`pub.py printed ${output.text}`);
  if (problems.length) throw new Error(`page errors: ${problems.join('; ')}`);
  if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true });
  const lines = await received();
  child.kill();
  await page.close();
  return `${lines.length} lines, the first: ${lines[0]}`;
});

await check("the app's counter publishes; the tutorial's sub.py prints the messages", async () => {
  const { child, output } = runScript(tutorialScript('**The code of subscribing**', tcpPort));
  await waitFor(() => output.text.includes('Connected to MQTT Broker!'), 5000, `sub.py printed ${output.text}`);
  await new Promise((ok) => setTimeout(ok, 300)); // its SUBSCRIBE follows the CONNACK
  const { page, problems } = await openApp({ connect: '1', publish: '1', topic: 'python/mqtt', interval: '200' });
  const wanted = [0, 1, 2, 3, 4].map((n) => `Received \`messages: ${n}\` from \`python/mqtt\` topic`);
  await waitFor(() => wanted.every((line) => output.text.includes(line)), 15000, `sub.py printed ${JSON.stringify(output.text)}`);
  const pageText = await page.evaluate(() => document.body.innerText);
  if (!pageText.includes('Send `messages: 0` to topic `python/mqtt`')) throw new Error('the page did not log its first send');
  if (problems.length) throw new Error(`page errors: ${problems.join('; ')}`);
  child.kill();
  await page.close();
  return output.text.split('\n').filter((line) => line.startsWith('Received')).slice(0, 2).join(' | ');
});

await browser.close();
server.close();
stopAll();
const passed = results.filter(Boolean).length;
console.log(`e2e: ${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
