import test from 'ava';
import fc from 'fast-check';
import { MAX_HANDSHAKE_BYTES, SocksHandshake, type SocksStep } from '../../../proxy/socks-protocol.js';

/** Feed `chunks` and collect steps until 'request' or 'fail'. */
function run(chunks: Uint8Array[]): SocksStep[] {
  const hs = new SocksHandshake();
  const steps: SocksStep[] = [];
  for (const c of chunks) {
    hs.push(c);
    for (;;) {
      const s = hs.next();
      if (s.type === 'more') break;
      steps.push(s);
      if (s.type === 'request' || s.type === 'fail') return steps;
    }
  }
  return steps;
}

const split = (b: Uint8Array, cuts: number[]): Uint8Array[] => {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const a of [...at, b.length]) {
    out.push(b.subarray(prev, a));
    prev = a;
  }
  return out;
};

test('SOCKS5 method choice and domain request parse the same whatever the chunking; trailing bytes are kept', (t) => {
  const host = Buffer.from('abc.b32.i2p');
  // Offering only user/pass (2): the method reply is 05 02 and sub-negotiation is expected next; the request
  // bytes that follow are not a valid RFC 1929 message (version 5), so the parser fails cleanly.
  const msg = Buffer.concat([Buffer.of(5, 1, 2), Buffer.of(5, 1, 0, 3, host.length), host, Buffer.of(0x1f, 0x90)]);
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
      const steps = run(split(msg, cuts));
      t.deepEqual(steps[0], { type: 'reply', reply: Uint8Array.of(5, 2) }, 'user/pass chosen when no-auth is not offered');
      return steps.length === 2 && steps[1]!.type === 'fail';
    }),
    { numRuns: 50 },
  );
  const noAuth = Buffer.concat([Buffer.of(5, 2, 2, 0), Buffer.of(5, 1, 0, 3, host.length), host, Buffer.of(0x1f, 0x90), Buffer.from('tail')]);
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
      const hs = new SocksHandshake();
      const steps: SocksStep[] = [];
      outer: for (const c of split(noAuth, cuts)) {
        hs.push(c);
        for (;;) {
          const st = hs.next();
          if (st.type === 'more') break;
          steps.push(st);
          if (st.type !== 'reply') break outer;
        }
      }
      t.deepEqual(steps[0], { type: 'reply', reply: Uint8Array.of(5, 0) });
      t.deepEqual(steps[1], { type: 'request', request: { version: 5, command: 1, target: { type: 'domain', host: 'abc.b32.i2p' }, port: 8080 } });
      // Whatever part of 'tail' had arrived when the request completed is kept, in order.
      t.true('tail'.startsWith(Buffer.from(hs.rest()).toString()));
      return true;
    }),
    { numRuns: 200 },
  );
});

test('SOCKS4a and IPv6 requests', (t) => {
  const s4 = run([Buffer.concat([Buffer.of(4, 1, 0, 80, 0, 0, 0, 9), Buffer.from('user\0'), Buffer.from('x.i2p\0')])]);
  t.like(s4[0], { type: 'request', request: { version: 4, command: 1, port: 80, target: { type: 'domain', host: 'x.i2p' } } });
  const s6 = run([Buffer.of(5, 1, 0), Buffer.concat([Buffer.of(5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8), Buffer.alloc(11), Buffer.of(1, 0, 22)])]);
  t.like(s6[1], { type: 'request', request: { target: { type: 'ipv6', host: '2001:db8:0:0:0:0:0:1' }, port: 22 } });
});

test('random bytes: the parser only ever returns steps (never throws), and never buffers past its cap', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }), (chunks) => {
      const hs = new SocksHandshake();
      for (const c of chunks) {
        hs.push(c);
        let s = hs.next();
        while (s.type === 'reply') s = hs.next();
        if (s.type === 'fail' || s.type === 'request') return true;
        if (hs.rest().length > MAX_HANDSHAKE_BYTES + 600) return false;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
