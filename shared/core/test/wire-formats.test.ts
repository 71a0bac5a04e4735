import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  ALIAS_KEY_PREFIX, aliasKey, aliasKeyHex, candidateKey, compareStreamIds, DigestFilter, inIpBlock, isAliasKey, isReputationKey, isStreamId, layOutSnapshot,
  lookupCandidates, parseIp, parseIpBlock, readSnapshot, recordKey, recordKeyPrefix, sha256, SNAPSHOT_HEADER_BYTES, SNAPSHOT_SIGNED_BYTES, snapshotContentHash,
  snapshotWords,
} from '../src/index.ts';

// The server writes these bytes and the SDK reads them: a change here breaks every agent.
test('snapshot layout: the header and bits of a known filter, byte for byte', () => {
  const f = new DigestFilter(96, 3);
  f.add(sha256('a'));
  f.add(sha256('b'));
  const bytes = layOutSnapshot({ kind: 'url', k: f.k, m: f.m, count: f.count, position: '1700000000000-7' }, f.bits);
  assert.equal(bytes.length, SNAPSHOT_HEADER_BYTES + 12);
  assert.equal(
    bytes.subarray(0, SNAPSHOT_SIGNED_BYTES).toString('hex'),
    '5250424600010203000000600000000000000000000000020000018bcfe5680000000000000000' +
      '0773d63e17df82ef3a5f0b015fd9cec34f7a2f68d233590f39e6d744c449c02a63',
  );
  assert.equal(bytes.subarray(SNAPSHOT_HEADER_BYTES).toString('hex'), '400100082000000008100000');
  assert.ok(bytes.subarray(SNAPSHOT_SIGNED_BYTES, SNAPSHOT_HEADER_BYTES).every((b) => b === 0), 'the signature is left to the signer');
});

test('snapshot layout: read back, the parts are what was written', () => {
  const f = DigestFilter.forCapacity(1000, 0.01);
  const added = Array.from({ length: 50 }, () => randomBytes(32));
  for (const d of added) f.add(d);
  const bytes = layOutSnapshot({ kind: 'email', k: f.k, m: f.m, count: f.count, position: '18446744073709551615-3' }, f.bits);
  const parts = readSnapshot(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  assert.ok(parts !== null);
  assert.deepEqual([parts.version, parts.kind, parts.kindCode, parts.k, parts.m, parts.count, parts.position], [1, 'email', 5, f.k, f.m, 50, '18446744073709551615-3']);
  assert.ok(snapshotContentHash(parts.bits).equals(parts.contentHash));
  const copy = new DigestFilter(parts.m, parts.k, snapshotWords(parts.bits), parts.count);
  for (const d of added) assert.equal(copy.has(d), true);
  assert.equal(readSnapshot(bytes.subarray(0, SNAPSHOT_HEADER_BYTES - 1)), null);
  const unknownKind = Buffer.from(bytes);
  unknownKind[6] = 9;
  assert.equal(readSnapshot(unknownKind)?.kind, undefined);
  const notOurs = Buffer.from(bytes);
  notOurs[0] = 0x58;
  assert.equal(readSnapshot(notOurs), null);
});

test('stream ids: ordered as integers beyond 2^53, and only u64 parts accepted', () => {
  assert.equal(compareStreamIds('9007199254740993-0', '9007199254740992-5'), 1);
  assert.equal(compareStreamIds('5-18446744073709551615', '5-18446744073709551614'), 1);
  assert.equal(compareStreamIds('7', '7-0'), 0);
  assert.equal(compareStreamIds('0-0', '0-1'), -1);
  assert.equal(isStreamId('18446744073709551615-18446744073709551615'), true);
  assert.equal(isStreamId('18446744073709551616-0'), false);
  assert.equal(isStreamId('1-2-3'), false);
});

test('IP blocks: host bits ignored, mapped addresses are IPv4, never across versions', () => {
  const block = parseIpBlock('192.168.1.77/24');
  assert.equal(inIpBlock(parseIp('192.168.1.200').bytes, block), true);
  assert.equal(inIpBlock(parseIp('::ffff:192.168.1.9').bytes, block), true);
  assert.equal(inIpBlock(parseIp('192.168.2.1').bytes, block), false);
  assert.equal(inIpBlock(parseIp('2001:db8::1').bytes, parseIpBlock('0.0.0.0/0')), false);
  assert.equal(inIpBlock(parseIp('203.0.113.9').bytes, parseIpBlock('::ffff:203.0.113.0/120')), true);
  assert.equal(inIpBlock(parseIp('10.200.0.1').bytes, parseIpBlock('10/8')), true);
  assert.throws(() => parseIpBlock('10.0.0.0/33'), { code: 'REPUTE_INDICATOR_INVALID_IP' });
});

test('keys: a candidate reads the key recordKey and aliasKey spell; prefixes match them', () => {
  for (const [kind, value] of [['file', 'd41d8cd98f00b204e9800998ecf8427e'], ['url', 'http://a.evil.example/x?y'], ['domain', 'a.b.evil.example'], ['ip', '198.51.100.7']] as const) {
    for (const c of lookupCandidates(kind, value).candidates) {
      const key = c.alias !== undefined ? aliasKey(c.alias, c.label) : recordKey(c.kind, c.digest);
      assert.equal(candidateKey(c), key);
      assert.equal(isReputationKey(key), true);
      assert.equal(isAliasKey(key), c.alias !== undefined);
      if (c.alias === undefined) assert.ok(key.startsWith(recordKeyPrefix(c.kind)));
    }
  }
  const alias = aliasKey('sha1', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709');
  assert.ok(alias.startsWith(ALIAS_KEY_PREFIX));
  assert.equal(aliasKeyHex(alias), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.equal(aliasKeyHex(recordKey('file', sha256('x'))), undefined);
});

// Node before 20.12 has no crypto.hash; the SDK runs there on createHash, and must key alike.
test('sha256: the same digest without crypto.hash', () => {
  const hide = "import c from 'node:crypto';import{syncBuiltinESMExports}from'node:module';c.hash=undefined;syncBuiltinESMExports();";
  const keys = new URL('../src/keys.ts', import.meta.url).href;
  const script = `import * as c from 'node:crypto'; import { sha256 } from '${keys}'; console.log(typeof c.hash, sha256('evil.example/é').toString('hex'));`;
  const out = execFileSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(hide)}`, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.trim(), `undefined ${sha256('evil.example/é').toString('hex')}`);
});
