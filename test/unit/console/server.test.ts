import test from 'ava';
import { ConsoleServer } from '../../../console/server.js';
import type { RouterStatus } from '../../../console/status.js';

const status = (): RouterStatus => ({
  version: '0.1.0',
  routerHash: 'x'.repeat(43) + '=',
  netId: 77,
  uptime: 3,
  peers: { ntcp2: 2, ssu2: 0 },
  netdb: { routers: 5, floodfills: 2, leaseSets: 0 },
  tunnels: { inbound: 0, outbound: 0, transit: 0, buildSuccessRate: 0 },
  bandwidth: { inBps: 0, outBps: 0, transitBps: 0 },
});

test('GET /api/status serves the status document as JSON; other paths 404, other methods 405', async (t) => {
  let calls = 0;
  const server = new ConsoleServer({ address: '127.0.0.1', port: 0, status: () => (calls++, status()) });
  const addr = await server.listen();
  try {
    const base = `http://127.0.0.1:${addr.port}`;
    const r = await fetch(`${base}/api/status`);
    t.is(r.status, 200);
    t.regex(r.headers.get('content-type') ?? '', /^application\/json/);
    t.deepEqual(await r.json(), status());
    t.is(calls, 1);
    t.is((await fetch(`${base}/nope`)).status, 404);
    t.is((await fetch(`${base}/api/status`, { method: 'POST', body: 'x' })).status, 405);
  } finally {
    await server.close();
  }
});
