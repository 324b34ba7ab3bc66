// The codec microbench's medians (criterion's target/criterion/*/new/*.json) as a Markdown table;
// scripts/bench prints it and appends it to the bench report.
//
//   node benches/codec-table.mjs [--append FILE]
import { readdirSync, readFileSync, existsSync, appendFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const base = join(process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target'), 'criterion');
const groups = ['encode PUBLISH', 'decode PUBLISH', 'decode 1000 PUBLISH from one buffer'];
const rows = [];
const time = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
for (const group of groups) {
  const dir = join(base, group);
  if (!existsSync(dir)) continue;
  const cells = new Map(); // size -> version -> text
  for (const version of readdirSync(dir).filter((d) => d !== 'report')) {
    for (const size of readdirSync(join(dir, version)).filter((d) => d !== 'report')) {
      const at = join(dir, version, size, 'new');
      if (!existsSync(join(at, 'estimates.json'))) continue;
      const ns = JSON.parse(readFileSync(join(at, 'estimates.json'))).median.point_estimate;
      const { throughput } = JSON.parse(readFileSync(join(at, 'benchmark.json')));
      let rate = '';
      if (throughput?.Bytes) rate = `${((throughput.Bytes / ns) * 1e3).toFixed(0)} MB/s`;
      if (throughput?.Elements) rate = `${((throughput.Elements / ns) * 1e3).toFixed(2)} M packets/s`;
      if (!cells.has(size)) cells.set(size, {});
      cells.get(size)[version] = `${time(ns)} (${rate})`;
    }
  }
  const order = ['64B', '1KB', '64KB'];
  for (const size of [...cells.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b))) {
    const c = cells.get(size);
    rows.push(`| ${group}, ${size} | ${c['v3.1.1'] ?? '—'} | ${c.v5 ?? '—'} |`);
  }
}
const table = [
  '| codec, native (median per iteration) | MQTT 3.1.1 | MQTT 5.0 |',
  '|---|--:|--:|',
  ...rows,
].join('\n');
console.log(table);
const at = process.argv.indexOf('--append');
if (at > 0) {
  appendFileSync(process.argv[at + 1], `
## Codec microbench (native)

\`cargo bench -p mqtt-engine --bench codec\` (crates/engine/benches/codec.rs, criterion, 0.5 s warm-up and 1 s of measurement
each; the release profile, which is tuned for size: opt-level "z"). One PUBLISH (QoS 1) encoded
into a reused buffer, or pushed into a \`StreamDecoder\` and read back; and 1,000 64-byte PUBLISHes
read from one buffer, as from one WebSocket message full of packets.

${table}
`);
}
