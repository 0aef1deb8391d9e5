import test from 'ava';
import { decode } from 'ini';
import { ConfigError } from '../../../conf/errors.js';
import { parseOptionsIni, parseTreeIni } from '../../../conf/ini.js';

// The i2pd.conf lines on which the `ini` package and boost::program_options disagree: the reason conf/ has its
// own parser. Each expectation on the right is what i2pd 2.45.1 reads (boost parse_config_file).
const TRICKY = ['pass = a;b', 'user = "quoted"', 'netid = 2 # main net', 'urls = x=1,y', '[a.b]', 'c = d'].join('\n');

test("parseOptionsIni reads i2pd.conf as boost does; the 'ini' package does not", (t) => {
  const ours = new Map(parseOptionsIni(TRICKY, 'f').map((e) => [e.key, e.value]));
  t.is(ours.get('pass'), 'a;b');
  t.is(ours.get('user'), '"quoted"');
  t.is(ours.get('netid'), '2');
  t.is(ours.get('urls'), 'x=1,y');
  t.is(ours.get('a.b.c'), 'd');

  const theirs = decode(TRICKY) as Record<string, unknown>;
  t.is(theirs['pass'], 'a', "ini cuts the value at ';'");
  t.is(theirs['user'], 'quoted', 'ini drops the quotes');
  t.deepEqual(Object.keys(theirs['a'] as object), ['b'], "ini nests '[a.b]' into an object");
  t.throws(() => parseOptionsIni('bare line', 'f'), { instanceOf: ConfigError });
  t.is(decode('bare line')['bare line'], true, 'ini accepts a line without = (boost: syntax error)');
});

test('parseTreeIni reads tunnels.conf as boost property_tree does: only whole-line comments', (t) => {
  const { root, sections } = parseTreeIni('# c\n; c\n[ A ] trailing\nport = 1 # not a comment\nx=a=b\n', 'f');
  t.deepEqual(root, []);
  t.is(sections.length, 1);
  t.is(sections[0]!.name, 'A');
  t.deepEqual(
    sections[0]!.entries.map((e) => [e.key, e.value, e.line]),
    [
      ['port', '1 # not a comment', 4],
      ['x', 'a=b', 5],
    ],
  );
});
