// Trunk's post_build hook (Trunk.toml): in a release build, makes each JS loader that
// wasm-bindgen writes, and its wasm, smaller, and puts their new integrity hashes into the pages
// that link them. A debug build (`trunk serve`) is left as it is.
// - The loader is minified by esbuild (43 KB to 19 KB, 7.2 KB to 5.7 KB gzip). Trunk's own
//   minifier (minify-js) cannot parse this file and leaves it whole.
// - wasm-bindgen names every import the wasm takes from the loader after its function and a hash
//   of 16 hex digits (`__wbg_setAttribute_f75317b2b5cabfb4`), once in the wasm's import section
//   and once in the loader: 123 names whose random digits gzip cannot shrink. Both get short
//   names (`_0`, `_1`, …): 4.2 KB less gzip (2.6 KB of wasm, 1.6 KB of JS), measured 2026-11-26.
// - The JS snippets the wasm imports (crates/client/src/inbox.js) are minified too.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";

if (process.env.TRUNK_PROFILE !== "release") process.exit(0);
const staging = process.env.TRUNK_STAGING_DIR;
const files = readdirSync(staging);
const pages = files.filter((name) => name.endsWith(".html"));
const IMPORT_SECTION = 2;
const sri = (text) => `sha384-${createHash("sha384").update(text).digest("base64")}`;

// Only loaders (NAME.js beside NAME_bg.wasm): other scripts a page copies are left alone.
const loaders = files.filter((file) => file.endsWith(".js") && files.includes(file.replace(/\.js$/, "_bg.wasm")));
for (const name of loaders) {
  const wasmName = name.replace(/\.js$/, "_bg.wasm");
  const source = readFileSync(join(staging, name), "utf8");
  const wasm = readFileSync(join(staging, wasmName));
  const { wasm: shortWasm, renames } = shortenImports(wasm);
  let shortCode = minified(source);
  for (const [long, short] of renames) {
    // Each name is a key of the loader's imports object, once: anything else means the loader
    // is not shaped as this script expects, so stop rather than break it.
    const word = new RegExp(`(?<![\\w$])${long}(?![\\w$])`, "g");
    const uses = shortCode.match(word)?.length ?? 0;
    if (uses !== 1) fail(`${name} names the import ${long} ${uses} times, not once`);
    shortCode = shortCode.replace(word, short);
  }
  replace(name, source, shortCode);
  replace(wasmName, wasm, shortWasm);
  console.log(`minify-loader: ${name} ${source.length} -> ${shortCode.length} bytes, ` +
    `${wasmName} ${wasm.length} -> ${shortWasm.length} bytes (${renames.size} imports renamed)`);
}

// The snippets of JS the wasm imports (crates/client/src/inbox.js), which Trunk copies as they are.
const snippets = readdirSync(staging, { recursive: true }).filter((f) => f.startsWith("snippets/") && f.endsWith(".js"));
for (const file of snippets) {
  const source = readFileSync(join(staging, file), "utf8");
  replace(file, source, minified(source));
}

function minified(source) {
  return transformSync(source, { minify: true, format: "esm", loader: "js" }).code;
}

/** Writes `file` anew and puts its new integrity hash into every page that links it. */
function replace(file, before, after) {
  writeFileSync(join(staging, file), after);
  for (const page of pages) {
    const pagePath = join(staging, page);
    const html = readFileSync(pagePath, "utf8");
    // Every tag that links the file with an integrity hash must have the old one (Trunk's
    // default, sha384), or the browser would refuse the file: stop rather than guess.
    const links = html.match(new RegExp(`<link[^>]*${file.replace(/\./g, "\\.")}[^>]*>`, "g")) ?? [];
    for (const link of links.filter((tag) => tag.includes("integrity="))) {
      if (!link.includes(sri(before))) fail(`${page} links ${file} with an integrity hash it cannot update`);
    }
    writeFileSync(pagePath, html.replaceAll(sri(before), sri(after)));
  }
}

/**
 * The wasm with the functions it imports from its loader (module `./NAME_bg.js`) renamed `_0`,
 * `_1`, …, and the renames. Only the import section changes; see the binary format,
 * https://webassembly.github.io/spec/core/binary/modules.html#import-section.
 */
function shortenImports(wasm) {
  const renames = new Map();
  const out = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, bodyAt] = readU32(wasm, at + 1);
    const body = wasm.subarray(bodyAt, bodyAt + size);
    at = bodyAt + size;
    const newBody = id === IMPORT_SECTION ? renameImports(body, renames) : body;
    out.push(Buffer.from([id]), writeU32(newBody.length), newBody);
  }
  return { wasm: Buffer.concat(out), renames };
}


function renameImports(section, renames) {
  const [count, start] = readU32(section, 0);
  const out = [writeU32(count)];
  let at = start;
  for (let i = 0; i < count; i++) {
    const [module, fieldAt] = readName(section, at);
    const [field, descAt] = readName(section, fieldAt);
    const end = skipImportDesc(section, descAt);
    let name = field;
    if (/^\.\/.*_bg\.js$/.test(module)) {
      if (!renames.has(field)) renames.set(field, `_${renames.size.toString(36)}`);
      name = renames.get(field);
    }
    out.push(section.subarray(at, fieldAt), writeName(name), section.subarray(descAt, end));
    at = end;
  }
  return Buffer.concat(out);
}

/** Where the import's description that starts at `at` ends: a function, table, memory or global. */
function skipImportDesc(bytes, at) {
  const kind = bytes[at];
  const skipU32 = (from) => readU32(bytes, from)[1];
  const skipLimits = (from) => (bytes[from] & 1 ? skipU32(skipU32(from + 1)) : skipU32(from + 1));
  if (kind === 0) return skipU32(at + 1); // type index
  if (kind === 1) return skipLimits(at + 2); // reference type, limits
  if (kind === 2) return skipLimits(at + 1);
  if (kind === 3) return at + 3; // value type, mutability
  fail(`an import of kind ${kind}, which this script does not know`);
}

function readU32(bytes, at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
}

function writeU32(value) {
  const out = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    out.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return Buffer.from(out);
}

function readName(bytes, at) {
  const [length, start] = readU32(bytes, at);
  return [bytes.subarray(start, start + length).toString("utf8"), start + length];
}

function writeName(name) {
  const bytes = Buffer.from(name, "utf8");
  return Buffer.concat([writeU32(bytes.length), bytes]);
}

function fail(message) {
  console.error(`minify-loader: ${message}`);
  process.exit(1);
}
