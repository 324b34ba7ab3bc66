// A Mosquitto that the browser's broker-kill story (tests/browser_broker_kill.rs) kills with
// SIGKILL and starts again, through a control WebSocket, since a page cannot kill a process.
// Persistent: it saves its database on every change it counts and reads it back on restart,
// as crates/engine/tests/support/brokers.rs sets up the native story's broker.
//
//   node scripts/killable-mosquitto.mjs TCP_PORT WS_PORT CONTROL_PORT DIR
//
// Commands on ws://127.0.0.1:CONTROL_PORT/ (one per message; the answer comes when it is done):
//   start INFLIGHT   a fresh broker (database wiped) with max_inflight_messages INFLIGHT
//   kill OUTAGE_MS   SIGKILL, OUTAGE_MS of outage, then the same broker on the same database;
//                    answers JSON {killed, saved, restarted, back}: wall-clock ms since 1970
//                    (saved: the start of its last database write, null before the first)
// Anything else is answered "error: …". The broker is stopped when this process ends.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';

const [tcpPort, wsPort, controlPort] = process.argv.slice(2, 5).map(Number);
const dir = process.argv[5];
if (!dir || [tcpPort, wsPort, controlPort].some((port) => !(port > 0))) {
  console.error('usage: node scripts/killable-mosquitto.mjs TCP_PORT WS_PORT CONTROL_PORT DIR');
  process.exit(2);
}
const database = path.join(dir, 'mosquitto.db');
let broker = null;
let runs = 0;

/// The wall clock with sub-millisecond precision.
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function writeConfig(inflight) {
  // No inline comments: Mosquitto reads `key value # x` as an error.
  const config = [
    'user root',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    `listener ${tcpPort} 127.0.0.1`,
    `listener ${wsPort} 127.0.0.1`,
    'protocol websockets',
    'allow_anonymous true',
    'persistence true',
    // The trailing slash matters: Mosquitto appends the file name to it as it is.
    `persistence_location ${dir}/`,
    'autosave_on_changes true',
    'autosave_interval 1',
    'max_queued_messages 1000000',
    `max_inflight_messages ${inflight}`,
  ];
  fs.writeFileSync(path.join(dir, 'mosquitto.conf'), config.join('\n') + '\n');
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/// Starts Mosquitto and resolves once it accepts connections on the WebSocket port.
async function run() {
  runs += 1;
  const log = fs.openSync(path.join(dir, `mosquitto-${runs}.log`), 'w');
  const child = spawn('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], {
    stdio: ['ignore', 'ignore', log],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  broker = { child, exited };
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    if (child.exitCode !== null) break;
    if (await accepts(wsPort)) return;
    await sleep(2);
  }
  throw new Error(`Mosquitto did not start: see ${path.join(dir, `mosquitto-${runs}.log`)}`);
}

async function stop(signal) {
  if (!broker) return;
  const { child, exited } = broker;
  broker = null;
  child.kill(signal);
  await exited;
}

/// When the broker last began writing its database: it writes mosquitto.db.new and renames it,
/// so the file's birth time is the state it will start again from.
function savedAt() {
  try {
    const { birthtimeMs, mtimeMs } = fs.statSync(database);
    return birthtimeMs > 0 ? birthtimeMs : mtimeMs;
  } catch {
    return null;
  }
}

async function command(text) {
  const [name, value] = text.split(' ');
  const number = Number(value);
  if (name === 'start' && Number.isInteger(number) && number >= 0) {
    await stop('SIGKILL');
    fs.rmSync(database, { force: true });
    writeConfig(number);
    await run();
    return 'started';
  }
  if (name === 'kill' && number >= 0 && broker) {
    const killed = now();
    await stop('SIGKILL');
    const saved = savedAt();
    await sleep(number);
    const restarted = now();
    await run();
    return JSON.stringify({ killed, saved, restarted, back: now() });
  }
  return `error: cannot "${text}"${broker ? '' : ' (no broker: start first)'}`;
}

// One command at a time, in order.
let queue = Promise.resolve();
const server = new WebSocketServer({ host: '127.0.0.1', port: controlPort });
server.on('connection', (socket) => {
  socket.on('message', (data) => {
    queue = queue
      .then(() => command(data.toString()))
      .catch((error) => `error: ${error.message}`)
      .then((answer) => socket.send(answer));
  });
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    await stop('SIGTERM');
    process.exit(0);
  });
}
process.on('exit', () => broker?.child.kill('SIGKILL'));
