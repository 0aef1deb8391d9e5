import test from 'ava';
import fc from 'fast-check';
import { ParseError } from '../../../../data/errors.js';
import { toBase64, toBase32 } from '../../../../data/base64.js';
import { generateDestinationKeys } from '../../../../data/private-key-file.js';
import { parseHostsTxt, serializeHostsTxt } from '../../../../proxy/addressbook/hosts-txt.js';
import { hostNameProblem, isValidHostName, type HostNameProblem } from '../../../../proxy/addressbook/names.js';

const dests = Array.from({ length: 6 }, (_, i) => generateDestinationKeys({ cryptoType: i % 2 === 0 ? 4 : 0 }).identity);
const b64 = dests.map((d) => toBase64(d.bytes));

test('a real-looking hosts.txt: comments, metadata, CRLF, BOM, bad lines skipped and counted', (t) => {
  const text =
    '\uFEFF# hosts.txt from a subscription\r\n' +
    `alpha.i2p=${b64[0]}\r\n` +
    '\r\n' +
    `; a Java-style comment\r\n` +
    `Beta.I2P=${b64[1]}#!sig=AAAA#date=1700000000\r\n` +
    `#!action=remove#name=gone.i2p#dest=${b64[2]}#sig=xyz\r\n` +
    `${toBase32(dests[2]!.hash)}.b32.i2p=${b64[2]}\r\n` + // b32 names are not importable
    `proxy.i2p=${b64[2]}\r\n` + // reserved
    `gamma.i2p=${b64[2]!.slice(0, -8)}\r\n` + // truncated destination
    `this line has no equals sign\r\n` +
    `delta.i2p = ${b64[3]} # trailing comment\r\n` +
    `bad..name.i2p=${b64[4]}\r\n` +
    `epsilon.i2p=${b64[4]}#!not-a-kv-pair\r\n` + // malformed metadata keeps the entry
    `alpha.i2p=${b64[5]}`; // duplicate, no final newline: the last line wins
  const r = parseHostsTxt(Buffer.from(text, 'utf8'));
  t.deepEqual(
    r.entries.map((e) => [e.name, e.base64]),
    [
      ['alpha.i2p', b64[5]],
      ['beta.i2p', b64[1]],
      ['delta.i2p', b64[3]],
      ['epsilon.i2p', b64[4]],
    ],
  );
  t.deepEqual(r.entries[1]!.meta, { sig: 'AAAA', date: '1700000000' });
  t.is(r.entries[3]!.meta, undefined);
  t.deepEqual(r.entries[0]!.destination.hash, dests[5]!.hash);
  t.is(r.lines, 14);
  t.is(r.commands, 1);
  t.is(r.duplicates, 1);
  t.deepEqual(r.skipped, { LINE_TOO_LONG: 0, NO_EQUALS: 1, BAD_NAME: 3, BAD_DESTINATION: 1, TOO_MANY: 0 });
  t.is(r.skippedTotal, 5);
  t.deepEqual(
    r.problems.map((p) => [p.line, p.reason, p.detail]),
    [
      [7, 'BAD_NAME', 'B32'],
      [8, 'BAD_NAME', 'RESERVED'],
      [9, 'BAD_DESTINATION', 'TRUNCATED'],
      [10, 'NO_EQUALS', 'no name=destination'],
      [12, 'BAD_NAME', 'BAD_DOTS_DASHES'],
    ],
  );
});

test('bounds: long lines are skipped, entries are capped, an oversized input is refused whole', (t) => {
  const long = `long.i2p=${'A'.repeat(9000)}`;
  const r = parseHostsTxt(`${long}\nok.i2p=${b64[0]}\n`);
  t.deepEqual(r.entries.map((e) => e.name), ['ok.i2p']);
  t.is(r.skipped.LINE_TOO_LONG, 1);

  const many = dests.map((_, i) => `n${i}.i2p=${b64[i]}`).join('\n');
  const capped = parseHostsTxt(many, { maxEntries: 4 });
  t.deepEqual(capped.entries.map((e) => e.name), ['n0.i2p', 'n1.i2p', 'n2.i2p', 'n3.i2p']);
  t.is(capped.skipped.TOO_MANY, 2);

  const e = t.throws(() => parseHostsTxt(new Uint8Array(2000), { maxBytes: 1999 }), { instanceOf: ParseError });
  t.is(e.code, 'TOO_LARGE');
  t.notThrows(() => parseHostsTxt(new Uint8Array(1999), { maxBytes: 1999 }));
});

test('name rules (naming.html, Java I2P isValidKey)', (t) => {
  for (const ok of ['a.i2p', 'example.i2p', 'sub.example.i2p', 'xn--bcher-kva.i2p', 'www.xn--80ak6aa92e.i2p', 'a-b.i2p', `${'a'.repeat(63)}.i2p`]) {
    t.true(isValidHostName(ok), ok);
  }
  const bad: [string, HostNameProblem][] = [
    ['example.com', 'NOT_I2P'],
    ['.i2p', 'NOT_I2P'],
    [`${'a'.repeat(64)}.i2p`, 'TOO_LONG'],
    ['Upper.i2p', 'BAD_CHARS'],
    ['under_score.i2p', 'BAD_CHARS'],
    ['sp ace.i2p', 'BAD_CHARS'],
    ['-a.i2p', 'BAD_DOTS_DASHES'],
    ['.a.i2p', 'BAD_DOTS_DASHES'],
    ['a..b.i2p', 'BAD_DOTS_DASHES'],
    ['a-.i2p', 'BAD_DOTS_DASHES'],
    ['a.-b.i2p', 'BAD_DOTS_DASHES'],
    ['a--b.i2p', 'BAD_DOTS_DASHES'],
    ['b32.i2p', 'B32'],
    [`${'a'.repeat(52)}.b32.i2p`, 'B32'],
    [`${'a'.repeat(52)}.i2p`, 'B32'],
    ['proxy.i2p', 'RESERVED'],
    ['x.router.i2p', 'RESERVED'],
    ['console.i2p', 'RESERVED'],
  ];
  for (const [name, why] of bad) t.is(hostNameProblem(name), why, name);
});

test('serializeHostsTxt → parseHostsTxt gives the same book', (t) => {
  const rows = dests.map((_, i) => [`site${i}.i2p`, b64[i]!] as const);
  const text = serializeHostsTxt([...rows].reverse());
  t.true(text.startsWith(`site0.i2p=${b64[0]}\n`));
  const back = parseHostsTxt(text);
  t.deepEqual(back.entries.map((e) => [e.name, e.base64]), rows.map(([n, d]) => [n, d]));
  t.is(back.skippedTotal, 0);
});

test('fuzz: random bytes never throw anything but ParseError', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 1, max: 5000 }), (bytes, maxBytes) => {
      try {
        const r = parseHostsTxt(bytes, { maxBytes, maxLineLength: 200 });
        return r.entries.length === 0 && r.skippedTotal <= r.lines;
      } catch (e) {
        return e instanceof ParseError && e.code === 'TOO_LARGE' && bytes.length > maxBytes;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('fuzz: valid lines survive any garbage around them', (t) => {
  const garbageLine = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: fc.constantFrom('=', '#', '!', ';', 'a', '.', 'i', '2', 'p', ' ', '\t', '~', '-'), maxLength: 80 }),
    fc.constant(`x.i2p=${b64[0]!.slice(0, 100)}`),
  );
  fc.assert(
    fc.property(fc.array(garbageLine, { maxLength: 30 }), fc.array(garbageLine, { maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\r'), (before, after, eol) => {
      const lines = [...before, `keep.i2p=${b64[1]}`, ...after].map((l) => l.replace(/keep\.i2p/gi, 'k'));
      lines[before.length] = `keep.i2p=${b64[1]}`;
      const r = parseHostsTxt(lines.join(eol), { maxLineLength: 1000 });
      const kept = r.entries.find((e) => e.name === 'keep.i2p');
      return kept !== undefined && kept.base64 === b64[1];
    }),
    { numRuns: 500 },
  );
  t.pass();
});
