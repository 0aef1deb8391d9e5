import test from 'ava';
import { I2PD_RESEED_URLS, OPTION_NAMES, SCHEMA, isOptionName, type OptionName, type OptionSpec } from '../../../conf/schema.js';
import { expectedOf, parseOptionValue } from '../../../conf/load.js';

// Every option registered by i2pd 2.45.1 libi2pd/Config.cpp Init() (all platforms), minus the
// command-line flags help and version. Written out by hand from that file, so a rename in the schema fails here.
const I2PD_2_45_1_OPTIONS = `
conf tunconf tunnelsdir certsdir pidfile log logfile loglevel logclftime family datadir host ifname ifname4 ifname6
nat port ipv4 address4 ipv6 address6 reservedrange netid daemon service notransit floodfill bandwidth share ntcp ssu
ntcpproxy svcctl insomnia close
limits.coresize limits.openfiles limits.transittunnels limits.ntcpsoft limits.ntcphard limits.ntcpthreads
http.enabled http.address http.port http.auth http.user http.pass http.strictheaders http.hostname http.webroot http.lang
httpproxy.enabled httpproxy.address httpproxy.port httpproxy.keys httpproxy.signaturetype httpproxy.inbound.length
httpproxy.outbound.length httpproxy.inbound.quantity httpproxy.outbound.quantity httpproxy.inbound.lengthVariance
httpproxy.outbound.lengthVariance httpproxy.latency.min httpproxy.latency.max httpproxy.outproxy httpproxy.addresshelper
httpproxy.i2cp.leaseSetType httpproxy.i2cp.leaseSetEncType httpproxy.i2cp.leaseSetPrivKey
socksproxy.enabled socksproxy.address socksproxy.port socksproxy.keys socksproxy.signaturetype socksproxy.inbound.length
socksproxy.outbound.length socksproxy.inbound.quantity socksproxy.outbound.quantity socksproxy.inbound.lengthVariance
socksproxy.outbound.lengthVariance socksproxy.latency.min socksproxy.latency.max socksproxy.outproxy.enabled
socksproxy.outproxy socksproxy.outproxyport socksproxy.i2cp.leaseSetType socksproxy.i2cp.leaseSetEncType
socksproxy.i2cp.leaseSetPrivKey
sam.enabled sam.address sam.port sam.singlethread
bob.enabled bob.address bob.port
i2cp.enabled i2cp.address i2cp.port i2cp.singlethread
i2pcontrol.enabled i2pcontrol.address i2pcontrol.port i2pcontrol.password i2pcontrol.cert i2pcontrol.key
upnp.enabled upnp.name precomputation.elgamal
reseed.verify reseed.threshold reseed.floodfill reseed.file reseed.zipfile reseed.proxy reseed.urls reseed.yggurls
addressbook.enabled addressbook.defaulturl addressbook.subscriptions addressbook.hostsfile
trust.enabled trust.family trust.routers trust.hidden
websockets.enabled websockets.address websockets.port
exploratory.inbound.length exploratory.outbound.length exploratory.inbound.quantity exploratory.outbound.quantity
ntcp2.enabled ntcp2.published ntcp2.port ntcp2.addressv6 ntcp2.proxy
ssu2.enabled ssu2.published ssu2.port ssu2.mtu4 ssu2.mtu6 ssu2.proxy
nettime.enabled nettime.ntpservers nettime.ntpsyncinterval nettime.frompeers
persist.profiles persist.addressbook
cpuext.aesni cpuext.avx cpuext.force
meshnets.yggdrasil meshnets.yggaddress
unix.handle_sigtstp
`
  .split(/\s+/)
  .filter(Boolean);

test('the schema has exactly the options of i2pd 2.45.1', (t) => {
  t.deepEqual([...OPTION_NAMES].sort(), [...I2PD_2_45_1_OPTIONS].sort());
  t.false(isOptionName('hidden'), 'i2pd 2.45.1 has trust.hidden, no top-level hidden');
  t.false(isOptionName('__proto__'));
  t.false(isOptionName('toString'));
});

test("defaults are i2pd's, for the real network", (t) => {
  const d = (k: OptionName) => SCHEMA[k].default;
  t.is(d('netid'), 2);
  t.is(d('loglevel'), 'warn');
  t.is(d('host'), '0.0.0.0');
  t.is(d('port'), 0);
  t.is(d('nat'), true);
  t.is(d('ipv4'), true);
  t.is(d('ipv6'), false);
  t.is(d('share'), 100);
  t.is(d('limits.transittunnels'), 5000);
  t.is(d('http.port'), 7070);
  t.is(d('http.user'), 'i2pd');
  t.is(d('httpproxy.port'), 4444);
  t.is(d('httpproxy.keys'), 'transient-proxy');
  t.is(d('httpproxy.signaturetype'), 7);
  t.deepEqual(d('httpproxy.i2cp.leaseSetEncType'), [0, 4]);
  t.is(d('socksproxy.port'), 4447);
  t.is(d('socksproxy.outproxyport'), 9050);
  t.is(d('sam.port'), 7656);
  t.is(d('bob.port'), 2827);
  t.is(d('i2cp.port'), 7654);
  t.is(d('i2pcontrol.port'), 7650);
  t.is(d('i2pcontrol.password'), 'itoopie');
  t.is(d('reseed.threshold'), 25);
  t.is(d('reseed.verify'), false);
  t.is(d('ntcp2.addressv6'), '::');
  t.is(d('exploratory.inbound.length'), 2);
  t.is(d('exploratory.outbound.quantity'), 3);
  t.is(d('nettime.ntpsyncinterval'), 72);
  t.deepEqual(d('addressbook.subscriptions'), ['http://reg.i2p/hosts.txt']);
  t.is(d('addressbook.defaulturl'), 'http://shx5vqsw7usdaunyzr2qmes2fq37oumybpudrd4jjj4e4vk4uusa.b32.i2p/hosts.txt');
});

test("reseed.urls defaults to i2pd 2.45.1's list, in order", (t) => {
  t.deepEqual(SCHEMA['reseed.urls'].default, I2PD_RESEED_URLS);
  t.is(I2PD_RESEED_URLS.length, 11);
  t.is(I2PD_RESEED_URLS[0], 'https://reseed2.i2p.net/');
  t.is(I2PD_RESEED_URLS[10], 'https://www2.mk16.de/');
  t.true(Object.isFrozen(I2PD_RESEED_URLS));
});

test('every default is a valid value of its own type and survives a round trip through its text form', (t) => {
  for (const name of OPTION_NAMES) {
    const spec = SCHEMA[name] as OptionSpec;
    const d = spec.default;
    const text = Array.isArray(d) ? d.join(',') : String(d);
    t.deepEqual(parseOptionValue(name, text, 'test'), d, name);
    t.true(spec.description.length > 0, name);
    t.true(expectedOf(spec).length > 0, name);
  }
});

test('options clove does not act on yet are marked, the core ones are not', (t) => {
  t.false(SCHEMA['bob.enabled'].implemented);
  t.false(SCHEMA['upnp.enabled'].implemented);
  t.false(SCHEMA['cpuext.aesni'].implemented);
  t.true(SCHEMA['ntcp2.port'].implemented);
  t.true(SCHEMA['netid'].implemented);
  t.true(SCHEMA['reseed.urls'].implemented);
});
