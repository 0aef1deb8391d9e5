/**
 * SAM v3 command lines (client/sam/protocol.ts): quoting, escapes, case, empty values, HELLO negotiation,
 * the line buffer's bound, UDP datagram headers; fast-check round trips and never-throw on random input.
 * Spec: ../shared/specs/docs/api-samv3.html ("Encoding and Escaping", "SAM Connection Handshake").
 */
import test from 'ava';
import fc from 'fast-check';
import {
  formatCommand,
  LineBuffer,
  MAX_LINE_BYTES,
  negotiateVersion,
  parseCommand,
  parseUdpDatagram,
  SamParseError,
  tokenize,
} from '../../../client/sam/protocol.js';

const params = (line: string) => Object.fromEntries(parseCommand(line).params);

test('command and subcommand are upper-cased; keys and values keep their case', (t) => {
  const c = parseCommand('hello version MIN=3.0 max=3.3');
  t.is(c.verb, 'HELLO');
  t.is(c.sub, 'VERSION');
  t.deepEqual(Object.fromEntries(c.params), { MIN: '3.0', max: '3.3' });
  t.deepEqual(params('SESSION CREATE STYLE=STREAM inbound.length=1 i2cp.leaseSetEncType=4,0'), {
    STYLE: 'STREAM',
    'inbound.length': '1',
    'i2cp.leaseSetEncType': '4,0',
  });
});

test('quotes group whitespace; backslash escapes quote and backslash; other backslashes stay', (t) => {
  t.deepEqual(params('X Y MESSAGE="two  words" B=plain'), { MESSAGE: 'two  words', B: 'plain' });
  t.deepEqual(params('X Y A="say \\"hi\\"" B=back\\\\slash C=a\\nb'), { A: 'say "hi"', B: 'back\\slash', C: 'a\\nb' });
  t.deepEqual(params('X Y A=x"y z"w'), { A: 'xy zw' }, 'a quote toggles quoting inside a token');
  t.deepEqual(params('X Y A="k=v"'), { A: 'k=v' });
  t.deepEqual(params('X Y DESTINATION=abc=='), { DESTINATION: 'abc==' }, 'only the first = splits');
  t.deepEqual(params('X  Y\tA=1   B=2 \r'), { A: '1', B: '2' }, 'runs of spaces and tabs, trailing CR');
  const e = t.throws(() => parseCommand('X Y A="open'));
  t.true(e instanceof SamParseError);
  t.is((e as SamParseError).code, 'UNTERMINATED_QUOTE');
});

test('empty values: KEY, KEY= and KEY="" are all the empty string; the last repeated key wins', (t) => {
  t.deepEqual(params('X Y A B= C=""'), { A: '', B: '', C: '' });
  t.deepEqual(params('X Y A=1 A=2'), { A: '2' });
});

test('a second word with = is a parameter; commands alone; PING/PONG keep their text', (t) => {
  const c = parseCommand('QUIT');
  t.is(c.verb, 'QUIT');
  t.is(c.sub, '');
  const d = parseCommand('FOO A=1');
  t.is(d.sub, '');
  t.deepEqual(Object.fromEntries(d.params), { A: '1' });
  t.deepEqual({ ...parseCommand('PING  some "text" here') }, { verb: 'PING', sub: '', params: new Map(), text: ' some "text" here' });
  t.is(parseCommand('ping').text, '');
  t.is(parseCommand('PONG 123').verb, 'PONG');
  t.throws(() => parseCommand('   '), { instanceOf: SamParseError });
  t.throws(() => parseCommand('=x A=1'), { instanceOf: SamParseError });
});

test('formatCommand quotes only when needed (and MESSAGE when asked); it refuses line breaks', (t) => {
  t.is(formatCommand('HELLO', 'REPLY', [['RESULT', 'OK'], ['VERSION', '3.1']]), 'HELLO REPLY RESULT=OK VERSION=3.1\n');
  t.is(
    formatCommand('SESSION', 'STATUS', [['RESULT', 'I2P_ERROR'], ['MESSAGE', 'bad']], { alwaysQuote: ['MESSAGE'] }),
    'SESSION STATUS RESULT=I2P_ERROR MESSAGE="bad"\n',
  );
  t.is(formatCommand('A', 'B', [['K', 'say "x" \\ y']]), 'A B K="say \\"x\\" \\\\ y"\n');
  t.is(formatCommand('A', 'B', [['K', ''], ['L', undefined]]), 'A B K="" L\n');
  t.throws(() => formatCommand('A', 'B', [['K', 'a\nb']]), { instanceOf: RangeError });
  t.throws(() => formatCommand('A', 'B', [['K=', 'x']]), { instanceOf: RangeError });
});

const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,11}$/);
const key = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,16}$/);
const value = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));

test('fast-check: parse(format(x)) gives x back (upper-cased words, values with any printable text)', (t) => {
  fc.assert(
    fc.property(word, word, fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 8 }), (verb, sub, ps) => {
      fc.pre(!/^(PING|PONG)$/i.test(verb));
      const c = parseCommand(formatCommand(verb, sub, ps).slice(0, -1));
      t.is(c.verb, verb.toUpperCase());
      t.is(c.sub, sub.toUpperCase());
      t.deepEqual(c.params, new Map(ps));
    }),
  );
});

test('fast-check: random lines parse or throw SamParseError, never anything else', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      try {
        parseCommand(s);
        tokenize(s);
      } catch (e) {
        t.true(e instanceof SamParseError, String(e));
      }
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try {
        parseUdpDatagram(b);
      } catch (e) {
        t.true(e instanceof SamParseError, String(e));
      }
    }),
  );
});

test('HELLO negotiation: highest common version in [MIN, MAX], single digits, errors', (t) => {
  const v = (min?: string, max?: string) => {
    const n = negotiateVersion(min, max);
    return n.ok ? n.version : n.result;
  };
  t.is(v(), '3.3');
  t.is(v('3.0', '3.1'), '3.1');
  t.is(v('3.1', '3.1'), '3.1');
  t.is(v('3', '3'), '3.3', 'MAX=3 means any 3.x');
  t.is(v(undefined, '3.0'), '3.0');
  t.is(v('3.2'), '3.3');
  t.is(v('1.0', '3.2'), '3.2');
  t.is(v('2.0', '2.0'), 'NOVERSION');
  t.is(v('4.0'), 'NOVERSION');
  t.is(v('3.2', '3.1'), 'NOVERSION');
  t.is(v('3.1', '99'), '3.3');
  t.is(v('abc'), 'I2P_ERROR');
  t.is(v(undefined, '3.x'), 'I2P_ERROR');
});

test('LineBuffer: lines across chunks, CR dropped, bytes after a line kept, overflow past the bound', (t) => {
  const b = new LineBuffer();
  b.push(Buffer.from('HELLO VER'));
  t.deepEqual(b.next(), { type: 'more' });
  b.push(Buffer.from('SION\r\nSTREAM CONNECT ID=x\nbinary\x00\xff'));
  t.deepEqual(b.next(), { type: 'line', line: 'HELLO VERSION' });
  t.deepEqual(b.next(), { type: 'line', line: 'STREAM CONNECT ID=x' });
  t.deepEqual(Buffer.from(b.take(3)!).toString(), 'bin');
  t.is(b.take(100), undefined);
  t.deepEqual([...b.takeAll()], [...Buffer.from('ary\x00\xff')]);
  const big = new LineBuffer();
  big.push(new Uint8Array(MAX_LINE_BYTES).fill(65));
  t.deepEqual(big.next(), { type: 'more' }, 'exactly the bound is still allowed to grow a newline');
  big.push(Uint8Array.of(65));
  t.deepEqual(big.next(), { type: 'overflow' });
  const big2 = new LineBuffer();
  big2.push(Buffer.concat([new Uint8Array(MAX_LINE_BYTES + 5).fill(66), Buffer.from('\n')]));
  t.deepEqual(big2.next(), { type: 'overflow' }, 'a complete but over-long line is refused too');
});

test('UDP datagram header: 3.x ID DESTINATION [options] then the payload, verbatim', (t) => {
  const payload = Uint8Array.of(0, 10, 13, 255);
  const d = parseUdpDatagram(Buffer.concat([Buffer.from('3.0 sess AAAA== FROM_PORT=5 TO_PORT=7\n'), payload]));
  t.is(d.version, '3.0');
  t.is(d.id, 'sess');
  t.is(d.destination, 'AAAA==');
  t.deepEqual(Object.fromEntries(d.params), { FROM_PORT: '5', TO_PORT: '7' });
  t.deepEqual([...d.payload], [...payload]);
  t.is(parseUdpDatagram(Buffer.from('3.3 s x\n')).payload.length, 0);
  for (const bad of ['2.0 s x\n', '3.0 s\n', 'no newline', '3.0 s x y="\n']) {
    t.throws(() => parseUdpDatagram(Buffer.from(bad)), { instanceOf: SamParseError }, bad);
  }
});
