import test, { type ExecutionContext } from 'ava';
import { request } from 'node:http';
import { once } from 'node:events';
import { pino } from 'pino';
import { SocksClient } from 'socks';
import { HttpProxy } from '../../../proxy/http.js';
import { SocksProxy } from '../../../proxy/socks.js';
import { b32, echoServer, fakeConnector } from './helpers.js';

async function run(t: ExecutionContext, level: 'info' | 'debug'): Promise<{ text: string; host: string }> {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(s) });
  const connector = fakeConnector();
  const host = b32();
  connector.routes.set(host, await echoServer(t));
  const socks = new SocksProxy({ connector, host: '127.0.0.1', port: 0, logger });
  const http = new HttpProxy({ connector, host: '127.0.0.1', port: 0, logger });
  const sp = (await socks.listen()).port;
  const hp = (await http.listen()).port;
  const { socket } = await SocksClient.createConnection({ proxy: { host: '127.0.0.1', port: sp, type: 5 }, command: 'connect', destination: { host, port: 80 } });
  socket.destroy();
  const req = request({ host: '127.0.0.1', port: hp, path: 'http://unknown-name.i2p/', agent: false }).end();
  const [res] = await once(req, 'response');
  t.is(res.statusCode, 404);
  res.resume();
  await socks.close();
  await http.close();
  return { text: lines.join(''), host };
}

test('destinations of local users are not logged at info level (and are at debug)', async (t) => {
  const info = await run(t, 'info');
  t.true(info.text.includes('listening'), 'the logger is wired');
  t.false(info.text.includes(info.host));
  t.false(info.text.includes('unknown-name.i2p'));
  const debug = await run(t, 'debug');
  t.true(debug.text.includes(debug.host));
  t.true(debug.text.includes('unknown-name.i2p'));
});
