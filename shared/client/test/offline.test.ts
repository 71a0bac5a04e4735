import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeTestServices } from '@repute/infra/testkit';
import { createClient, ReputeUnavailableError, type Answer, type PendingItem } from '../src/index.ts';
import { randomSha, sha, startEdge, until } from './helpers.ts';

after(closeTestServices);

test('offline: filter and cache answer, the rest goes pending and resolves when the service is back', async (t) => {
  const edge = await startEdge(t);
  const cached = sha('looked-up-before');
  const shortLived = sha('short-lived');
  const unseen = sha('never-looked-up');
  await edge.write('file', cached, 'malicious');
  await edge.write('file', shortLived, 'suspicious', 1);
  await edge.write('file', unseen, 'malicious');
  await edge.write('domain', 'evil.example', 'malicious');
  const resolved: [PendingItem, Answer][] = [];
  const client = createClient({
    baseUrl: edge.url,
    apiKey: await edge.createKey(),
    retry: { attempts: 2, baseDelayMs: 10 },
    filters: { publicKey: await edge.publicKeyPem(), refreshIntervalMs: 0 },
    offline: { probeIntervalMs: 50, onResolved: (item, answer) => resolved.push([item, answer]) },
  });
  t.after(() => client.close());
  await client.syncFilters();
  assert.equal((await client.lookupFile(cached)).verdict, 'malicious');
  assert.equal((await client.lookupFile(shortLived)).verdict, 'suspicious');
  const shortLivedAt = Date.now();

  await edge.stop();
  assert.equal((await client.lookupFile(cached)).source, 'cache', 'a fresh cached answer needs no service');
  const negative = await client.lookupFile(randomSha());
  assert.deepEqual([negative.source, negative.status], ['filter', 'confirmed']);

  const pending = await client.lookupFile(unseen);
  assert.deepEqual([pending.verdict, pending.status, pending.source, pending.filterMatch], ['unknown', 'pending', 'offline', true]);
  await until('the short TTL ran out', () => Date.now() > shortLivedAt + 1000);
  const stale = await client.lookupFile(shortLived);
  assert.deepEqual([stale.verdict, stale.status, stale.source], ['suspicious', 'pending', 'cache'], 'an expired answer is shown, marked pending');
  const batch = await client.lookupMany([{ kind: 'file', value: unseen }, { kind: 'url', value: 'http://www.evil.example/payload' }, { kind: 'file', value: randomSha() }]) as Answer[];
  assert.deepEqual(batch.map((a) => a.status), ['pending', 'pending', 'confirmed']);
  const privately = await client.lookupPrivately('domain', 'evil.example');
  assert.equal(privately.status, 'pending');
  assert.equal(client.stats().pending, 4);
  assert.deepEqual(client.pending().map((p) => `${p.kind}:${p.mode}`).sort(), ['domain:private', 'file:full', 'file:full', 'url:full']);

  await edge.restart();
  await until('pending items resolved', () => client.stats().pending === 0);
  const byValue = new Map(resolved.map(([item, answer]) => [item.value, answer]));
  assert.equal(byValue.get(unseen)?.verdict, 'malicious');
  assert.equal(byValue.get(shortLived)?.verdict, 'suspicious');
  assert.equal(byValue.get('http://www.evil.example/payload')?.verdict, 'malicious');
  assert.equal(byValue.get('evil.example')?.source, 'prefix');
  assert.equal(byValue.get('evil.example')?.verdict, 'malicious');
  assert.equal(resolved.length, 4);
  assert.equal((await client.lookupFile(unseen)).source, 'cache', 'resolved answers are cached');
});

test('without offline mode an unreachable service is an error', async (t) => {
  const edge = await startEdge(t);
  const client = createClient({ baseUrl: edge.url, apiKey: await edge.createKey(), retry: { attempts: 2, baseDelayMs: 10 } });
  t.after(() => client.close());
  await edge.stop();
  await assert.rejects(client.lookupFile(randomSha()), ReputeUnavailableError);
});
