import test from 'ava';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../conf/errors.js';
import { helpText, loadConfig } from '../../../conf/load.js';
import { I2PD_RESEED_URLS, OPTION_NAMES } from '../../../conf/schema.js';
import { tempDir, write } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../../conf/examples/', import.meta.url));

/** loadConfig with a temp home, so a real ~/.clove/i2pd.conf never leaks into a test. */
function load(t: Parameters<typeof tempDir>[0], argv: string[], cwd?: string) {
  const home = tempDir(t);
  return loadConfig({ argv, homedir: home, cwd: cwd ?? home });
}

function throwsConfig(t: Parameters<typeof tempDir>[0], fn: () => unknown): ConfigError {
  const e = t.throws(fn, { instanceOf: ConfigError });
  return e as ConfigError;
}

// A file in the style of i2pd 2.45.1 contrib/i2pd.conf: '##' prose, '#' disabled options, sections.
const I2PD_STYLE = `## Configuration file for a typical i2pd user
## See https://i2pd.readthedocs.io/en/latest/user-guide/configuration/

## Tunnels config file
# tunconf = /var/lib/i2pd/tunnels.conf
tunnelsdir = /var/lib/i2pd/tunnels.d

## Logging
log = file
logfile = /var/log/i2pd/i2pd.log
loglevel = info

# daemon = true
ipv4 = true
ipv6 = false
## Enable SSU transport
ssu = false
bandwidth = P
share = 80
# notransit = true
floodfill = true

[ntcp2]
## Enable NTCP2 transport (default = true)
enabled = true
published = true
port = 4567

[ssu2]
enabled = true
# published = true
port = 4568

[http]
address = 127.0.0.1
port = 7070
auth = true
user = admin
pass = s3cr=t;with#hash

[httpproxy]
address = 127.0.0.1
port = 4444
keys = http-proxy-keys.dat
inbound.length = 2
outproxy = http://false.i2p

[socksproxy]
address = 127.0.0.1
port = 4447
outproxy.enabled = false
outproxy = 127.0.0.1
outproxyport = 9050

[sam]
enabled = true

[bob]
# enabled = false

[precomputation]
# elgamal = true

[upnp]
enabled = false
name = I2Pd

[reseed]
verify = true
urls = https://reseed.i2p-projekt.de/,https://i2p.mooo.com/netDb/ , https://netdb.i2p2.no/
threshold = 25

[addressbook]
subscriptions = http://reg.i2p/hosts.txt,http://identiguy.i2p/hosts.txt

[limits]
transittunnels = 2500
openfiles = 0

[trust]
# enabled = true
hidden = false

[exploratory]
inbound.length = 3
outbound.quantity = 4

[persist]
profiles = true

[cpuext]
aesni = true
`;

test('an i2pd-style config file loads, with its comments and sections, without warnings', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'i2pd.conf', I2PD_STYLE);
  const { config, warnings, files } = load(t, [`--conf=${file}`]);
  t.deepEqual(warnings, []);
  t.deepEqual(files, [file]);
  t.is(config.configFile, file);
  t.is(config.get('tunnelsdir'), '/var/lib/i2pd/tunnels.d');
  t.is(config.get('log'), 'file');
  t.is(config.get('loglevel'), 'info');
  t.is(config.get('ssu'), false);
  t.is(config.get('bandwidth'), 'P');
  t.is(config.get('share'), 80);
  t.is(config.get('floodfill'), true);
  t.is(config.get('ntcp2.port'), 4567);
  t.is(config.get('ssu2.port'), 4568);
  t.is(config.get('http.auth'), true);
  t.is(config.get('http.pass'), 's3cr=t;with', "'#' starts a comment, ';' and '=' stay in the value");
  t.is(config.get('httpproxy.keys'), 'http-proxy-keys.dat');
  t.is(config.get('httpproxy.inbound.length'), 2);
  t.is(config.get('socksproxy.outproxy.enabled'), false);
  t.is(config.get('socksproxy.outproxy'), '127.0.0.1');
  t.deepEqual(config.get('reseed.urls'), ['https://reseed.i2p-projekt.de/', 'https://i2p.mooo.com/netDb/', 'https://netdb.i2p2.no/']);
  t.is(config.get('reseed.verify'), true);
  t.deepEqual(config.get('addressbook.subscriptions'), ['http://reg.i2p/hosts.txt', 'http://identiguy.i2p/hosts.txt']);
  t.is(config.get('limits.transittunnels'), 2500);
  t.is(config.get('exploratory.inbound.length'), 3);
  t.is(config.get('exploratory.outbound.quantity'), 4);
  t.is(config.get('exploratory.outbound.length'), 2, 'unset keys keep defaults');
  t.is(config.sourceOf('ntcp2.port'), 'file');
  t.is(config.sourceOf('ntcp2.addressv6'), 'default');
  t.true(config.isDefault('netid'));
  t.false(config.isDefault('floodfill'));
});

test('with nothing given: defaults, datadir ~/.clove, no file', (t) => {
  const home = tempDir(t);
  const { config, warnings, files, help, version, unimplemented } = loadConfig({ argv: [], homedir: home });
  t.deepEqual(warnings, []);
  t.deepEqual(unimplemented, []);
  t.deepEqual(files, []);
  t.is(config.datadir, join(home, '.clove'));
  t.is(config.configFile, undefined);
  t.is(config.get('netid'), 2);
  t.deepEqual(config.get('reseed.urls'), I2PD_RESEED_URLS);
  t.false(help);
  t.false(version);
  t.is(Object.keys(config.toObject()).length, OPTION_NAMES.length);
});

test('DATADIR/i2pd.conf is read when present; --datadir is resolved against cwd', (t) => {
  const cwd = tempDir(t);
  mkdirSync(join(cwd, 'data'));
  const file = write(cwd, 'data/i2pd.conf', 'netid = 77\n[ntcp2]\nport = 12345\n');
  const { config, files } = load(t, ['--datadir=data'], cwd);
  t.is(config.datadir, join(cwd, 'data'));
  t.deepEqual(files, [file]);
  t.is(config.get('netid'), 77);
  t.is(config.get('ntcp2.port'), 12345);
  t.is(config.path('tunconf'), join(cwd, 'data', 'tunnels.conf'));
  t.is(config.path('tunnelsdir'), join(cwd, 'data', 'tunnels.d'));
  t.is(config.path('certsdir'), join(cwd, 'data', 'certificates'));
});

test('--conf wins over DATADIR/i2pd.conf; path options set in the file resolve against cwd', (t) => {
  const cwd = tempDir(t);
  write(cwd, 'data/i2pd.conf', 'netid = 77\n');
  const other = write(cwd, 'other.conf', 'netid = 5\ntunconf = my/tunnels.conf\n');
  const { config, files } = load(t, ['--datadir', 'data', '--conf', 'other.conf'], cwd);
  t.deepEqual(files, [other]);
  t.is(config.get('netid'), 5);
  t.is(config.path('tunconf'), join(cwd, 'my', 'tunnels.conf'));
});

test('precedence: default < file < command line, per key', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'a.conf', 'port = 1111\nfloodfill = true\n[http]\nport = 8000\naddress = 0.0.0.0\n');
  const { config } = load(t, [`--conf=${file}`, '--http.port=9000', '--floodfill=false', '--netid=3']);
  t.is(config.get('http.port'), 9000);
  t.is(config.sourceOf('http.port'), 'command line');
  t.is(config.get('floodfill'), false);
  t.is(config.get('http.address'), '0.0.0.0');
  t.is(config.sourceOf('http.address'), 'file');
  t.is(config.get('port'), 1111);
  t.is(config.get('netid'), 3);
  t.is(config.get('sam.port'), 7656);
  t.is(config.sourceOf('sam.port'), 'default');
});

test('bool forms on the command line and in files', (t) => {
  const flags = load(t, ['--floodfill', '--notransit=true', '--ipv4=false', '--ipv6=1', '-nat=no', '--http.enabled=OFF']).config;
  t.is(flags.get('floodfill'), true);
  t.is(flags.get('notransit'), true);
  t.is(flags.get('ipv4'), false);
  t.is(flags.get('ipv6'), true);
  t.is(flags.get('nat'), false);
  t.is(flags.get('http.enabled'), false);

  const dir = tempDir(t);
  const file = write(dir, 'b.conf', 'floodfill = Yes\nipv4 = 0\nnat = off\nnotransit =\n[sam]\nenabled = False\n');
  const c = load(t, [`--conf=${file}`]).config;
  t.is(c.get('floodfill'), true);
  t.is(c.get('ipv4'), false);
  t.is(c.get('nat'), false);
  t.is(c.get('notransit'), true, 'an empty bool is true, as boost reads it');
  t.is(c.get('sam.enabled'), false);
});

test('command-line value forms: --k=v, --k v, -k=v, negative numbers, values with =', (t) => {
  const { config } = load(t, [
    '--netid',
    '9',
    '-ntcp2.port=4000',
    '--httpproxy.inbound.lengthVariance',
    '-2',
    '--http.pass=a=b',
    '--reseed.urls=',
    '--loglevel=DEBUG',
  ]);
  t.is(config.get('netid'), 9);
  t.is(config.get('ntcp2.port'), 4000);
  t.is(config.get('httpproxy.inbound.lengthVariance'), -2);
  t.is(config.get('http.pass'), 'a=b');
  t.deepEqual(config.get('reseed.urls'), [], 'reseed.urls is easy to empty');
  t.is(config.get('loglevel'), 'debug', 'loglevel is case-insensitive, stored canonical');
});

test('reseed.urls can be emptied from the file too', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'c.conf', '[reseed]\nurls =\n');
  t.deepEqual(load(t, [`--conf=${file}`]).config.get('reseed.urls'), []);
});

test('--help, -h and --version are flags', (t) => {
  t.true(load(t, ['--help']).help);
  t.true(load(t, ['-h']).help);
  t.true(load(t, ['--version']).version);
});

test('unknown keys in the file are warnings naming key, file and line', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'd.conf', 'floodfill = true\nhidden = true\n[ntcp2]\nprot = 4567\n[nosuch]\nx = 1\n');
  const { config, warnings } = load(t, [`--conf=${file}`]);
  t.is(config.get('floodfill'), true);
  t.is(warnings.length, 3);
  t.is(warnings[0], `${file}, line 2: unknown option 'hidden', ignored`);
  t.is(warnings[1], `${file}, line 4: unknown option 'ntcp2.prot', ignored`);
  t.is(warnings[2], `${file}, line 6: unknown option 'nosuch.x', ignored`);
});

test('conf, datadir and service in a file warn: i2pd reads them before the file', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'e.conf', `datadir = ${dir}/elsewhere\n`);
  const { config, warnings } = load(t, [`--conf=${file}`]);
  t.not(config.datadir, join(dir, 'elsewhere'));
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /line 1: 'datadir' has no effect in a config file .*use --datadir/);
});

// ---- errors: each names the key, the file (or 'command line') and what was expected

test('error: not a number (file)', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'f.conf', '\n[ntcp2]\nport = abc\n');
  const e = throwsConfig(t, () => load(t, [`--conf=${file}`]));
  t.is(e.message, `${file}, line 3: ntcp2.port: expected an integer 0..65535, got 'abc'`);
  t.is(e.key, 'ntcp2.port');
  t.is(e.source, file);
  t.is(e.line, 3);
  t.is(e.expected, 'an integer 0..65535');
});

test('error: out of range (command line and file)', (t) => {
  const e1 = throwsConfig(t, () => load(t, ['--http.port=70000']));
  t.is(e1.message, "command line: http.port: expected an integer 0..65535, got '70000'");
  t.is(e1.source, 'command line');
  const e2 = throwsConfig(t, () => load(t, ['--netid=256']));
  t.is(e2.message, "command line: netid: expected an integer 1..255, got '256'");
  const e3 = throwsConfig(t, () => load(t, ['--share=101']));
  t.regex(e3.message, /share: expected an integer 0\.\.100, got '101'/);
  const e4 = throwsConfig(t, () => load(t, ['--ssu2.port=-1']));
  t.regex(e4.message, /ssu2\.port: expected an integer 0\.\.65535, got '-1'/);
  const dir = tempDir(t);
  const file = write(dir, 'g.conf', '[exploratory]\ninbound.length = 9\n');
  const e5 = throwsConfig(t, () => load(t, [`--conf=${file}`]));
  t.is(e5.message, `${file}, line 2: exploratory.inbound.length: expected an integer 0..8, got '9'`);
});

test('error: not a bool', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'h.conf', 'floodfill = maybe\n');
  const e = throwsConfig(t, () => load(t, [`--conf=${file}`]));
  t.is(e.message, `${file}, line 1: floodfill: expected a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'`);
  const e2 = throwsConfig(t, () => load(t, ['--sam.enabled=2']));
  t.regex(e2.message, /^command line: sam\.enabled: expected a boolean/);
});

test('error: bad enum', (t) => {
  const e = throwsConfig(t, () => load(t, ['--loglevel=verbose']));
  t.is(e.message, "command line: loglevel: expected one of debug, info, warn, error, none, got 'verbose'");
  const dir = tempDir(t);
  const file = write(dir, 'i.conf', 'log = journal\n');
  const e2 = throwsConfig(t, () => load(t, [`--conf=${file}`]));
  t.is(e2.message, `${file}, line 1: log: expected one of '' (empty), stdout, file, syslog, got 'journal'`);
});

test('error: bad bandwidth, bad leaseset types', (t) => {
  const e = throwsConfig(t, () => load(t, ['--bandwidth=fast']));
  t.regex(e.message, /bandwidth: expected a bandwidth class letter \(K, L, M, N, O, P or X\) or a positive number of KBps, got 'fast'/);
  t.is(load(t, ['--bandwidth=X']).config.get('bandwidth'), 'X');
  t.is(load(t, ['--bandwidth=5000']).config.get('bandwidth'), '5000');
  const e2 = throwsConfig(t, () => load(t, ['--httpproxy.i2cp.leaseSetType=2']));
  t.regex(e2.message, /httpproxy\.i2cp\.leaseSetType: expected one of 1, 3, 5, 7, got '2'/);
  const e3 = throwsConfig(t, () => load(t, ['--socksproxy.i2cp.leaseSetEncType=0,x']));
  t.regex(e3.message, /socksproxy\.i2cp\.leaseSetEncType: expected a comma-separated list of integers 0\.\.65535, got '0,x'/);
  t.deepEqual(load(t, ['--socksproxy.i2cp.leaseSetEncType=4']).config.get('socksproxy.i2cp.leaseSetEncType'), [4]);
});

test('error: bad syntax in the file', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'j.conf', 'ipv4 = true\njust some words\n');
  const e = throwsConfig(t, () => load(t, [`--conf=${file}`]));
  t.is(e.message, `${file}, line 2: cannot parse line 'just some words': expected 'key = value' or '[section]'`);
  const file2 = write(dir, 'k.conf', '= 5\n');
  t.regex(throwsConfig(t, () => load(t, [`--conf=${file2}`])).message, /line 1: missing key before '='/);
  const file3 = write(dir, 'l.conf', '[ ]\n');
  t.regex(throwsConfig(t, () => load(t, [`--conf=${file3}`])).message, /line 1: empty section header/);
});

test('error: the same key twice in a file (boost: "cannot be specified more than once")', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'm.conf', '[ntcp2]\nport = 1\nport = 2\n');
  const e = throwsConfig(t, () => load(t, [`--conf=${file}`]));
  t.is(e.message, `${file}, line 3: ntcp2.port: option is set more than once in this file`);
});

test('error: a bad value in the file fails even when the command line overrides it', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'n.conf', 'netid = two\n');
  const e = throwsConfig(t, () => load(t, [`--conf=${file}`, '--netid=2']));
  t.is(e.key, 'netid');
  t.is(e.source, file);
});

test('error: missing or unreadable config file', (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'nope.conf');
  const e = throwsConfig(t, () => load(t, [`--conf=${missing}`]));
  t.is(e.message, `${missing}: cannot read config file (ENOENT)`);
  const e2 = throwsConfig(t, () => load(t, [`--conf=${dir}`]));
  t.is(e2.message, `${dir}: not a regular file`);
});

test('error: command-line mistakes', (t) => {
  const e1 = throwsConfig(t, () => load(t, ['--floodfil']));
  t.is(e1.message, "command line: floodfil: unknown option '--floodfil'");
  t.is(e1.expected, 'an option listed by --help');
  const e2 = throwsConfig(t, () => load(t, ['--ntcp2.port']));
  t.is(e2.message, "command line: ntcp2.port: option '--ntcp2.port' needs a value");
  const e3 = throwsConfig(t, () => load(t, ['--netid=2', '--netid=3']));
  t.is(e3.message, "command line: netid: option '--netid' is given more than once");
  const e4 = throwsConfig(t, () => load(t, ['run']));
  t.is(e4.message, "command line: unexpected argument 'run'");
  const e5 = throwsConfig(t, () => load(t, ['--port', '--ipv6']));
  t.regex(e5.message, /port: option '--port' needs a value/);
  const e6 = throwsConfig(t, () => load(t, ['--help=yes']));
  t.regex(e6.message, /option '--help' takes no value/);
});

test('the example i2pd.conf loads without warnings', (t) => {
  const { config, warnings, unimplemented } = load(t, [`--conf=${join(EXAMPLES, 'i2pd.conf')}`]);
  t.deepEqual(warnings, []);
  t.deepEqual(unimplemented, [], 'the example sets nothing clove ignores');
  t.is(config.get('loglevel'), 'warn');
  t.is(config.get('httpproxy.port'), 4444);
  t.is(config.get('reseed.verify'), true);
  t.deepEqual(config.get('reseed.urls'), I2PD_RESEED_URLS);
});

test('helpText lists every option with its default and marks the unimplemented', (t) => {
  const h = helpText();
  for (const name of OPTION_NAMES) t.true(h.includes(`--${name}`), name);
  t.regex(h, /--netid=<1\.\.255>\s+Network id; the main I2P network is 2 \(default: 2\)\n/);
  t.regex(h, /--floodfill\[=true\|false\]\s+Be a floodfill router \(default: false\)\n/);
  t.regex(h, /--bob\.enabled\[=true\|false\]\s+.*\[accepted, not implemented\]\n/);
  t.true(h.includes(I2PD_RESEED_URLS.join(',')), 'the reseed default is visible in full');
  t.regex(h, /NTCP2 \[ntcp2\]:\n/);
});

test('the i2pd contrib sample i2pd.conf syntax: values exactly as the annotated file writes them', (t) => {
  // Lines taken verbatim from i2pd 2.45.1 contrib/i2pd.conf, enabled.
  const dir = tempDir(t);
  const file = write(
    dir,
    'contrib.conf',
    [
      'tunconf = /var/lib/i2pd/tunnels.conf',
      'pidfile = /run/i2pd.pid',
      'logclftime = true',
      'daemon = true',
      'family =',
      'host = 1.2.3.4',
      'port = 4567',
      'bandwidth = L',
      '[reseed]',
      'yggurls = http://[324:9de3:fea4:f6ac::ace]:7070/',
      'zipfile = /path/to/netDb.zip',
      'proxy = http://127.0.0.1:8118',
      '[trust]',
      'enabled = true',
      'family = MyFamily',
      'routers =',
      '[i2pcontrol]',
      'password = itoopie',
      '[meshnets]',
      'yggaddress =',
      '',
    ].join('\n'),
  );
  const { config, warnings, unimplemented } = load(t, [`--conf=${file}`, '--bob.enabled=false', '--upnp.enabled']);
  t.deepEqual(warnings, []);
  t.deepEqual(
    unimplemented,
    ['pidfile', 'logclftime', 'daemon', 'upnp.enabled', 'reseed.yggurls', 'trust.enabled', 'trust.family'],
    'options set away from their default that clove does not act on yet; bob.enabled=false is the default',
  );
  t.is(config.get('family'), '');
  t.deepEqual(config.get('reseed.yggurls'), ['http://[324:9de3:fea4:f6ac::ace]:7070/']);
  t.deepEqual(config.get('trust.family'), ['MyFamily']);
  t.deepEqual(config.get('trust.routers'), []);
  t.is(config.get('logclftime'), true);
});

test('CRLF files and a BOM load', (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'w.conf', '\ufeffnetid = 9\r\n[ntcp2]\r\nport = 4\r\n');
  const { config, warnings } = load(t, [`--conf=${file}`]);
  t.deepEqual(warnings, []);
  t.is(config.get('netid'), 9);
  t.is(config.get('ntcp2.port'), 4);
  t.true(readFileSync(file, 'utf8').includes('\r\n'));
});
