import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { migrate } from '@repute/analytics';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '@repute/analytics/testkit';
import { createKeyStore } from '@repute/auth';
import type { BusMessage } from '@repute/bus';
import { digestOf, recordKey, type ReputationRecord } from '@repute/core';
import { createCorrelator } from '@repute/correlator';
import { loadPolicy } from '@repute/verdicts';
import { edgeApp, loadEdgeConfig, type EdgeConfig } from '@repute/edge';
import { createRedis, createReputationStore, isCluster, keySlot, type RedisClient, type ReputationStore } from '@repute/store';
import { encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import { startRedisCluster, type RedisCluster } from '@repute/infra';
import { uniqueName } from '@repute/infra/testkit';
import { waitFor } from '@repute/infra';

// The many-machines column of the store: the edge and the correlator against a real
// three-master Redis Cluster, configured as a deployment would be (REDIS_CLUSTER_NODES).

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

let cluster: RedisCluster;
let redis: RedisClient;
let store: ReputationStore;
let config: EdgeConfig;
let app: FastifyInstance;

function record(kind: ReputationRecord['kind'], value: string, verdict: ReputationRecord['verdict'], version = 1): ReputationRecord {
  return {
    kind, value, verdict, score: verdict === 'malicious' ? 95 : 40, confidence: 0.9, categories: ['test'],
    firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_500_000, prevalence: { sensors: 4, tenants: 2 },
    reasons: [{ rule: 'feed.listed', weight: 0.9, evidence: 3 }], version, ttl: 600,
  };
}

/** The master (host:port) owning a key's slot, from the client's slot map. */
function ownerOf(key: string): string {
  assert.ok(isCluster(redis));
  return redis.slots[keySlot(key)]?.[0] ?? '?';
}

const maliciousFiles = Array.from({ length: 24 }, (_, i) => sha(`cluster-malware-${i}`));
const unknownFiles = Array.from({ length: 24 }, (_, i) => sha(`cluster-nothing-${i}`));

before(async () => {
  cluster = await startRedisCluster();
  const env = {
    REDIS_CLUSTER_NODES: cluster.seeds.join(','),
    REDIS_KEY_PREFIX: `${uniqueName('cluster')}:`,
    LOG_LEVEL: 'silent',
    EDGE_FILTER_CAPACITY: '10000',
    EDGE_FILTER_REBUILD_INTERVAL_S: '0',
  } as const;
  config = loadEdgeConfig({ env });
  // The writer's client, as a correlator builds it from the same variables.
  redis = createRedis(config, { commandTimeoutMs: 2_000 });
  await waitFor('the cluster client to be ready', async () => (redis.status === 'ready' ? true : undefined), 10_000);
  store = createReputationStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  for (const file of maliciousFiles) await store.write(record('file', file, 'malicious'));
  await store.write(record('domain', 'cluster-bad.example', 'suspicious'));
  await store.write(record('url', 'cluster-evil.example/dl/', 'malicious'));
  app = Fastify({ logger: false });
  await app.register(edgeApp, { config });
  await app.ready();
});

after(async () => {
  await app?.close();
  redis?.disconnect();
  await cluster?.close();
  removeTestClickHouseData();
});

async function newKey(extra: { rateLimitPerMinute?: number } = {}): Promise<string> {
  const keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  return (await keys.create({ tenant: uniqueName('tenant'), scopes: ['lookup'], ...extra })).key;
}

test('the records of one deployment spread over all three masters', () => {
  const owners = new Set(maliciousFiles.map((f) => ownerOf(store.fullKey(recordKey('file', f)))));
  assert.equal(owners.size, 3, `records on ${[...owners].join(', ')}`);
});

test('API keys created on the cluster verify, and the edge admits them', async () => {
  const keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  const created = await keys.create({ tenant: 'acme', scopes: ['lookup'] });
  const verified = await keys.verify(created.key);
  assert.equal(verified?.tenant, 'acme');
  assert.deepEqual(verified?.scopes, ['lookup']);
  const ok = await app.inject({ url: `/v1/reputation/file/${maliciousFiles[0]}`, headers: { authorization: `Bearer ${created.key}` } });
  assert.equal(ok.statusCode, 200, ok.body);
  const refused = await app.inject({ url: `/v1/reputation/file/${maliciousFiles[0]}`, headers: { authorization: 'Bearer not-a-key' } });
  assert.equal(refused.statusCode, 401);
});

test('single lookups of every kind answer from records on any master', async () => {
  const headers = { authorization: `Bearer ${await newKey()}` };
  const file = await app.inject({ url: `/v1/reputation/file/${maliciousFiles[5]}`, headers });
  assert.equal(file.json().verdict, 'malicious');
  assert.equal(file.json().degraded, false);
  const domain = await app.inject({ url: '/v1/reputation/domain/www.cluster-bad.example', headers });
  assert.equal(domain.json().verdict, 'suspicious');
  const url = await app.inject({ url: `/v1/reputation/url?url=${encodeURIComponent('http://cluster-evil.example/dl/x.exe')}`, headers });
  assert.equal(url.json().verdict, 'malicious');
  const miss = await app.inject({ url: `/v1/reputation/file/${unknownFiles[0]}`, headers });
  assert.equal(miss.json().verdict, 'unknown');
});

test('POST /v1/reputation/batch answers indicators across slots in order', async () => {
  const headers = { authorization: `Bearer ${await newKey()}` };
  // Interleaved hits and misses, so one batch needs keys from every master.
  const indicators = maliciousFiles.flatMap((f, i) => [{ kind: 'file', value: f }, { kind: 'file', value: unknownFiles[i]! }]);
  indicators.push({ kind: 'domain', value: 'cluster-bad.example' }, { kind: 'url', value: 'https://cluster-evil.example/dl/a' }, { kind: 'file', value: 'nothex' });
  const res = await app.inject({ method: 'POST', url: '/v1/reputation/batch', headers, payload: { indicators } });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as { degraded: boolean; counts: { found: number; unknown: number; invalid: number }; results: { status: string; verdict?: string; value?: string }[] };
  assert.equal(body.degraded, false);
  assert.deepEqual(body.counts, { found: 26, unknown: 24, invalid: 1 });
  for (let i = 0; i < maliciousFiles.length; i++) {
    assert.equal(body.results[2 * i]?.verdict, 'malicious', `item ${2 * i}`);
    assert.equal(body.results[2 * i]?.value, maliciousFiles[i]);
    assert.equal(body.results[2 * i + 1]?.status, 'unknown', `item ${2 * i + 1}`);
  }
  assert.equal(body.results.at(-3)?.verdict, 'suspicious');
  assert.equal(body.results.at(-2)?.verdict, 'malicious');
  assert.equal(body.results.at(-1)?.status, 'invalid');
});

test('a per-key rate limit holds on a cluster', async () => {
  const headers = { authorization: `Bearer ${await newKey({ rateLimitPerMinute: 3 })}` };
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await app.inject({ url: `/v1/reputation/file/${unknownFiles[1]}`, headers })).statusCode);
  assert.deepEqual(codes, [200, 200, 200, 429, 429]);
});

test('the edge follows the update stream of records written on the cluster', async () => {
  const headers = { authorization: `Bearer ${await newKey()}` };
  const files = Array.from({ length: 6 }, (_, i) => sha(`cluster-stream-${i}`));
  for (const f of files) assert.equal((await app.inject({ url: `/v1/reputation/file/${f}`, headers })).json().verdict, 'unknown');
  for (const f of files) await store.write(record('file', f, 'malicious'));
  // The edge's filters said "no" before; only the update stream can turn these answers.
  await waitFor('the edge to apply the updates', async () => {
    for (const f of files) {
      if ((await app.inject({ url: `/v1/reputation/file/${f}`, headers })).json().verdict !== 'malicious') return undefined;
    }
    return true;
  }, 10_000);
  await store.remove('file', files[0]!);
  await waitFor('the edge to apply a removal', async () =>
    (await app.inject({ url: `/v1/reputation/file/${files[0]}`, headers })).json().verdict === 'unknown' ? true : undefined, 10_000);
});

test('the correlator scores a batch on the cluster and the edge follows', async (t) => {
  const clickhouse = testClickHouse();
  const database = uniqueName('cluster');
  const prefix = `${uniqueName('corr')}:`;
  t.after(async () => {
    await dropDatabase(clickhouse, database);
    await clickhouse.close();
  });
  await migrate(clickhouse, { database, retentionDays: 7 });
  const policy = loadPolicy();
  const correlator = createCorrelator({ redis, store, clickhouse, database, policy: () => policy, prefix });
  const headers = { authorization: `Bearer ${await newKey()}` };

  // Several files in one batch: their state keys live in different slots.
  const files = Array.from({ length: 6 }, (_, i) => sha(`cluster-fresh-${i}`));
  assert.ok(new Set(files.map((f) => ownerOf(store.fullKey(recordKey('file', f))))).size > 1);
  for (const f of files) {
    const before = await app.inject({ url: `/v1/reputation/file/${f}`, headers });
    assert.equal(before.json().verdict, 'unknown');
  }
  let seq = 0;
  const message = (event: Partial<TelemetryEvent>, tenant: string): BusMessage => {
    const full = { v: 1, id: `${database}-${++seq}`, sensor: 's1', host: 'h1', time: Date.now(), type: 'file_seen', ...event } as TelemetryEvent;
    return { topic: 'telemetry.v1', key: 'k', value: Buffer.from(encodeEnvelope(tenant, Date.now(), full)), headers: {}, id: `${Date.now()}-${seq}` };
  };
  const batch = files.flatMap((f) => [
    message({ sensor: 's1', type: 'detection', file: { sha256: f }, verdict: { engine: 'av-one', category: 'malicious' } }, 't1'),
    message({ sensor: 's2', type: 'detection', file: { sha256: f }, verdict: { engine: 'av-two', category: 'malicious' } }, 't2'),
    message({ sensor: 's3', type: 'sandbox_report', file: { sha256: f }, verdict: { engine: 'sandbox', category: 'malicious' } }, 't2'),
  ]);
  const result = await correlator.handle(batch);
  assert.equal(result.changes, files.length);
  for (const f of files) assert.equal((await store.get(recordKey('file', digestOf('file', f))))?.verdict, 'malicious');

  // The edge's filters said "no" before; only the update stream can turn these answers.
  await waitFor('the edge to apply the correlator\'s updates', async () => {
    for (const f of files) {
      const res = await app.inject({ url: `/v1/reputation/file/${f}`, headers });
      if (res.json().verdict !== 'malicious') return undefined;
    }
    return true;
  }, 10_000);
});
