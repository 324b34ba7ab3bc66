// Trunk's post_build hook (Trunk.toml): in a release build, minifies the JS loader that
// wasm-bindgen writes (43 KB to 19 KB, 7.2 KB to 5.7 KB gzip) with esbuild, and puts the new
// integrity hash into the pages that link it. Trunk's own minifier (minify-js) cannot parse this
// file and leaves it whole. A debug build (`trunk serve`) is left as it is.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";

if (process.env.TRUNK_PROFILE !== "release") process.exit(0);
const staging = process.env.TRUNK_STAGING_DIR;
const files = readdirSync(staging);
const pages = files.filter((name) => name.endsWith(".html"));
const sri = (text) => `sha384-${createHash("sha384").update(text).digest("base64")}`;

// Only loaders (NAME.js beside NAME_bg.wasm): other scripts a page copies are left alone.
const loaders = files.filter((file) => file.endsWith(".js") && files.includes(file.replace(/\.js$/, "_bg.wasm")));
for (const name of loaders) {
  const path = join(staging, name);
  const source = readFileSync(path, "utf8");
  const { code } = transformSync(source, { minify: true, format: "esm", loader: "js" });
  writeFileSync(path, code);
  for (const page of pages) {
    const pagePath = join(staging, page);
    const html = readFileSync(pagePath, "utf8");
    // Every tag that links the loader with an integrity hash must have the old one (Trunk's
    // default, sha384), or the browser would refuse the file: stop rather than guess.
    const links = html.match(new RegExp(`<link[^>]*${name.replace(/\./g, "\\.")}[^>]*>`, "g")) ?? [];
    for (const link of links.filter((tag) => tag.includes("integrity="))) {
      if (!link.includes(sri(source))) {
        console.error(`minify-loader: ${page} links ${name} with an integrity hash it cannot update`);
        process.exit(1);
      }
    }
    writeFileSync(pagePath, html.replaceAll(sri(source), sri(code)));
  }
  console.log(`minify-loader: ${name} ${source.length} -> ${code.length} bytes`);
}
