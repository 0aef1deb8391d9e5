import test from 'ava';
import { isReservedAddress } from '../../../transport/reserved.js';

test('reserved IPv4 ranges as i2pd refuses them, public addresses pass', (t) => {
  for (const a of ['0.1.2.3', '10.0.0.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '198.18.0.20', '198.19.255.1', '224.0.0.1', '255.255.255.255', '::ffff:10.1.1.1']) {
    t.true(isReservedAddress(a), a);
  }
  for (const a of ['1.1.1.1', '172.32.0.1', '198.20.0.1', '100.128.0.1', '2a01:4f8::1', '::ffff:8.8.8.8']) {
    t.false(isReservedAddress(a), a);
  }
  for (const a of ['::1', '::', 'fc00::1', 'fe80::1', 'ff02::1', '2001:db8::1', 'not-an-ip']) t.true(isReservedAddress(a), a);
});
