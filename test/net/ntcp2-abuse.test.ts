/**
 * A running clove router's NTCP2 listener under bad input (issue "NTCP2…", done-when): garbage, a truncated
 * SessionRequest, a replayed SessionRequest, a wrong netId and a skewed clock. Each is refused with the
 * right termination reason, the router keeps serving its established session (I2NP still flows both ways),
 * a fresh good peer can still connect, and nothing crashes. Each attacker uses its own loopback source
 * address (127.0.0.x), because a wrong netId bans the address it came from.
 */
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { makeRouter, seed, testNetId, until } from '../helpers/net.js';
import { connectNtcp2 } from '../../transport/ntcp2/session.js';
import { Ntcp2Initiator } from '../../transport/ntcp2/handshake.js';
import { TerminationReason } from '../../transport/ntcp2/frames.js';
import { X25519Key } from '../../crypto/x25519.js';
import { fromBase64 } from '../../data/base64.js';
import { addressOption } from '../../data/router-info.js';
import { I2NPType } from '../../i2np/header.js';
import type { Router } from '../../router/router.js';

/**
 * Connect from `localAddress`, write `chunks`, optionally end. `received()` counts bytes the router sent;
 * `closed` resolves when the router closes the socket.
 */
function raw(port: number, localAddress: string, chunks: Uint8Array[], end: boolean): { received: () => number; closed: Promise<number> } {
  let received = 0;
  const closed = new Promise<number>((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port, localAddress });
    s.on('data', (d) => (received += d.length));
    s.on('error', () => undefined);
    s.on('close', () => resolve(received));
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
      if (end) s.end();
    });
    setTimeout(() => s.destroy(), 15_000).unref();
  });
  return { received: () => received, closed };
}

function bob(r: Router): { routerHash: Uint8Array; staticKey: Uint8Array; iv: Uint8Array; port: number } {
  const a = r.routerInfo.addresses[0]!;
  return {
    routerHash: r.routerInfo.identity.hash,
    staticKey: fromBase64(addressOption(a, 's')!),
    iv: fromBase64(addressOption(a, 'i')!),
    port: Number(addressOption(a, 'port')),
  };
}

async function ping(from: Router, to: Router, msgId: number): Promise<boolean> {
  const before = to.i2npStats.received.DeliveryStatus ?? 0;
  const payload = new Uint8Array(12);
  new DataView(payload.buffer).setUint32(0, msgId);
  from.transports!.send(to.routerInfo.identity.hash, { type: I2NPType.DeliveryStatus, msgId, expiration: Date.now() + 60_000, payload });
  return until(() => (to.i2npStats.received.DeliveryStatus ?? 0) === before + 1, 5_000);
}

test('bad handshakes are refused with the right reasons while the good session keeps working', async (t) => {
  const netId = testNetId();
  const victim = await makeRouter({ netId, floodfill: true });
  const friend = await makeRouter({ netId });
  const late = await makeRouter({ netId, host: '127.0.0.9' });
  try {
    await victim.start();
    await seed(friend, victim);
    await friend.start();
    t.true(await until(() => victim.status().peers.ntcp2 === 1));
    const established = victim.transports!.sessions()[0]!.established;
    const b = bob(victim);
    const reasons = () => victim.transports!.stats.handshakeFailureReasons;
    const failures = () => victim.transports!.stats.handshakesFailed;

    // 1. Garbage: 64 random bytes + junk. Message 1 cannot be decrypted: Message1Error; the router resets
    //    after a random delay (probing resistance) and never answers.
    t.is(await raw(b.port, '127.0.0.2', [randomBytes(64), randomBytes(200)], false).closed, 0);
    t.true(await until(() => reasons()[TerminationReason.Message1Error] === 1), JSON.stringify(reasons()));

    // A real SessionRequest (message 1) from an Alice who knows the victim's address.
    const alice = new Ntcp2Initiator({
      staticKey: X25519Key.generate(),
      netId,
      routerInfo: friend.routerInfo.raw,
      remote: { routerHash: b.routerHash, staticKey: b.staticKey, iv: b.iv },
    });
    const m1 = alice.start().send!;

    // 2. Truncated: half of message 1, then EOF. Nothing is answered, no session appears.
    t.is(await raw(b.port, '127.0.0.3', [m1.subarray(0, 40)], true).closed, 0);
    t.is(victim.status().peers.ntcp2, 1);

    // 3. Replay: the full message 1 is answered once (a SessionCreated of 64+ bytes), refused the second
    //    time with Message1Error (the replay cache), without an answer.
    const first = raw(b.port, '127.0.0.4', [m1], false);
    t.true(await until(() => first.received() >= 64), 'the SessionRequest was not answered with a SessionCreated');
    const before = failures();
    const m1Before = reasons()[TerminationReason.Message1Error] ?? 0;
    t.is(await raw(b.port, '127.0.0.5', [m1], false).closed, 0, 'a replayed SessionRequest got an answer');
    t.true(await until(() => failures() === before + 1));
    t.is(reasons()[TerminationReason.Message1Error], m1Before + 1);
    await first.closed; // the router gives up on the first one (no SessionConfirmed) and closes it

    // 4. Wrong netId: refused (Message1Error) and the source address banned.
    const wrongNet = await t.throwsAsync(
      connectNtcp2({
        host: '127.0.0.1',
        port: b.port,
        localAddress: '127.0.0.6',
        staticKey: X25519Key.generate(),
        netId: netId + 1,
        routerInfo: friend.routerInfo.raw,
        remote: { routerHash: b.routerHash, staticKey: b.staticKey, iv: b.iv },
      }),
    );
    t.truthy(wrongNet);
    t.true(await until(() => reasons()[TerminationReason.Message1Error] === m1Before + 2), JSON.stringify(reasons()));

    // 5. Skewed clock (+10 minutes): refused with ClockSkew, which the router counts.
    const skew = await t.throwsAsync(
      connectNtcp2({
        host: '127.0.0.1',
        port: b.port,
        localAddress: '127.0.0.7',
        staticKey: X25519Key.generate(),
        netId,
        now: () => Date.now() + 600_000,
        routerInfo: friend.routerInfo.raw,
        remote: { routerHash: b.routerHash, staticKey: b.staticKey, iv: b.iv },
      }),
    );
    t.is((skew as { code?: string }).code, 'CLOCK_SKEW');
    t.true(await until(() => (reasons()[TerminationReason.ClockSkew] ?? 0) === 1));

    // The good session is the same one, and I2NP still flows both ways over it.
    const s = victim.transports!.sessions();
    t.is(s.length, 1);
    t.is(s[0]!.established, established);
    t.true(await ping(victim, friend, 1111));
    t.true(await ping(friend, victim, 2222));
    // A new good peer (from an address that was not banned) still gets in.
    await seed(late, victim);
    await late.start();
    t.true(await until(() => victim.status().peers.ntcp2 === 2), JSON.stringify(victim.transports!.stats));
    t.is(victim.netdb!.stats().dropped.parse, 0);
  } finally {
    await Promise.all([late.stop(), friend.stop()]);
    await victim.stop();
  }
});
