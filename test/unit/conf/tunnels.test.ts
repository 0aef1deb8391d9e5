import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../conf/errors.js';
import { loadConfig } from '../../../conf/load.js';
import {
  loadTunnels,
  loadTunnelsDetailed,
  parseTunnels,
  type ClientTunnelDef,
  type ProxyTunnelDef,
  type ServerTunnelDef,
} from '../../../conf/tunnels.js';
import { tempDir, write } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../../conf/examples/', import.meta.url));

// i2pd 2.45.1 contrib/tunnels.conf, verbatim.
const CONTRIB_TUNNELS = `[IRC-ILITA]
type = client
address = 127.0.0.1
port = 6668
destination = irc.ilita.i2p
destinationport = 6667
keys = irc-keys.dat

#[IRC-IRC2P]
#type = client
#address = 127.0.0.1
#port = 6669
#destination = irc.postman.i2p
#destinationport = 6667
#keys = irc-keys.dat

#[SMTP]
#type = client
#address = 127.0.0.1
#port = 7659
#destination = smtp.postman.i2p
#destinationport = 25
#keys = smtp-keys.dat

# see more examples at https://i2pd.readthedocs.io/en/latest/user-guide/tunnels/
`;

test("i2pd's contrib tunnels.conf loads", (t) => {
  const dir = tempDir(t);
  const file = write(dir, 'tunnels.conf', CONTRIB_TUNNELS);
  const { tunnels, warnings, files } = loadTunnelsDetailed(file);
  t.deepEqual(warnings, []);
  t.deepEqual(files, [file]);
  t.is(tunnels.length, 1);
  const irc = tunnels[0] as ClientTunnelDef;
  t.is(irc.name, 'IRC-ILITA');
  t.is(irc.type, 'client');
  t.is(irc.address, '127.0.0.1');
  t.is(irc.port, 6668);
  t.is(irc.destination, 'irc.ilita.i2p');
  t.is(irc.destinationPort, 6667);
  t.is(irc.keys, 'irc-keys.dat');
  t.is(irc.signatureType, 7);
  t.is(irc.cryptoType, 0);
  t.is(irc.file, file);
  t.is(irc.line, 1);
  t.deepEqual(irc.pool, {
    inboundLength: 3,
    outboundLength: 3,
    inboundQuantity: 5,
    outboundQuantity: 5,
    inboundLengthVariance: 0,
    outboundLengthVariance: 0,
    latencyMin: 0,
    latencyMax: 0,
  });
  t.is(irc.i2cp['i2cp.leaseSetEncType'], '0,4');
  t.is(irc.i2cp['i2cp.leaseSetType'], '3');
  t.is(irc.i2cp['i2p.streaming.answerPings'], 'false', 'clients do not answer pings by default');
});

test('every tunnel type with its defaults and type-specific keys', (t) => {
  const text = `
; a comment with a semicolon
[web]
type = http
host = 127.0.0.1
port = 8080
keys = web.dat
inport = 80
hostoverride = example.i2p
gzip = true
accesslist = aaaa.b32.i2p, bbbb.b32.i2p
inbound.length = 2
outbound.quantity = 3
i2cp.leaseSetType = 5
i2cp.leaseSetClient.dh.0 = alice:key
i2p.streaming.profile = 1

[irc]
type = irc
host = ::1
port = 6667
keys = irc.dat
webircpassword = pw
enableuniquelocal = false
whitelist = cccc.b32.i2p

[ssh]
type = server
host = 127.0.0.1
port = 22
keys = ssh.dat
ssl = 1

[dns]
type = udpserver
host = 127.0.0.1
port = 53
keys = dns.dat

[udpc]
type = udpclient
destination = dns.i2p
port = 5353
gzip = false

[socks]
type = socks
port = 1080
outproxy = exit.i2p
destinationport = 9050

[proxy]
type = httpproxy
address = 0.0.0.0
port = 8118
addresshelper = false
keys = proxy.dat
`;
  const warnings: string[] = [];
  const ts = parseTunnels(text, 'x.conf', warnings);
  t.deepEqual(warnings, []);
  t.deepEqual(
    ts.map((x) => [x.name, x.type]),
    [
      ['web', 'http'],
      ['irc', 'irc'],
      ['ssh', 'server'],
      ['dns', 'udpserver'],
      ['udpc', 'udpclient'],
      ['socks', 'socks'],
      ['proxy', 'httpproxy'],
    ],
  );
  const web = ts[0] as ServerTunnelDef;
  t.is(web.inport, 80);
  t.is(web.hostOverride, 'example.i2p');
  t.true(web.gzip);
  t.deepEqual(web.accessList, ['aaaa.b32.i2p', 'bbbb.b32.i2p']);
  t.is(web.pool.inboundLength, 2);
  t.is(web.pool.outboundQuantity, 3);
  t.is(web.i2cp['inbound.length'], '2');
  t.is(web.i2cp['i2cp.leaseSetType'], '5');
  t.is(web.i2cp['i2cp.leaseSetClient.dh.0'], 'alice:key');
  t.is(web.i2cp['i2p.streaming.profile'], '1');
  t.is(web.i2cp['i2p.streaming.answerPings'], 'true', 'servers answer pings by default');
  t.true(web.enableUniqueLocal);
  t.is(web.raw['hostoverride'], 'example.i2p');
  const irc = ts[1] as ServerTunnelDef;
  t.is(irc.host, '::1');
  t.is(irc.webircPassword, 'pw');
  t.false(irc.enableUniqueLocal);
  t.deepEqual(irc.accessList, ['cccc.b32.i2p'], 'whitelist is the older name of accesslist');
  t.false(irc.gzip, 'servers default to gzip = false');
  t.true((ts[2] as ServerTunnelDef).ssl);
  t.is((ts[3] as ServerTunnelDef).address, '');
  const udpc = ts[4] as ClientTunnelDef;
  t.is(udpc.keys, 'transient');
  t.is(udpc.address, '127.0.0.1');
  t.false(udpc.gzip);
  const socks = ts[5] as ProxyTunnelDef;
  t.is(socks.outproxy, 'exit.i2p');
  t.is(socks.destinationPort, 9050);
  const proxy = ts[6] as ProxyTunnelDef;
  t.is(proxy.address, '0.0.0.0');
  t.false(proxy.addresshelper);
  t.is(proxy.keys, 'proxy.dat');
});

function err(t: Parameters<typeof tempDir>[0], text: string): ConfigError {
  return t.throws(() => parseTunnels(text, '/etc/t.conf'), { instanceOf: ConfigError }) as ConfigError;
}

test('error: missing required keys, per type, naming section, key and file', (t) => {
  t.is(
    err(t, '[A]\ntype = client\nport = 1\n').message,
    "/etc/t.conf, line 1: [A] destination: missing required key 'destination'",
  );
  t.is(err(t, '[B]\ntype = socks\n').message, "/etc/t.conf, line 1: [B] port: missing required key 'port'");
  t.is(
    err(t, '[C]\ntype = server\nhost = 127.0.0.1\nport = 80\n').message,
    "/etc/t.conf, line 1: [C] keys: missing required key 'keys'",
  );
  t.is(
    err(t, '[D]\ntype = udpserver\nport = 53\nkeys = k\n').message,
    "/etc/t.conf, line 1: [D] host: missing required key 'host'",
  );
  t.is(err(t, '[E]\nport = 1\n').message, "/etc/t.conf, line 1: [E] type: missing required key 'type'");
  const e = err(t, '[F]\ntype = http\nhost = h\nport = 80\nkeys =\n');
  t.is(e.message, "/etc/t.conf, line 5: [F] keys: 'keys' is empty");
  t.is(e.key, '[F] keys');
  t.is(e.source, '/etc/t.conf');
});

test('error: unknown type', (t) => {
  const e = err(t, '[X]\ntype = vpn\nport = 1\n');
  t.is(
    e.message,
    "/etc/t.conf, line 2: [X] type: unknown tunnel type 'vpn', expected one of client, server, http, irc, udpclient, udpserver, socks, httpproxy",
  );
});

test('error: bad numbers and bools, with a hint for inline comments', (t) => {
  t.is(
    err(t, '[A]\ntype = client\ndestination = a.i2p\nport = 6668 # irc\n').message,
    "/etc/t.conf, line 4: [A] port: expected an integer 1..65535, got '6668 # irc' (tunnels.conf has no comments after values)",
  );
  t.is(
    err(t, '[A]\ntype = client\ndestination = a.i2p\nport = 70000\n').message,
    "/etc/t.conf, line 4: [A] port: expected an integer 1..65535, got '70000'",
  );
  t.is(
    err(t, '[S]\ntype = server\nhost = h\nport = 1\nkeys = k\ngzip = yes\n').message,
    "/etc/t.conf, line 6: [S] gzip: expected true, false, 1 or 0, got 'yes'",
  );
  t.is(
    err(t, '[S]\ntype = server\nhost = h\nport = 1\nkeys = k\ninbound.quantity = 0\n').message,
    "/etc/t.conf, line 6: [S] inbound.quantity: expected an integer 1..16, got '0'",
  );
  t.regex(
    err(t, '[S]\ntype = server\nhost = h\nport = 1\nkeys = k\ni2cp.leaseSetType = 4\n').message,
    /line 6: \[S\] i2cp\.leaseSetType: expected one of 1, 3, 5, 7, got '4'/,
  );
  t.regex(
    err(t, '[S]\ntype = server\nhost = h\nport = 1\nkeys = k\nsignaturetype = ed25519\n').message,
    /line 6: \[S\] signaturetype: expected an integer 0\.\.65535, got 'ed25519'/,
  );
});

test('error: syntax as boost property_tree reports it', (t) => {
  t.regex(err(t, '[A\ntype = client\n').message, /^\/etc\/t\.conf, line 1: unmatched '\['/);
  t.regex(err(t, '[A]\ntype client\n').message, /line 2: '=' not found in line 'type client'/);
  t.regex(err(t, '[A]\n= client\n').message, /line 2: key expected before '='/);
  t.regex(err(t, '[A]\ntype = socks\nport = 1\n[A]\n').message, /line 4: \[A\]: duplicate section name/);
  t.regex(err(t, '[A]\ntype = socks\nport = 1\nport = 2\n').message, /line 4: \[A\] port: duplicate key/);
  t.regex(err(t, 'type = client\n[A]\n').message, /line 1: type: key outside any \[tunnel\] section/);
});

test('unknown keys and keys the type ignores are warnings; websocks is skipped like i2pd', (t) => {
  const warnings: string[] = [];
  const ts = parseTunnels(
    '[A]\ntype = client\ndestination = a.i2p\nport = 1\nhost = 1.2.3.4\ncolour = blue\n[W]\ntype = websocks\nport = 2\n',
    'w.conf',
    warnings,
  );
  t.is(ts.length, 1);
  t.deepEqual(warnings, [
    "w.conf, line 5: [A] 'host' is not used by client tunnels, ignored",
    "w.conf, line 6: [A] unknown key 'colour', ignored",
    'w.conf, line 7: [W]: type websocks is deprecated (as in i2pd), tunnel skipped',
  ]);
});

test('tunnels.d: every *.conf in name order after the main file; a missing main file is skipped', (t) => {
  const dir = tempDir(t);
  const d = join(dir, 'tunnels.d');
  write(dir, 'tunnels.d/b.conf', '[B]\ntype = socks\nport = 1081\n');
  write(dir, 'tunnels.d/a.conf', '[A]\ntype = socks\nport = 1080\n');
  write(dir, 'tunnels.d/notes.txt', 'not a tunnel file\n');
  write(dir, 'tunnels.d/sub.conf/x.conf', '[Z]\ntype = socks\nport = 1\n');
  const main = write(dir, 'tunnels.conf', '[M]\ntype = httpproxy\nport = 8118\n[A]\ntype = socks\nport = 1082\n');
  const r = loadTunnelsDetailed(main, d);
  t.deepEqual(r.files, [main, join(d, 'a.conf'), join(d, 'b.conf')]);
  t.deepEqual(
    r.tunnels.map((x) => x.name),
    ['M', 'A', 'A', 'B'],
  );
  t.deepEqual(r.warnings, [`${join(d, 'a.conf')}, line 1: tunnel name [A] is also used in ${main}`]);
  t.deepEqual(
    loadTunnels(join(dir, 'missing.conf'), d).map((x) => x.name),
    ['A', 'B'],
  );
  t.deepEqual(loadTunnels(join(dir, 'missing.conf'), join(dir, 'missing.d')), []);
  const e = t.throws(() => loadTunnels(join(dir, 'missing.conf'), d, { fileRequired: true }), { instanceOf: ConfigError });
  t.is(e?.message, `${join(dir, 'missing.conf')}: tunnels file not found (set by tunconf)`);
});

test('an error in tunnels.d names that file', (t) => {
  const dir = tempDir(t);
  const bad = write(dir, 'tunnels.d/bad.conf', '[Q]\ntype = client\nport = 1\n');
  const e = t.throws(() => loadTunnels(undefined, join(dir, 'tunnels.d')), { instanceOf: ConfigError });
  t.is(e?.message, `${bad}, line 1: [Q] destination: missing required key 'destination'`);
});

test('the example tunnels.conf loads without warnings, via the paths a Config resolves', (t) => {
  const data = tempDir(t);
  const { config } = loadConfig({ argv: [`--datadir=${data}`, `--tunconf=${join(EXAMPLES, 'tunnels.conf')}`], homedir: data });
  const r = loadTunnelsDetailed(config.path('tunconf'), config.path('tunnelsdir'));
  t.deepEqual(r.warnings, []);
  t.deepEqual(
    r.tunnels.map((x) => [x.name, x.type]),
    [
      ['IRC-ILITA', 'client'],
      ['MYSITE', 'http'],
    ],
  );
  t.is(r.tunnels[1]!.pool.inboundQuantity, 3);
});
