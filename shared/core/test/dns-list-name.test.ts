import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { dnsListLabels, IndicatorError, parseDnsListLabels } from '../src/index.ts';

test('list names: IPv4, IPv6 nibbles, hashes, domains, test entries, and what is none', () => {
  assert.deepEqual(parseDnsListLabels('4.3.2.1'), { kind: 'ip', value: '1.2.3.4' });
  assert.deepEqual(parseDnsListLabels('2.0.0.127'), { kind: 'test', listed: true, value: '127.0.0.2' });
  assert.deepEqual(parseDnsListLabels('1.0.0.127'), { kind: 'test', listed: false, value: '127.0.0.1' });
  const v6 = [...'20010db8000000000000000000000001'].reverse().join('.');
  assert.deepEqual(parseDnsListLabels(v6), { kind: 'ip', value: '2001:db8::1' });
  // RFC 5782 5: the IPv6 test entry is ::ffff:127.0.0.2.
  assert.deepEqual(parseDnsListLabels([...'00000000000000000000ffff7f000002'].reverse().join('.')), { kind: 'test', listed: true, value: '127.0.0.2' });
  const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
  assert.deepEqual(parseDnsListLabels(md5), { kind: 'file', value: md5 });
  assert.deepEqual(parseDnsListLabels(`${md5}.${md5}`), { kind: 'file', value: md5 + md5 });
  assert.deepEqual(parseDnsListLabels('Evil.Example'.toLowerCase()), { kind: 'domain', value: 'evil.example' });
  assert.equal(parseDnsListLabels(''), null);
  assert.equal(parseDnsListLabels('01.2.3.4'), null, 'a zero-padded octet is no address, and a numeric TLD no domain');
  assert.equal(parseDnsListLabels('256.1.1.1'), null);
  assert.equal(parseDnsListLabels('a..b'), null);
});

test('list names: an indicator’s labels read back as the indicator, for every IP, hash and domain', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'))
    .filter((a) => a !== '127.0.0.1' && a !== '127.0.0.2');
  const v6 = fc.ipV6().filter((a) => !a.startsWith('::ffff:') && !/^::(ffff:)?7f00:000[12]$/.test(a));
  const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
  fc.assert(fc.property(v4, (ip) => {
    assert.deepEqual(parseDnsListLabels(dnsListLabels('ip', ip)), { kind: 'ip', value: ip });
  }), { numRuns: 2000 });
  fc.assert(fc.property(v6, (ip) => {
    const name = parseDnsListLabels(dnsListLabels('ip', ip));
    assert.equal(name?.kind, 'ip');
    assert.deepEqual(parseDnsListLabels(dnsListLabels('ip', name!.value)), name);
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.oneof(hex(32), hex(40), hex(64)), (h) => {
    assert.deepEqual(parseDnsListLabels(dnsListLabels('file', h)), { kind: 'file', value: h });
  }), { numRuns: 1000 });
  fc.assert(fc.property(fc.domain(), (d) => {
    const labels = dnsListLabels('domain', d);
    const name = parseDnsListLabels(labels);
    // A domain spelled as four octets or as hash labels reads as that, by the RFC's own rule.
    if (name?.kind === 'domain') assert.equal(name.value, labels);
  }), { numRuns: 1000 });
});

test('list names: the labels of an IPv4, IPv6, SHA-256 and MD5 as lists ask for them; no labels for what is no indicator', () => {
  assert.equal(dnsListLabels('ip', '192.0.2.10'), '10.2.0.192');
  assert.equal(dnsListLabels('ip', '2001:db8::1'), [...'20010db8000000000000000000000001'].reverse().join('.'));
  const sha = 'a'.repeat(32) + 'b'.repeat(32);
  assert.equal(dnsListLabels('file', sha.toUpperCase()), `${'a'.repeat(32)}.${'b'.repeat(32)}`);
  assert.equal(dnsListLabels('domain', 'WWW.Example.COM.'), 'www.example.com');
  assert.throws(() => dnsListLabels('ip', '999.1.1.1'), IndicatorError);
  assert.throws(() => dnsListLabels('file', 'xyz'), IndicatorError);
});
