import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { BlockList, isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadIndicatorPool, SHIPPED_LISTS_DIR } from '../src/indicator-pool.ts';
import { createRng } from '../src/rng.ts';

const NO_DATA = join(tmpdir(), 'repute-simulator-no-such-data-dir');

function shipped(name: string): string[] {
  const doc = JSON.parse(readFileSync(join(SHIPPED_LISTS_DIR, `${name}.json`), 'utf8')) as { list: string[] };
  return doc.list.map((v) => v.trim().toLowerCase());
}

/** Every shipped value, matched as an allow list would: hashes exactly, names with their parents, addresses in networks. */
function shippedMatcher(): (value: string) => boolean {
  const names = new Set<string>();
  const networks = new BlockList();
  for (const file of readdirSync(SHIPPED_LISTS_DIR).filter((f) => f.endsWith('.json'))) {
    for (const v of shipped(file.replace(/\.json$/, ''))) {
      const [address, bits] = v.split('/');
      if (address !== undefined && isIPv4(address)) networks.addSubnet(address, bits === undefined ? 32 : Number(bits));
      else names.add(v.replace(/^\./, ''));
    }
  }
  return (value) => {
    if (isIPv4(value)) return networks.check(value);
    for (let d = value; d !== ''; d = d.includes('.') ? d.slice(d.indexOf('.') + 1) : '') if (names.has(d)) return true;
    return false;
  };
}

test('without the public lists the benign side comes from the shipped warning lists', () => {
  const pool = loadIndicatorPool(createRng(7), NO_DATA);
  assert.equal(pool.source, 'shipped');
  const top = new Set([...shipped('tranco10k'), ...shipped('alexa')]);
  assert.ok(pool.topDomains.length > 1000 && pool.topDomains.every((d) => top.has(d)));
  const good = new Set(shipped('ti-falsepositives'));
  assert.ok(pool.benignHashes.length > 1000 && pool.benignHashes.every((h) => good.has(h)));
  const clouds = new Set(['amazon-aws', 'google-gcp', 'cloudflare', 'microsoft-azure'].flatMap(shipped));
  assert.ok(pool.cloudNetworks.length > 100 && pool.cloudNetworks.every((c) => clouds.has(c)));
  const sinkholes = new Set(shipped('sinkholes'));
  assert.ok(pool.sinkholes.length >= 3 && pool.sinkholes.every((ip) => sinkholes.has(ip)));
});

test('no made-up value of the shipped pool, malicious or long-tail, is on a shipped list', () => {
  const listed = shippedMatcher();
  for (const seed of [1, 7, 9]) {
    const pool = loadIndicatorPool(createRng(seed), NO_DATA);
    const madeUp = [
      ...pool.downloadHosts.map((h) => h.host), ...pool.c2Ips, ...pool.c2Domains, ...pool.phishingDomains, ...pool.malwareHashes, ...pool.tailDomains,
    ];
    assert.deepEqual(madeUp.filter(listed), [], `seed ${seed}`);
  }
});

test('a null data folder makes up every value, and the same seed draws the same pool', () => {
  assert.equal(loadIndicatorPool(createRng(7), null).source, 'generated');
  assert.deepEqual(loadIndicatorPool(createRng(7), NO_DATA), loadIndicatorPool(createRng(7), NO_DATA));
});
