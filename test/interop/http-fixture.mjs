// Run inside the test namespace (ip netns exec): an HTTP server, or an HTTP client through a proxy.
//   node http-fixture.mjs serve HOST PORT FILE         serves FILE at /big and "hello <path>" elsewhere
//   node http-fixture.mjs fetch PROXYHOST PROXYPORT URL prints {"status","bytes","sha256","ms","ttfbMs"}
import { createServer, request } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'serve') {
  const file = readFileSync(c);
  createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': file.length });
      res.end(file);
    } else {
      const body = `hello ${req.url}`;
      res.writeHead(200, { 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    }
  }).listen(Number(b), a, () => process.stdout.write('listening\n'));
} else if (mode === 'fetch') {
  const url = new URL(c);
  const t0 = Date.now();
  let ttfb = -1;
  const req = request({ host: a, port: Number(b), method: 'GET', path: c, headers: { Host: url.host } }, (res) => {
    const h = createHash('sha256');
    let bytes = 0;
    res.on('data', (d) => {
      if (ttfb < 0) ttfb = Date.now() - t0;
      h.update(d);
      bytes += d.length;
    });
    res.on('end', () => {
      process.stdout.write(JSON.stringify({ status: res.statusCode, bytes, sha256: h.digest('hex'), ms: Date.now() - t0, ttfbMs: ttfb }));
    });
  });
  req.setTimeout(Number(process.env.FETCH_TIMEOUT_MS ?? 300000), () => req.destroy(new Error('timeout')));
  req.on('error', (e) => process.stdout.write(JSON.stringify({ status: 0, error: String(e) })));
  req.end();
} else {
  process.stderr.write('usage: serve HOST PORT FILE | fetch PROXYHOST PROXYPORT URL\n');
  process.exit(2);
}
