/**
 * The SAM v3 bridge (client/sam/) in an in-process clove network on 127.0.0.1.
 *  - The unmodified npm library @diva.exchange/i2p-sam against the bridges of two routers: a STREAM session
 *    on each, a stream from A to B's FORWARD target with a few hundred KB byte-exact both ways, repliable
 *    DATAGRAMs and RAW datagrams through the UDP ports that arrive, NAMING LOOKUP of a b32.
 *  - A raw socket speaking SAM by hand: HELLO negotiation edge cases, garbage, a 1 MB line, a silent client,
 *    DEST GENERATE, SESSION CREATE / NAMING LOOKUP NAME=ME / DUPLICATED_ID / DUPLICATED_DEST / INVALID_KEY,
 *    STREAM ACCEPT + CONNECT between two sessions, PRIMARY with SESSION ADD / REMOVE.
 * Spec: ../shared/specs/docs/api-samv3.html.
 */
import test from 'ava';
import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { createDatagram, createForward, createRaw, createStream, lookup, toB32, type I2pSamStream } from '@diva.exchange/i2p-sam';
import { freePort, makeNetwork, until } from '../helpers/net.js';
import type { Router } from '../../router/router.js';
import { startSamBridge, type SamBridge } from '../../client/sam/index.js';
import { fromBase64, toBase64 } from '../../data/base64.js';
import { parsePrivateKeyFile } from '../../data/private-key-file.js';

const TUNNELS = 'inbound.length=1 inbound.quantity=2 outbound.length=1 outbound.quantity=2';

/** A TCP port p for SAM whose p-1 is free for UDP (i2pd puts the UDP port at sam.port - 1). */
async function samPort(): Promise<number> {
  for (;;) {
    const p = await freePort();
    const u = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      u.once('error', () => r(false));
      u.bind(p - 1, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => u.close(() => r()));
    if (ok) return p;
  }
}

let routers: Router[] = [];
const ports: number[] = [];

test.before(async (t) => {
  t.timeout(4 * 60_000);
  ports.push(await samPort(), await samPort());
  routers = await makeNetwork({
    n: 5,
    extra: (i) => (i === 3 || i === 4 ? ['--sam.enabled=true', `--sam.port=${ports[i - 3]}`] : []),
  });
});

test.after.always(async () => {
  await Promise.all(routers.map((r) => r.stop()));
});

const pad = (b64: string) => b64 + '='.repeat((4 - (b64.length % 4)) % 4);
const sam = (i: 0 | 1) => ({ host: '127.0.0.1', portTCP: ports[i]!, portUDP: ports[i]! - 1 });

async function retry<T>(t: { log(...a: unknown[]): void }, what: string, f: () => Promise<T>, n = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= n) throw e;
      t.log(`${what}: attempt ${i} failed (${(e as Error).message.slice(0, 120)}), retrying`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

test.serial('i2p-sam library: STREAM sessions on two routers, FORWARD + CONNECT, 300 KB byte-exact both ways', async (t) => {
  t.timeout(4 * 60_000);
  const up = randomBytes(300 * 1024); // A → B
  const down = randomBytes(280 * 1024); // B → A
  let firstLine = '';
  let received = Buffer.alloc(0);
  let srvPort!: Promise<number>;
  const serverGot = new Promise<void>((resolve) => {
    const srv = createServer((c) => {
      let head = Buffer.alloc(0);
      let inBody = false;
      c.on('data', (d: Buffer) => {
        if (!inBody) {
          head = Buffer.concat([head, d]);
          const nl = head.indexOf(10);
          if (nl < 0) return;
          firstLine = head.subarray(0, nl).toString();
          inBody = true;
          d = head.subarray(nl + 1);
          c.write(down);
        }
        received = Buffer.concat([received, d]);
        if (received.length >= up.length) {
          c.end();
          resolve();
        }
      });
      c.on('error', () => undefined);
    });
    srv.listen(0, '127.0.0.1');
    t.teardown(() => srv.close());
    srvPort = new Promise((r) => srv.once('listening', () => r((srv.address() as AddressInfo).port)));
  });
  const fwd = await createForward({ sam: sam(1), forward: { host: '127.0.0.1', port: await srvPort }, session: { options: TUNNELS } });
  t.teardown(() => fwd.close());
  t.regex(fwd.getB32Address(), /^[a-z2-7]{52}\.b32\.i2p$/);

  const client: I2pSamStream = await retry(t, 'STREAM CONNECT', () =>
    createStream({ sam: sam(0), stream: { destination: fwd.getPublicKey() }, session: { options: TUNNELS } }),
  );
  t.teardown(() => client.close());
  let back = Buffer.alloc(0);
  const gotBack = new Promise<void>((resolve) => {
    client.on('data', (d: Buffer) => {
      back = Buffer.concat([back, d]);
      if (back.length >= down.length) resolve();
    });
  });
  client.stream(up);
  await Promise.all([serverGot, gotBack]);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  t.is(received.length, up.length);
  t.is(sha(received), sha(up));
  t.is(back.length, down.length);
  t.is(sha(back), sha(down));
  // SAM 3.3 (the library sends no MIN/MAX): the forwarded stream starts with the peer's destination and ports
  const [dest, ...rest] = firstLine.split(' ');
  // the library splits replies on '=' and so keeps keys without their base64 padding
  t.is(dest, pad(client.getPublicKey()));
  t.deepEqual(rest, ['FROM_PORT=0', 'TO_PORT=0']);

  // NAMING LOOKUP of a b32 through router A's bridge gives B's full destination
  const value = await retry(t, 'NAMING LOOKUP', () => lookup({ sam: sam(0) }, fwd.getB32Address()));
  t.is(pad(value as string), pad(fwd.getPublicKey()));
});

test.serial('i2p-sam library: repliable DATAGRAMs and RAW datagrams through the UDP ports arrive', async (t) => {
  t.timeout(4 * 60_000);
  const listen = [await freePort(), await freePort()];
  const inbox: { data: string; from: string }[] = [];
  // B at SAM 3.1: the forwarded datagram's first line is exactly the sender's destination
  const peerB = await createDatagram({ sam: { ...sam(1), versionMax: '3.1' }, listen: { address: '127.0.0.1', port: listen[0]! }, session: { options: TUNNELS } });
  t.teardown(() => peerB.close());
  peerB.on('data', (d: Buffer, from: string) => inbox.push({ data: d.toString(), from }));
  const peerA = await createDatagram({ sam: sam(0), session: { options: TUNNELS } });
  t.teardown(() => peerA.close());
  const rawIn: Buffer[] = [];
  const rawB = await createRaw({ sam: sam(1), listen: { address: '127.0.0.1', port: listen[1]! }, session: { options: TUNNELS } });
  t.teardown(() => rawB.close());
  rawB.on('data', (d: Buffer) => rawIn.push(d));
  const rawA = await createRaw({ sam: sam(0), session: { options: TUNNELS } });
  t.teardown(() => rawA.close());

  const raw = randomBytes(1000);
  // datagrams are best effort and the first ones wait for a LeaseSet lookup: send until some arrive
  for (let i = 0; i < 60 && (inbox.length < 3 || rawIn.length < 1); i++) {
    if (inbox.length < 3) peerA.send(peerB.getPublicKey(), Buffer.from(`hello ${i}`));
    if (rawIn.length < 1) rawA.send(rawB.getPublicKey(), raw);
    await until(() => inbox.length >= 3 && rawIn.length >= 1, 1_000, 50);
  }
  t.true(inbox.length >= 3, `repliable datagrams received: ${inbox.length}`);
  for (const m of inbox) {
    t.regex(m.data, /^hello \d+$/);
    t.is(m.from, pad(peerA.getPublicKey()), 'the repliable datagram names its verified sender');
  }
  t.is(toB32(inbox[0]!.from), toB32(peerA.getPublicKey()));
  t.true(rawIn.length >= 1);
  t.true(rawIn[0]!.equals(raw), 'raw payload byte-exact, no header');
});

// ------------------------------------------------------------------ by hand

class Sam {
  readonly sock: Socket;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  closed = false;
  readonly done: Promise<void>;

  constructor(port: number) {
    this.sock = netConnect({ host: '127.0.0.1', port });
    this.sock.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.sock.on('error', () => undefined);
    this.done = new Promise((r) =>
      this.sock.on('close', () => {
        this.closed = true;
        for (const w of this.#waiters.splice(0)) w();
        r();
      }),
    );
  }

  send(s: string | Uint8Array): void {
    this.sock.write(s);
  }

  /** The next line from the bridge; rejects when the socket closes first or after `ms`. */
  async line(ms = 20_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const nl = this.#buf.indexOf(10);
      if (nl >= 0) {
        const l = this.#buf.subarray(0, nl).toString();
        this.#buf = this.#buf.subarray(nl + 1);
        return l;
      }
      if (this.closed) throw new Error('closed');
      if (Date.now() > end) throw new Error('timeout');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  bytes(n: number): Buffer | undefined {
    if (this.#buf.length < n) return undefined;
    const b = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return b;
  }

  async cmd(s: string, ms?: number): Promise<string> {
    this.send(`${s}\n`);
    return this.line(ms);
  }

  close(): void {
    this.sock.destroy();
  }
}

const kv = (line: string, k: string) => new RegExp(`(?:^| )${k}=("(?:[^"\\\\]|\\\\.)*"|\\S*)`).exec(line)?.[1]?.replace(/^"|"$/g, '');

test.serial('raw socket: HELLO negotiation, garbage, 1 MB line, silent clients, DEST GENERATE', async (t) => {
  const bridge: SamBridge = await startSamBridge({
    port: 0,
    udpPort: 0,
    createDestination: (s) => routers[3]!.createDestination(s),
    limits: { helloTimeoutMs: 400, idleTimeoutMs: 600 },
  });
  t.teardown(() => bridge.close());
  const open = async () => {
    const s = new Sam(bridge.port);
    t.teardown(() => s.close());
    return s;
  };
  t.is(await (await open()).cmd('HELLO VERSION'), 'HELLO REPLY RESULT=OK VERSION=3.3');
  t.is(await (await open()).cmd('HELLO VERSION MIN=3.0 MAX=3.1'), 'HELLO REPLY RESULT=OK VERSION=3.1');
  t.is(await (await open()).cmd('hello version MIN=3 MAX=3'), 'HELLO REPLY RESULT=OK VERSION=3.3');
  const nov = await open();
  t.is(await nov.cmd('HELLO VERSION MIN=4.0'), 'HELLO REPLY RESULT=NOVERSION');
  await nov.done;
  const bad = await open();
  t.regex(await bad.cmd('HELLO VERSION MAX=three'), /^HELLO REPLY RESULT=I2P_ERROR MESSAGE="MAX is not a version/);
  await bad.done;
  const early = await open();
  t.regex(await early.cmd('STREAM CONNECT ID=x DESTINATION=y'), /^HELLO REPLY RESULT=I2P_ERROR MESSAGE="expected HELLO VERSION"$/);
  await early.done;

  // garbage after HELLO: an error line, and the socket still works
  const g = await open();
  await g.cmd('HELLO VERSION');
  t.regex(await g.cmd('\x00\x01\xff\xfe garbage "unterminated'), /^SESSION STATUS RESULT=I2P_ERROR MESSAGE=".*quote/);
  t.regex(await g.cmd('FROB NICATE A=1'), /^SESSION STATUS RESULT=I2P_ERROR MESSAGE="unknown command FROB NICATE"$/);
  t.is(await g.cmd('PING keepalive 42'), 'PONG keepalive 42');
  t.is(await g.cmd('PING'), 'PONG');

  // a 1 MB line: refused and closed; the bridge serves the next client
  const big = await open();
  await big.cmd('HELLO VERSION');
  big.send(Buffer.alloc(1024 * 1024, 0x41));
  t.regex(await big.line(), /^SESSION STATUS RESULT=I2P_ERROR MESSAGE="line longer than 8192 bytes"$/);
  await big.done;
  t.is(await (await open()).cmd('HELLO VERSION'), 'HELLO REPLY RESULT=OK VERSION=3.3');

  // silent clients: no HELLO, then HELLO and nothing more
  const silent = await open();
  t.regex(await silent.line(5_000), /^HELLO REPLY RESULT=I2P_ERROR MESSAGE="no HELLO within/);
  await silent.done;
  const idle = await open();
  await idle.cmd('HELLO VERSION');
  t.regex(await idle.line(5_000), /^SESSION STATUS RESULT=I2P_ERROR MESSAGE="no command within/);
  await idle.done;

  // DEST GENERATE: PUB is the Destination, PRIV parses as a PrivateKeyFile of that Destination
  const d = await open();
  await d.cmd('HELLO VERSION MAX=3.1');
  const reply = await d.cmd('DEST GENERATE SIGNATURE_TYPE=7');
  t.regex(reply, /^DEST REPLY PUB=\S+ PRIV=\S+$/);
  const pub = kv(reply, 'PUB')!;
  const priv = parsePrivateKeyFile(fromBase64(kv(reply, 'PRIV')!));
  t.is(toBase64(priv.identity.bytes), pub);
  t.is(priv.identity.sigType, 7);
  t.is(pub.length, 524, 'Ed25519 destination with its key certificate: 391 bytes');
  const named = parsePrivateKeyFile(fromBase64(kv(await d.cmd('DEST GENERATE SIGNATURE_TYPE=EdDSA_SHA512_Ed25519 CRYPTO_TYPE=4'), 'PRIV')!));
  t.is(named.identity.cryptoType, 4);
  t.regex(await d.cmd('DEST GENERATE SIGNATURE_TYPE=1'), /^DEST REPLY RESULT=I2P_ERROR MESSAGE="SIGNATURE_TYPE 1 is not supported/);
  t.regex(await d.cmd('NAMING LOOKUP NAME=ME'), /^NAMING REPLY RESULT=KEY_NOT_FOUND NAME=ME MESSAGE=/);
  t.regex(await d.cmd('NAMING LOOKUP NAME=www.example.com'), /^NAMING REPLY RESULT=INVALID_KEY NAME=www.example.com /);
  t.regex(await d.cmd(`NAMING LOOKUP NAME=${pub}`), new RegExp(`^NAMING REPLY RESULT=OK NAME=\\S+ VALUE=${pub.replace(/[-~]/g, '\\$&')}$`));
  t.true(bridge.stats.errors >= 8);
});

test.serial('raw socket: sessions, NAME=ME, DUPLICATED_ID/DEST, INVALID_KEY, ACCEPT + CONNECT, PRIMARY subsessions', async (t) => {
  t.timeout(4 * 60_000);
  const bridge = await startSamBridge({ port: 0, udpPort: 0, createDestination: (s) => routers[3]!.createDestination(s) });
  t.teardown(() => bridge.close());
  const open = async (hello = 'HELLO VERSION') => {
    const s = new Sam(bridge.port);
    t.teardown(() => s.close());
    t.regex(await s.cmd(hello), /^HELLO REPLY RESULT=OK/);
    return s;
  };
  const a = await open();
  const ra = await a.cmd(`SESSION CREATE STYLE=STREAM ID=alpha DESTINATION=TRANSIENT SIGNATURE_TYPE=7 ${TUNNELS}`, 120_000);
  t.regex(ra, /^SESSION STATUS RESULT=OK DESTINATION=\S+$/);
  const aKeys = parsePrivateKeyFile(fromBase64(kv(ra, 'DESTINATION')!));
  const aPub = toBase64(aKeys.identity.bytes);
  t.is(await a.cmd('NAMING LOOKUP NAME=ME'), `NAMING REPLY RESULT=OK NAME=ME VALUE=${aPub}`);
  t.regex(await a.cmd('SESSION CREATE STYLE=STREAM ID=again DESTINATION=TRANSIENT'), /^SESSION STATUS RESULT=I2P_ERROR MESSAGE="this socket already has a session/);

  const dup = await open();
  t.regex(await dup.cmd('SESSION CREATE STYLE=STREAM ID=alpha DESTINATION=TRANSIENT'), /^SESSION STATUS RESULT=DUPLICATED_ID/);
  await dup.done;
  const dupDest = await open();
  t.regex(await dupDest.cmd(`SESSION CREATE STYLE=STREAM ID=other DESTINATION=${kv(ra, 'DESTINATION')}`), /^SESSION STATUS RESULT=DUPLICATED_DEST/);
  await dupDest.done;
  const badKey = await open();
  t.regex(await badKey.cmd('SESSION CREATE STYLE=STREAM ID=k DESTINATION=AAAAbogus'), /^SESSION STATUS RESULT=INVALID_KEY/);
  await badKey.done;
  const badId = await open();
  t.regex(await badId.cmd('STREAM CONNECT ID=nobody DESTINATION=x'), /^STREAM STATUS RESULT=INVALID_ID/);
  await badId.done;

  // a second session, ACCEPT on alpha, CONNECT from beta; data both ways
  const b = await open();
  const rb = await b.cmd(`SESSION CREATE STYLE=STREAM ID=beta DESTINATION=TRANSIENT ${TUNNELS}`, 120_000);
  const bPub = toBase64(parsePrivateKeyFile(fromBase64(kv(rb, 'DESTINATION')!)).identity.bytes);
  const acc = await open();
  t.is(await acc.cmd('STREAM ACCEPT ID=alpha'), 'STREAM STATUS RESULT=OK');
  // SESSION CREATE answers once the tunnels exist (as i2pd), before the LeaseSet is published: an app that
  // connects at once can find no LeaseSet yet. Wait for alpha's publication, then retry like an app would.
  const atFloodfill = () => routers.slice(0, 2).some((r) => r.netdb?.store.getLeaseSet(aKeys.identity.hash) !== undefined);
  t.true(await until(atFloodfill, 60_000, 50), 'alpha\'s LeaseSet never reached a floodfill');
  let con: Sam | undefined;
  for (let i = 0; i < 6 && !con; i++) {
    const c = await open('HELLO VERSION MAX=3.1');
    const r = await c.cmd(`STREAM CONNECT ID=beta DESTINATION=${aPub} TO_PORT=7`, 120_000);
    if (r === 'STREAM STATUS RESULT=OK') con = c;
    else {
      t.log(`connect attempt ${i + 1}: ${r}`);
      await new Promise((res) => setTimeout(res, 2_000));
    }
  }
  if (!con) throw new Error('never connected');
  t.is(await acc.line(), `${bPub} FROM_PORT=0 TO_PORT=7`);
  con.send('ping from beta\n');
  t.is(await acc.line(), 'ping from beta');
  acc.send('pong from alpha\n');
  t.is(await con.line(), 'pong from alpha');

  // closing the control socket ends the session and its streams
  const before = bridge.sessionCount();
  a.close();
  t.true(await until(() => bridge.sessionCount() === before - 1, 5_000));
  await acc.done;
  t.pass();

  // PRIMARY with subsessions
  const p = await open();
  t.regex(await p.cmd(`SESSION CREATE STYLE=PRIMARY ID=prim DESTINATION=TRANSIENT ${TUNNELS}`, 120_000), /^SESSION STATUS RESULT=OK DESTINATION=/);
  t.is(await p.cmd('SESSION ADD STYLE=STREAM ID=web FROM_PORT=80'), 'SESSION STATUS RESULT=OK ID="web" MESSAGE="ADD web"');
  t.regex(await p.cmd('SESSION ADD STYLE=STREAM ID=web FROM_PORT=81'), /^SESSION STATUS RESULT=DUPLICATED_ID/);
  t.regex(await p.cmd('SESSION ADD STYLE=STREAM ID=web2 FROM_PORT=80'), /^SESSION STATUS RESULT=I2P_ERROR MESSAGE="subsession web already listens/);
  t.regex(await p.cmd('SESSION ADD STYLE=RAW ID=r PORT=9 PROTOCOL=6'), /^SESSION STATUS RESULT=I2P_ERROR MESSAGE="PROTOCOL 6 is not allowed/);
  t.is(await p.cmd('SESSION ADD STYLE=DATAGRAM ID=dg PORT=9999'), 'SESSION STATUS RESULT=OK ID="dg" MESSAGE="ADD dg"');
  t.is(await p.cmd('SESSION REMOVE ID=web'), 'SESSION STATUS RESULT=OK ID="web" MESSAGE="REMOVE web"');
  t.regex(await p.cmd('SESSION REMOVE ID=web'), /^SESSION STATUS RESULT=INVALID_ID/);
  const viaPrimary = await open();
  t.regex(await viaPrimary.cmd('STREAM ACCEPT ID=prim'), /^STREAM STATUS RESULT=I2P_ERROR MESSAGE="use a STREAM subsession/);
  p.send('QUIT\n');
  await p.done;
  t.true(await until(() => bridge.sessionCount() === 1, 5_000), `sessions left: ${bridge.sessionCount()}`); // beta
});
