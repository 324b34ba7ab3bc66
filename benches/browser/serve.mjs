// The bench's page server, for run.mjs and ui-load.mjs: the files of a folder (`/…/` is its
// index.html), never cached, and the reports the pages POST as JSON to /result.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, normalize } from 'node:path';

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/** Serves `dir` on a free loopback port; `onReport` takes each report, `pageHtml` may rewrite
 *  each HTML page, and `extra` maps paths to JS served beside the folder. Resolves with the
 *  server and its origin. */
export async function servePages(dir, { onReport, pageHtml = (html) => html, extra = {} }) {
  const headers = { 'cache-control': 'no-store' };
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://x');
    if (request.method === 'POST' && url.pathname === '/result') {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        response.writeHead(204).end();
        try {
          onReport(JSON.parse(body));
        } catch {
          console.error('a report that is not JSON:', body);
        }
      });
      return;
    }
    if (url.pathname in extra) {
      response.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(extra[url.pathname]);
      return;
    }
    const file = normalize(join(dir, url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, headers).end();
      return;
    }
    let body = readFileSync(file);
    if (extname(file) === '.html') body = pageHtml(body.toString());
    response.writeHead(200, { ...headers, 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    response.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}
