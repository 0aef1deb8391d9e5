/**
 * clove ↔ clove NTCP2 over 127.0.0.1 sockets: Ntcp2Listener (Bob) and connectNtcp2 (Alice).
 */
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { ParseError } from '../../../data/errors.js';
import { CryptoError } from '../../../crypto/errors.js';
import { TerminationReason } from '../../../transport/ntcp2/frames.js';
import { Ntcp2Listener, type ListenerOptions } from '../../../transport/ntcp2/listener.js';
import { connectNtcp2, type I2npBlock, type Ntcp2Session, type SessionCloseInfo } from '../../../transport/ntcp2/session.js';
import { fakeVerifyRouterInfo, makePeer, type Peer } from './ntcp2-helpers.js';

const A = makePeer(11);
const B = makePeer(12);
const NET = 77; // a test netId

async function startBob(extra: Partial<ListenerOptions> = {}): Promise<{ listener: Ntcp2Listener; port: number }> {
  const listener = new Ntcp2Listener({
    host: '127.0.0.1',
    port: 0,
    staticKey: B.staticKey,
    routerHash: B.routerHash,
    iv: B.iv,
    netId: NET,
    verifyRouterInfo: fakeVerifyRouterInfo,
    ...extra,
  });
  const { port } = await listener.listen();
  return { listener, port };
}

function dial(port: number, alice: Peer = A, extra: Record<string, unknown> = {}): Promise<Ntcp2Session> {
  return connectNtcp2({
    host: '127.0.0.1',
    port,
    staticKey: alice.staticKey,
    routerInfo: alice.routerInfo,
    netId: NET,
    remote: { routerHash: B.routerHash, staticKey: B.staticKey.publicKey, iv: B.iv },
    ...extra,
  });
}

test('handshake and I2NP both ways over 127.0.0.1; close carries the reason', async (t) => {
  const { listener, port } = await startBob();
  const bobSession = once(listener, 'session') as Promise<[Ntcp2Session]>;
  const alice = await dial(port);
  const [bob] = await bobSession;
  t.deepEqual(alice.peer!.peerRouterHash, B.routerHash);
  t.deepEqual(bob.peer!.peerRouterHash, A.routerHash);
  t.is(listener.openSessions, 1);

  const got: I2npBlock[] = [];
  const bigBody = new Uint8Array(40_000).fill(0xab);
  const bobGot = new Promise<void>((resolve) =>
    bob.on('i2np', (m) => {
      got.push({ ...m, body: m.body.slice() });
      if (got.length === 4) resolve();
    }),
  );
  t.true(
    alice.sendI2NP([
      { msgType: 1, msgId: 10, expiration: 100, body: Uint8Array.of(1, 2, 3) },
      { msgType: 2, msgId: 11, expiration: 101, body: new Uint8Array(0) },
      { msgType: 18, msgId: 12, expiration: 102, body: bigBody },
      { msgType: 18, msgId: 13, expiration: 103, body: bigBody }, // does not fit in the same frame
    ]),
  );
  await bobGot;
  t.deepEqual(got.map((m) => [m.msgType, m.msgId, m.expiration, m.body.length]), [
    [1, 10, 100, 3],
    [2, 11, 101, 0],
    [18, 12, 102, 40_000],
    [18, 13, 103, 40_000],
  ]);
  t.deepEqual(got[2]!.body, bigBody);
  t.is(alice.stats.framesSent, 2);

  const aliceGot = once(alice, 'i2np') as Promise<[I2npBlock]>;
  bob.sendI2NP({ msgType: 3, msgId: 99, expiration: 5, body: Uint8Array.of(9) });
  const [m] = await aliceGot;
  t.is(m.msgId, 99);

  const riGot = once(alice, 'routerinfo') as Promise<[Uint8Array, boolean]>;
  bob.sendRouterInfo(B.routerInfo, true);
  const [ri, flood] = await riGot;
  t.deepEqual(ri, B.routerInfo);
  t.true(flood);

  const bobClosed = once(bob, 'close') as Promise<[SessionCloseInfo]>;
  const aliceClosed = once(alice, 'close') as Promise<[SessionCloseInfo]>;
  alice.close(TerminationReason.RouterShutdown);
  const [bi] = await bobClosed;
  t.is(bi.reason, TerminationReason.RouterShutdown);
  t.true(bi.remote);
  const [ai] = await aliceClosed;
  t.false(ai.remote);
  t.false(alice.sendI2NP({ msgType: 1, msgId: 1, expiration: 1, body: new Uint8Array(1) }));
  t.is(alice.stats.dropped, 1);
  await listener.close();
});

test('wrong netId: connect rejects, Bob bans the address and refuses the next connection', async (t) => {
  const { listener, port } = await startBob();
  const failed = once(listener, 'handshakeFailed') as Promise<[string, { reason: number; ban: boolean }]>;
  const err = await t.throwsAsync(dial(port, A, { netId: 3 }));
  // Bob closes without answering (TCP RST): Alice sees a reset or a close during the handshake
  t.true(['ECONNRESET', 'CLOSED_DURING_HANDSHAKE'].includes((err as { code?: string }).code ?? ''), String(err));
  const [addr, f] = await failed;
  t.is(addr, '127.0.0.1');
  t.is(f.reason, TerminationReason.Message1Error);
  t.true(f.ban);
  t.true(listener.isBanned('127.0.0.1'));
  await t.throwsAsync(dial(port));
  t.is(listener.refused, 1);
  await listener.close();
});

test('clock skew: Alice learns Bob refused her time (ClockSkew), neither side established', async (t) => {
  const { listener, port } = await startBob();
  const failed = once(listener, 'handshakeFailed') as Promise<[string, { reason: number }]>;
  const err = await t.throwsAsync(dial(port, A, { now: () => Date.now() + 300_000 }));
  t.is((err as ParseError).code, 'CLOCK_SKEW');
  const [, f] = await failed;
  t.is(f.reason, TerminationReason.ClockSkew);
  t.is(listener.openSessions, 0);
  await listener.close();
});

test('handshake timeout: a silent client is dropped by Bob', async (t) => {
  const { listener, port } = await startBob({ handshakeTimeoutMs: 200 });
  const sock: Socket = connect({ host: '127.0.0.1', port });
  sock.on('error', () => {});
  const closed = new Promise((resolve) => sock.once('close', resolve)); // events.once would reject on ECONNRESET
  const failed = once(listener, 'handshakeFailed') as Promise<[string, { error: ParseError }]>;
  await once(sock, 'connect');
  sock.write(new Uint8Array(10)); // partial message 1, then silence
  const [, f] = await failed;
  t.is(f.error.code, 'HANDSHAKE_TIMEOUT');
  await closed;
  t.is(listener.pendingHandshakes, 0);
  await listener.close();
});

test('Alice times out against a Bob that never answers', async (t) => {
  const { createServer } = await import('node:net');
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const err = await t.throwsAsync(dial(port, A, { handshakeTimeoutMs: 200 }));
  t.is((err as ParseError).code, 'HANDSHAKE_TIMEOUT');
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

test('garbage data phase frame: receiver terminates with an AEAD failure reason', async (t) => {
  const { listener, port } = await startBob();
  const bobSession = once(listener, 'session') as Promise<[Ntcp2Session]>;
  const alice = await dial(port);
  const [bob] = await bobSession;
  const bobClosed = once(bob, 'close') as Promise<[SessionCloseInfo]>;
  const aliceClosed = once(alice, 'close') as Promise<[SessionCloseInfo]>;
  // Raw bytes that are not a valid frame, written under the session (more than any frame length)
  alice.socket.write(new Uint8Array(70_000).fill(7));
  const [bi] = await bobClosed;
  t.false(bi.remote);
  t.true(bi.reason === TerminationReason.DataPhaseAEADFailure || bi.reason === TerminationReason.AEADFramingError);
  t.true(bi.error instanceof CryptoError || bi.error instanceof ParseError);
  // Bob's direction is intact, so Alice decodes his Termination block
  const [ai] = await aliceClosed;
  t.true(ai.remote);
  t.is(ai.reason, bi.reason);
  await listener.close();
});

test('idle timeout closes with IdleTimeout and the peer sees the reason', async (t) => {
  const { listener, port } = await startBob({ idleTimeoutMs: 300 });
  const bobSession = once(listener, 'session') as Promise<[Ntcp2Session]>;
  const alice = await dial(port, A, { idleTimeoutMs: 60_000 });
  await bobSession;
  const [ai] = (await once(alice, 'close')) as [SessionCloseInfo];
  t.is(ai.reason, TerminationReason.IdleTimeout);
  t.true(ai.remote);
  await listener.close();
});

test('abort signal rejects the dial', async (t) => {
  const { listener, port } = await startBob();
  const ac = new AbortController();
  const p = dial(port, A, { signal: ac.signal });
  ac.abort(new Error('stop'));
  await t.throwsAsync(p);
  await listener.close();
});

test('maxPendingHandshakes bounds handshakes in progress', async (t) => {
  const { listener, port } = await startBob({ maxPendingHandshakes: 1, handshakeTimeoutMs: 2000 });
  const first: Socket = connect({ host: '127.0.0.1', port });
  first.on('error', () => {});
  await once(first, 'connect');
  first.write(new Uint8Array(5)); // keeps a handshake pending
  await new Promise((r) => setTimeout(r, 50));
  t.is(listener.pendingHandshakes, 1);
  await t.throwsAsync(dial(port));
  t.is(listener.refused, 1);
  first.destroy();
  await new Promise((r) => setTimeout(r, 50));
  t.is(listener.pendingHandshakes, 0);
  const ok = await dial(port);
  t.true(ok.isEstablished);
  ok.destroy();
  await listener.close();
});
