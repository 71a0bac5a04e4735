import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IndicatorError, ipNetwork, ipRange, parseCidr, parseIp } from '../src/index.ts';

test('IPv4 in every form a browser accepts', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['192.168.0.1', '192.168.0.1'],
    [' 192.168.0.1\n', '192.168.0.1'],
    ['3279880203', '195.127.0.11'],
    ['0300.0250.0.1', '192.168.0.1'],
    ['0xc0.0xa8.0.1', '192.168.0.1'],
    ['0XC0.0XA8.0X0.0X1', '192.168.0.1'],
    ['192.168.1', '192.168.0.1'],
    ['192.11010049', '192.168.0.1'],
    ['0xc0a80001', '192.168.0.1'],
    ['012.034.01.055', '10.28.1.45'],
    ['12.0x12.01234', '12.18.2.156'],
    ['4294967295', '255.255.255.255'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['1.2.3.4.', '1.2.3.4'],
    ['00000000000000000001.2.3.4', '1.2.3.4'],
  ];
  for (const [input, expected] of cases) {
    const ip = parseIp(input);
    assert.equal(ip.version, 4, input);
    assert.equal(ip.address, expected, input);
    assert.deepEqual([...ip.bytes], expected.split('.').map(Number));
  }
});

test('IPv6: compressed, expanded, zones, mapped and NAT64', () => {
  const cases: readonly (readonly [string, string, 4 | 6])[] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
    ['2001:DB8::1', '2001:db8::1', 6],
    ['[2001:db8::1]', '2001:db8::1', 6],
    ['fe80::1%eth0', 'fe80::1', 6],
    ['[fe80::1%25]', 'fe80::1', 6],
    ['::', '::', 6],
    ['::1', '::1', 6],
    ['1::', '1::', 6],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6], // RFC 5952 4.2.3: the first of equal runs
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1', 6], // the longest run
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6], // one zero piece is not compressed
    ['::ffff:1.2.3.4', '1.2.3.4', 4],
    ['::FFFF:102:304', '1.2.3.4', 4],
    ['64:ff9b::192.0.2.33', '192.0.2.33', 4],
    ['64:ff9b::c000:221', '192.0.2.33', 4],
    ['64:ff9b:1::c000:221', '64:ff9b:1::c000:221', 6], // local-use prefix is not the well-known one
    ['::1.2.3.4', '::102:304', 6], // deprecated IPv4-compatible form stays IPv6
  ];
  for (const [input, expected, version] of cases) {
    const ip = parseIp(input);
    assert.equal(ip.address, expected, input);
    assert.equal(ip.version, version, input);
    assert.equal(ip.bytes.length, version === 4 ? 4 : 16);
  }
});

test('parseIp rejects what is not an address', () => {
  for (const input of ['', ' ', '1.2.3.4.5', '256.1.1.1', '1.2.3.256', '1.2.3.09', '0x100000000', '4294967296', '1..2.3', 'a.b.c.d', '1.2.3.4/24', '1.2.3.4:80', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '::ffff:1.2.3', '::1.2.3.04', 'fe80::1%', '[::1', 'x'.repeat(200)]) {
    assert.throws(() => parseIp(input), (e: unknown) => e instanceof IndicatorError && e.kind === 'ip' && /^REPUTE_INDICATOR_(INVALID_IP|TOO_LONG)$/.test(e.code), JSON.stringify(input));
  }
});

test('ipNetwork is /24 for IPv4 and /64 for IPv6', () => {
  assert.equal(ipNetwork('198.51.100.77'), '198.51.100.0/24');
  assert.equal(ipNetwork('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(ipNetwork('::ffff:198.51.100.77'), '198.51.100.0/24');
  assert.equal(ipNetwork('10.1.2.3', 8), '10.0.0.0/8');
  assert.equal(ipNetwork('2001:db8::1', 128), '2001:db8::1/128');
  assert.throws(() => ipNetwork('10.1.2.3', 33), IndicatorError);
});

test('parseCidr clears host bits', () => {
  const cases: readonly (readonly [string, string, 4 | 6, number])[] = [
    ['10.0.0.0/8', '10.0.0.0', 4, 8],
    ['192.168.1.77/24', '192.168.1.0', 4, 24],
    ['192.168.1.77/23', '192.168.0.0', 4, 23],
    ['1.2.3.4', '1.2.3.4', 4, 32],
    ['0.0.0.0/0', '0.0.0.0', 4, 0],
    ['10/8', '10.0.0.0', 4, 8],
    ['172.16/12', '172.16.0.0', 4, 12],
    ['2001:db8::1/32', '2001:db8::', 6, 32],
    ['2001:DB8:1:2:3:4:5:6/64', '2001:db8:1:2::', 6, 64],
    ['fe80::1/10', 'fe80::', 6, 10],
    ['::ffff:10.1.2.3/104', '10.0.0.0', 4, 8],
    [' 2001:db8::/128 ', '2001:db8::', 6, 128],
  ];
  for (const [input, network, version, prefix] of cases) {
    const block = parseCidr(input);
    assert.deepEqual(block, { version, network, prefix, cidr: `${network}/${prefix}` }, input);
  }
  for (const input of ['', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8/8', '256.0.0.0/8', '10.0.0.0/0x8', 'foo/8', '1.2.3.4.5/8']) {
    assert.throws(() => parseCidr(input), IndicatorError, input);
  }
});

test('ipRange names the special-purpose ranges', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['8.8.8.8', 'public'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.10.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.1', 'documentation'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2606:4700::1111', 'public'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['fec0::1', 'reserved'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
  ];
  for (const [input, range] of cases) assert.equal(ipRange(input), range, input);
  assert.throws(() => ipRange('nope'), IndicatorError);
});
