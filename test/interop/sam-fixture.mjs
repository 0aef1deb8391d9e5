// Run inside the test namespace (ip netns exec): a SAM client built on the npm library @diva.exchange/i2p-sam,
// unmodified, talking to SAM bridges (clove's, i2pd's).
//   node sam-fixture.mjs get SAMHOST SAMPORT DESTINATION PATH
//       a STREAM session; CONNECT to DESTINATION (a name, b32 or base64); send an HTTP/1.0 GET for PATH;
//       prints {"ok": true, "response": "<the whole response>"} or {"ok": false, "error": "..."}.
//   node sam-fixture.mjs datagrams HOST_A PORT_A LISTEN_A HOST_B PORT_B LISTEN_B [TUNNEL_OPTIONS_B]
//       a DATAGRAM and a RAW session on each bridge (UDP at PORT - 1, received datagrams forwarded to
//       HOST:LISTEN and LISTEN+1); A and B send to each other until each got 3 repliable datagrams and 1 raw.
//       The library keeps keys without their base64 padding (it splits replies on '='); i2pd's base64
//       decoder refuses unpadded input, so destinations are padded before they are handed to a bridge.
//       prints {"ok", "aGot", "bGot", "aFromOk", "bFromOk", "rawA", "rawB"}.
import { createDatagram, createRaw, createStream } from '@diva.exchange/i2p-sam';
import { createHash, randomBytes } from 'node:crypto';

const [mode, ...args] = process.argv.slice(2);
const TUNNELS = 'inbound.length=2 inbound.quantity=2 outbound.length=2 outbound.quantity=2';
const pad = (b64) => b64 + '='.repeat((4 - (b64.length % 4)) % 4);
const out = (x) => {
  process.stdout.write(JSON.stringify(x) + '\n');
  process.exit(0);
};
setTimeout(() => out({ ok: false, error: 'timed out' }), 150_000).unref();

try {
  if (mode === 'get') {
    const [host, port, destination, path] = args;
    const s = await createStream({
      sam: { host, portTCP: Number(port), versionMax: '3.1' },
      stream: { destination },
      session: { options: TUNNELS },
    });
    let response = Buffer.alloc(0);
    s.on('data', (d) => (response = Buffer.concat([response, d])));
    s.on('close', () => out({ ok: true, response: response.toString() }));
    s.on('error', (e) => out({ ok: false, error: String(e) }));
    s.stream(Buffer.from(`GET ${path} HTTP/1.0\r\nHost: x\r\n\r\n`));
    // HTTP/1.0: the server closes after the response; the library may not report the close, so watch the bytes
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      const text = response.toString();
      const m = /Content-Length: (\d+)/i.exec(text);
      const head = text.indexOf('\r\n\r\n');
      if (m && head >= 0 && Buffer.byteLength(text) - head - 4 >= Number(m[1])) out({ ok: true, response: text });
    }
    out({ ok: false, error: `incomplete response: ${JSON.stringify(response.toString().slice(0, 300))}` });
  } else if (mode === 'datagrams') {
    const [hostA, portA, listenA, hostB, portB, listenB, optionsB] = args;
    const sam = (host, port) => ({ host, portTCP: Number(port), portUDP: Number(port) - 1, versionMax: '3.1' });
    const open = async (host, port, listen, options = TUNNELS) => {
      const dg = await createDatagram({ sam: sam(host, port), listen: { address: host, port: Number(listen) }, session: { options } });
      const raw = await createRaw({ sam: sam(host, port), listen: { address: host, port: Number(listen) + 1 }, session: { options } });
      const got = [];
      const rawGot = [];
      dg.on('data', (d, from) => got.push({ data: d.toString(), from }));
      raw.on('data', (d) => rawGot.push(d));
      return { dg, raw, got, rawGot };
    };
    const a = await open(hostA, portA, listenA);
    const b = await open(hostB, portB, listenB, optionsB || TUNNELS);
    const rawAB = randomBytes(700);
    const rawBA = randomBytes(900);
    const done = () => a.got.length >= 3 && b.got.length >= 3 && a.rawGot.length >= 1 && b.rawGot.length >= 1;
    for (let i = 0; i < 100 && !done(); i++) {
      if (b.got.length < 3) a.dg.send(pad(b.dg.getPublicKey()), Buffer.from(`from A ${i}`));
      if (a.got.length < 3) b.dg.send(pad(a.dg.getPublicKey()), Buffer.from(`from B ${i}`));
      if (b.rawGot.length < 1) a.raw.send(pad(b.raw.getPublicKey()), rawAB);
      if (a.rawGot.length < 1) b.raw.send(pad(a.raw.getPublicKey()), rawBA);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const sha = (x) => createHash('sha256').update(x).digest('hex');
    out({
      ok: done(),
      aGot: a.got.map((m) => m.data),
      bGot: b.got.map((m) => m.data),
      aFromOk: a.got.length > 0 && a.got.every((m) => pad(m.from) === pad(b.dg.getPublicKey())),
      bFromOk: b.got.length > 0 && b.got.every((m) => pad(m.from) === pad(a.dg.getPublicKey())),
      rawA: a.rawGot.length > 0 && sha(a.rawGot[0]) === sha(rawBA),
      rawB: b.rawGot.length > 0 && sha(b.rawGot[0]) === sha(rawAB),
    });
  } else {
    process.stderr.write('usage: sam-fixture.mjs get SAMHOST SAMPORT DESTINATION PATH | datagrams HOST_A PORT_A LISTEN_A HOST_B PORT_B LISTEN_B\n');
    process.exit(2);
  }
} catch (e) {
  out({ ok: false, error: String(e?.stack ?? e) });
}
