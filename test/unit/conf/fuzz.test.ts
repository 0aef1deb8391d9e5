import test from 'ava';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../conf/errors.js';
import { loadConfig, parseOptionValue } from '../../../conf/load.js';
import { OPTION_NAMES, SCHEMA, type OptionSpec } from '../../../conf/schema.js';
import { parseTunnels } from '../../../conf/tunnels.js';
import { tempDir } from './helpers.js';

/** Run fn; anything thrown that is not a ConfigError fails the property. */
function onlyConfigError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
  return true;
}

// Text made of the characters that matter to the parsers, plus arbitrary unicode.
const interesting = fc.constantFrom('[', ']', '=', '#', ';', '\n', '\r', ' ', '\t', '.', ',', '-', '\ufeff', 'a', '1');
const token = fc.oneof(
  fc.constantFrom(...OPTION_NAMES.slice(0, 40), 'ntcp2', 'port', 'enabled', 'true', 'false', '__proto__', 'constructor', 'type', 'client', 'server'),
  fc.string({ unit: interesting, maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const text = fc.array(token, { maxLength: 60 }).map((a) => a.join(''));

test('random config file text makes loadConfig throw nothing but ConfigError', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'fuzz.conf');
  fc.assert(
    fc.property(text, (s) => {
      writeFileSync(file, s);
      return onlyConfigError(() => loadConfig({ argv: [`--conf=${file}`], homedir: dir, cwd: dir }));
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('random argv makes loadConfig throw nothing but ConfigError', (t) => {
  const dir = tempDir(t);
  const arg = fc.oneof(
    fc.constantFrom(...OPTION_NAMES).chain((n) => fc.tuple(fc.constantFrom('--', '-'), fc.constant(n), fc.option(token)))
      .map(([dash, n, v]) => (v === null ? `${dash}${n}` : `${dash}${n}=${v}`)),
    token,
  );
  fc.assert(
    fc.property(fc.array(arg, { maxLength: 8 }), (argv) =>
      onlyConfigError(() => loadConfig({ argv: argv.filter((a) => !a.startsWith('--conf') && !a.startsWith('-conf')), homedir: dir, cwd: dir })),
    ),
    { numRuns: 400 },
  );
  t.pass();
});

test('random tunnels.conf text makes parseTunnels throw nothing but ConfigError', (t) => {
  fc.assert(
    fc.property(text, (s) => onlyConfigError(() => parseTunnels(s, 'fuzz.conf'))),
    { numRuns: 600 },
  );
  t.pass();
});

test('any string for any option: a typed value or a ConfigError naming that option', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...OPTION_NAMES), fc.string({ maxLength: 12 }), (name, raw) => {
      try {
        const v: unknown = parseOptionValue(name, raw, 'fuzz');
        const spec = SCHEMA[name] as OptionSpec;
        switch (spec.kind) {
          case 'bool':
            return typeof v === 'boolean';
          case 'int':
            return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max;
          case 'enum':
            return (spec.values as readonly unknown[]).includes(v);
          case 'string':
            return v === raw;
          case 'list':
            return Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '' && !x.includes(','));
          case 'intlist':
            return Array.isArray(v) && v.every((x) => Number.isInteger(x));
        }
      } catch (e) {
        return e instanceof ConfigError && e.key === name && e.source === 'fuzz' && e.message.includes(`got '${raw}'`);
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('in-range integers load the same from the file and from the command line', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'same.conf');
  const intNames = OPTION_NAMES.filter((n) => SCHEMA[n].kind === 'int' && !('oneOf' in SCHEMA[n]));
  fc.assert(
    fc.property(
      fc.constantFrom(...intNames).chain((n) => {
        const s = SCHEMA[n] as OptionSpec & { min: number; max: number };
        return fc.tuple(fc.constant(n), fc.integer({ min: s.min, max: s.max }));
      }),
      ([name, n]) => {
        const dot = name.indexOf('.');
        writeFileSync(file, dot < 0 ? `${name} = ${n}\n` : `[${name.slice(0, dot)}]\n${name.slice(dot + 1)} = ${n} # c\n`);
        const fromFile = loadConfig({ argv: [`--conf=${file}`], homedir: dir }).config.get(name);
        const fromCli = loadConfig({ argv: [`--${name}=${n}`], homedir: dir }).config.get(name);
        return fromFile === n && fromCli === n;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});
