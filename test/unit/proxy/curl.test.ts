/**
 * curl as a real-world client of both proxies (127.0.0.1 only). Skipped, visibly, where curl is not installed.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { HttpProxy } from '../../../proxy/http.js';
import { SocksProxy } from '../../../proxy/socks.js';
import { FIXED_USER_AGENT } from '../../../proxy/http.js';
import { b32, fakeConnector, listen } from './helpers.js';

let hasCurl = true;
try {
  execFileSync('curl', ['--version'], { stdio: 'ignore' });
} catch {
  hasCurl = false;
}
const curlTest = hasCurl ? test : test.skip;

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A clean environment: no http_proxy/ALL_PROXY from the host leaks in.
    execFile('curl', ['-sS', '--max-time', '10', ...args], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function setup(t: ExecutionContext) {
  const connector = fakeConnector();
  const site = b32();
  const seen: IncomingHttpHeaders[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(req.headers);
    res.end(`site says ${req.method} ${req.url}`);
  });
  connector.routes.set(site, await listen(t, server));
  const socks = new SocksProxy({ connector, host: '127.0.0.1', port: 0 });
  const http = new HttpProxy({ connector, host: '127.0.0.1', port: 0 });
  const socksPort = (await socks.listen()).port;
  const httpPort = (await http.listen()).port;
  t.teardown(() => socks.close());
  t.teardown(() => http.close());
  return { connector, site, seen, socksPort, httpPort };
}

curlTest('curl --socks5-hostname and --socks4a reach a .b32.i2p site', async (t) => {
  const { site, socksPort, connector } = await setup(t);
  const r5 = await curl(['--socks5-hostname', `127.0.0.1:${socksPort}`, `http://${site}/five`]);
  t.is(r5.code, 0, r5.stderr);
  t.is(r5.stdout, 'site says GET /five');
  const r4 = await curl(['--socks4a', `127.0.0.1:${socksPort}`, `http://${site}/four`]);
  t.is(r4.code, 0, r4.stderr);
  t.is(r4.stdout, 'site says GET /four');
  t.deepEqual(
    connector.calls.map((c) => c.host),
    [site, site],
  );
});

curlTest('curl with SOCKS5 username/password (RFC 1929 reply checked by curl)', async (t) => {
  const { site, socksPort } = await setup(t);
  const r = await curl(['--socks5-hostname', `127.0.0.1:${socksPort}`, '--proxy-user', 'alice:secret', `http://${site}/auth`]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'site says GET /auth');
});

curlTest('curl --socks5-hostname to a clearnet name fails with reply 8', async (t) => {
  const { socksPort, connector } = await setup(t);
  const r = await curl(['--socks5-hostname', `127.0.0.1:${socksPort}`, 'http://www.example.com/']);
  t.not(r.code, 0);
  t.regex(r.stderr, /\(8\)|[Aa]ddress type not supported/);
  t.deepEqual(connector.calls, []);
});

curlTest('curl -x through the HTTP proxy: GET, CONNECT tunnel (-p), and a refused clearnet host', async (t) => {
  const { site, httpPort, seen } = await setup(t);
  const r = await curl(['-x', `http://127.0.0.1:${httpPort}`, '-A', 'curl/identifying', `http://${site}/get?x=1`]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'site says GET /get?x=1');
  t.is(seen[0]!['user-agent'], FIXED_USER_AGENT);
  const tunnel = await curl(['-p', '-x', `http://127.0.0.1:${httpPort}`, `http://${site}/tunnelled`]);
  t.is(tunnel.code, 0, tunnel.stderr);
  t.is(tunnel.stdout, 'site says GET /tunnelled');
  t.is(seen[1]!['user-agent']?.startsWith('curl/'), true, 'inside a CONNECT tunnel the proxy does not touch the bytes');
  const refused = await curl(['-x', `http://127.0.0.1:${httpPort}`, '-o', '/dev/null', '-w', '%{http_code}', 'http://www.example.com/']);
  t.is(refused.stdout, '403');
});
