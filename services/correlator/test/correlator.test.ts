import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { AGGREGATE_DETECTIONS, AGGREGATE_EVENTS, migrate } from '@repute/analytics';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '@repute/analytics/testkit';
import type { BusMessage } from '@repute/bus';
import { digestOf, lookupCandidates, recordKey, type IndicatorKind } from '@repute/core';
import { closeTestServices, deleteKeysWithPrefix, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createReputationStore } from '@repute/store';
import { encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import { createCorrelator, type IndicatorRef } from '../src/correlator.ts';
import { applyOverride, liftOverride, loadPolicy } from '@repute/verdicts';
import { accusedApartFromAddresses, judgeAddress } from '../src/propagation/address-names.ts';
import { scanPolymorphicDownloads } from '../src/propagation/polymorphic-downloads.ts';
import { pathPrefixOf, propagateOnce } from '../src/propagation/propagate.ts';
import { migrateStateLayout } from '../src/state/migrate-layout.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const policy = loadPolicy();
const FILE = '9f'.repeat(32);
const URL = 'http://evil-downloads.example/payload.exe';
let seq = 0;

function ref(kind: IndicatorKind, value: string): IndicatorRef {
  const digest = digestOf(kind, value).toString('hex');
  return { kind, value, digest, key: recordKey(kind, digest) };
}

function message(event: Partial<TelemetryEvent>, tenant = 't1'): BusMessage {
  const full = { v: 1, id: `ev-${++seq}`, sensor: 's1', host: 'h1', time: Date.now(), type: 'file_seen', ...event } as TelemetryEvent;
  return { topic: 'telemetry.v1', key: 'k', value: Buffer.from(encodeEnvelope(tenant, Date.now(), full)), headers: {}, id: `${Date.now()}-${seq}` };
}

async function setup(t: import('node:test').TestContext) {
  const redis = new Redis(await testRedisUrl());
  const clickhouse = testClickHouse();
  const database = uniqueName('corr');
  const prefix = `${uniqueName('corr')}:`;
  await migrate(clickhouse, { database, retentionDays: 7 });
  const store = createReputationStore(redis, { prefix });
  const correlator = createCorrelator({ redis, store, clickhouse, database, policy: () => policy, prefix });
  t.after(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await dropDatabase(clickhouse, database);
    await clickhouse.close();
    redis.disconnect();
  });
  const query = async <T>(sql: string) => (await clickhouse.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  return { redis, clickhouse, database, prefix, store, correlator, query };
}

const detections = () => [
  message({ sensor: 's1', type: 'detection', file: { sha256: FILE }, relations: { downloadedFrom: URL }, verdict: { engine: 'av-one', category: 'malicious', name: 'Trojan.X' } }, 't1'),
  message({ sensor: 's2', type: 'detection', file: { sha256: FILE }, verdict: { engine: 'av-two', category: 'malicious' } }, 't2'),
  message({ sensor: 's3', type: 'sandbox_report', file: { sha256: FILE }, verdict: { engine: 'sandbox', category: 'malicious' } }, 't2'),
];

test('a file with engine and sandbox detections from several sensors becomes malicious, readable in Redis, logged', async (t) => {
  const { store, correlator, query, database } = await setup(t);
  const result = await correlator.handle(detections());
  assert.equal(result.changes, 1);
  const record = await store.get(ref('file', FILE).key);
  assert.equal(record?.verdict, 'malicious');
  // One row per source: the sandbox weighs most, then each engine (the second discounted).
  assert.deepEqual(record?.reasons.map((r) => [r.rule, r.detail ?? '']), [['sandbox.malicious', 'sandbox'], ['engine.malicious', 'av-one'], ['engine.malicious', 'av-two'], ['consensus.tenants', '']]);
  assert.deepEqual(record?.prevalence, { sensors: 3, tenants: 2 });
  assert.equal(record?.reasons[1]?.evidence, 1);
  const log = await query<{ verdict: string; source: string; policy_version: string }>(`SELECT verdict, source, policy_version FROM ${database}.verdict_log`);
  assert.deepEqual(log, [{ verdict: 'malicious', source: 'stream', policy_version: policy.version }]);
  const raw = await query<{ n: string }>(`SELECT count() AS n FROM ${database}.telemetry_raw`);
  assert.equal(Number(raw[0]?.n), 5); // 3 events on the file, plus the URL and its host on the first
});

test('a sandbox report after the conviction rewrites the served reasons without logging a new verdict', async (t) => {
  const { store, correlator, query, database } = await setup(t);
  const [first, second, sandbox] = detections();
  await correlator.handle([first!, second!]);
  const before = await store.get(ref('file', FILE).key);
  assert.equal(before?.verdict, 'malicious');
  assert.ok(!before?.reasons.some((r) => r.rule === 'sandbox.malicious'));
  const result = await correlator.handle([sandbox!]);
  assert.equal(result.changes, 0, 'the verdict did not change');
  const after = await store.get(ref('file', FILE).key);
  assert.equal(after?.verdict, 'malicious');
  assert.ok(after?.reasons.some((r) => r.rule === 'sandbox.malicious'), 'the served reasons name the sandbox');
  assert.ok(after!.version > before!.version);
  const log = await query<{ verdict: string }>(`SELECT verdict FROM ${database}.verdict_log`);
  assert.equal(log.length, 1, 'one verdict change, one log row');
  // Nothing new to say: the record is not written again.
  await correlator.handle([message({ sensor: 's4', type: 'file_seen', file: { sha256: FILE } }, 't3')]);
  assert.equal((await store.get(ref('file', FILE).key))?.version, after!.version);
});

test('a replayed duplicate changes no count, in Redis or in the aggregates', async (t) => {
  const { store, correlator, query, database } = await setup(t);
  const batch = detections();
  const aggregates = async () => ({
    file: await query<{ events: string; detections: Record<string, string> }>(`SELECT ${AGGREGATE_EVENTS} AS events, ${AGGREGATE_DETECTIONS} AS detections FROM ${database}.indicator_hourly WHERE kind = 'file'`),
    relations: await query<{ dst_kind: string; events: string }>(`SELECT dst_kind, ${AGGREGATE_EVENTS} AS events FROM ${database}.relations WHERE src_kind = 'file' GROUP BY dst_kind ORDER BY dst_kind`),
  });
  await correlator.handle(batch);
  const first = await aggregates();
  assert.equal(Number(first.file[0]?.events), 3);
  assert.deepEqual(Object.values(first.file[0]?.detections ?? {}).map(Number), [1, 1, 1]);
  assert.deepEqual(first.relations.map((r) => [r.dst_kind, Number(r.events)]), [['url', 1]]);
  const again = await correlator.handle(batch.map((m) => ({ ...m, id: `${m.id}-replay` })));
  assert.equal(again.duplicates, 3);
  assert.equal(again.changes, 0);
  const record = await store.get(ref('file', FILE).key);
  assert.deepEqual(record?.prevalence, { sensors: 3, tenants: 2 });
  assert.deepEqual(record?.reasons.filter((r) => r.rule === 'engine.malicious').map((r) => r.evidence), [1, 1]);
  const final = await query<{ n: string }>(`SELECT count() AS n FROM ${database}.telemetry_raw FINAL`);
  assert.equal(Number(final[0]?.n), 5);
  const raw = await query<{ n: string }>(`SELECT count() AS n FROM ${database}.telemetry_raw`);
  assert.equal(Number(raw[0]?.n), 10, 'the replay reached ClickHouse as rows of its own');
  assert.deepEqual(await aggregates(), first, 'the hourly and relation aggregates count each event once');
});

test('names no JSON can carry whole (a lone surrogate) are counted, not a batch that fails forever', async (t) => {
  const { store, correlator } = await setup(t);
  const result = await correlator.handle([
    message({ sensor: 'sensor-\ud800', type: 'detection', file: { sha256: FILE }, verdict: { engine: 'av-\udc00', category: 'malicious' } }),
    message({ sensor: 's2', type: 'file_seen', file: { sha256: FILE } }),
  ]);
  assert.deepEqual([result.events, result.duplicates, result.invalid], [2, 0, 0]);
  // Both sensors are counted; the served record is decided by the detection.
  assert.equal((await correlator.inspect(ref('file', FILE))).decoded.state.sensors, 2);
  const record = await store.get(ref('file', FILE).key);
  assert.ok(record?.reasons.some((r) => r.rule === 'engine.malicious'), JSON.stringify(record?.reasons));
});

test('propagation raises the URL and its domain, naming the neighbour; clearing lowers them', async (t) => {
  const deps = await setup(t);
  const { store, correlator, redis, clickhouse, database, prefix } = deps;
  await correlator.handle(detections());
  const p = await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  assert.equal(p.sources, 1);
  const url = await store.get(ref('url', URL).key);
  assert.equal(url?.verdict, 'suspicious');
  assert.deepEqual(url?.reasons.map((r) => [r.rule, r.detail]).slice(0, 1), [['relation.downloaded_from', `file ${FILE}`]]);
  // One download makes the URL suspicious; its host, two hops away, gets a share too small to raise it.
  assert.equal(await store.get(ref('domain', 'evil-downloads.example').key), null);
  const domain = (await correlator.inspect(ref('domain', 'evil-downloads.example'))).assessment;
  assert.deepEqual([domain.reasons[0]?.rule, domain.reasons[0]?.detail, domain.reasons[0]?.evidence], ['relation.hosted_on', `url ${URL}`, 2]);

  await applyOverride({ redis, clickhouse, database, rescorer: correlator, prefix }, ref('file', FILE), { verdict: 'clean', analyst: 'ana', tenant: 't1', scope: 'global', comment: 'vendor tool' });
  assert.equal((await store.get(ref('file', FILE).key))?.verdict, 'clean');
  const lowered = await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  assert.equal(lowered.lowered, 2);
  assert.equal((await store.get(ref('url', URL).key))?.verdict, 'unknown');
  assert.equal((await correlator.inspect(ref('domain', 'evil-downloads.example'))).decoded.state.graph.length, 0);
  const log = await deps.query<{ verdict: string; source: string }>(`SELECT verdict, source FROM ${database}.verdict_log WHERE kind = 'file' ORDER BY time`);
  assert.deepEqual(log.map((r) => r.source), ['stream', 'override']);
  const audit = await deps.query<{ analyst: string }>(`SELECT analyst FROM ${database}.overrides`);
  assert.deepEqual(audit, [{ analyst: 'ana' }]);
});

test('an allow-listed domain is never convicted and does not propagate', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const batch = ['s1', 's2', 's3'].map((sensor, i) => message({ sensor, type: 'detection', url: 'https://www.google.com/x', domain: 'google.com', verdict: { engine: `av${i}`, category: 'malicious' } }, `t${i}`));
  batch.push(message({ type: 'dns_resolve', domain: 'google.com', relations: { resolvedIps: ['198.51.100.7'] } }));
  batch.push(...['s1', 's2'].map((sensor, i) => message({ sensor, type: 'sandbox_report', domain: 'google.com', verdict: { engine: `sb${i}`, category: 'malicious' } }, `t${i}`)));
  await correlator.handle(batch);
  const domain = await store.get(ref('domain', 'google.com').key);
  assert.equal(domain, null); // capped at unknown: no verdict change, no record
  const { assessment } = await correlator.inspect(ref('domain', 'google.com'));
  assert.equal(assessment.verdict, 'unknown');
  assert.ok(assessment.reasons.some((r) => r.rule === 'allow.tranco10k'));
  await redis.zadd(`${prefix}corr:propagate`, 1, JSON.stringify(ref('domain', 'google.com')));
  const p = await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  assert.equal(p.raised, 0);
  assert.equal(await store.get(ref('ip', '198.51.100.7').key), null);
});

test('a popular site two convicted programs contact stays unconvicted; the C2 domain only they contact is convicted', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const programs = ['c1'.repeat(32), 'c2'.repeat(32)];
  await correlator.handle([
    // Twelve machines browse the site.
    ...Array.from({ length: 12 }, (_, i) => message({ sensor: `browser-${i}`, type: 'dns_resolve', domain: 'popular.example' })),
    ...programs.flatMap((sha256, i) => [
      message({ sensor: `victim-${i}`, type: 'net_conn', file: { sha256 }, domain: 'popular.example' }),
      message({ sensor: `victim-${i}`, type: 'net_conn', file: { sha256 }, domain: 'c2.example' }),
      // Convicted by evidence from two tenants: one tenant alone convicts in its own view only.
      message({ sensor: `victim-${i}`, type: 'detection', file: { sha256 }, verdict: { engine: 'av-one', category: 'malicious' } }, 't1'),
      message({ sensor: 'sandbox', type: 'sandbox_report', file: { sha256 }, verdict: { engine: 'sandbox', category: 'malicious' } }, 't2'),
    ]),
  ]);
  for (const sha256 of programs) assert.equal((await store.get(ref('file', sha256).key))?.verdict, 'malicious');
  const p = await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  assert.equal(p.sources, 2);
  const c2 = await store.get(ref('domain', 'c2.example').key);
  // Two convicted programs, and nobody else: the C2 domain is convicted by association.
  assert.equal(c2?.verdict, 'malicious');
  assert.deepEqual(c2?.reasons.map((r) => [r.rule, r.weight]), [['relation.connected_to', 23.1], ['relation.connected_to', 21.9]]);
  assert.equal(await store.get(ref('domain', 'popular.example').key), null, 'no verdict change, no record');
  const { assessment } = await correlator.inspect(ref('domain', 'popular.example'));
  assert.equal(assessment.verdict, 'unknown');
  assert.deepEqual(assessment.reasons.find((r) => r.rule === 'prevalence.bystander')?.detail, 'accusers seen by 14% of its sensors; graph evidence x0.29');
});

test('an address only convicted names run on is convicted with them; one shared by sites nobody accuses takes nothing', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const programs = ['e1'.repeat(32), 'e2'.repeat(32)];
  const own = '203.0.113.9';
  const edge = '198.51.100.20';
  await correlator.handle([
    message({ sensor: 'dns-1', type: 'dns_resolve', domain: 'c2.example', relations: { resolvedIps: [own] } }),
    // The other C2 name is fronted by a CDN edge that four sites nobody accuses also resolve to.
    message({ sensor: 'dns-1', type: 'dns_resolve', domain: 'fronted.example', relations: { resolvedIps: [edge] } }),
    ...['a', 'b', 'c', 'd'].map((s, i) => message({ sensor: `browser-${i}`, type: 'dns_resolve', domain: `site-${s}.example`, relations: { resolvedIps: [edge] } })),
    ...programs.flatMap((sha256, i) => [
      message({ sensor: `victim-${i}`, type: 'net_conn', file: { sha256 }, domain: 'c2.example' }),
      message({ sensor: `victim-${i}`, type: 'net_conn', file: { sha256 }, domain: 'fronted.example' }),
      message({ sensor: `victim-${i}`, type: 'detection', file: { sha256 }, verdict: { engine: 'av-one', category: 'malicious' } }, 't1'),
      message({ sensor: 'sandbox', type: 'sandbox_report', file: { sha256 }, verdict: { engine: 'sandbox', category: 'malicious' } }, 't2'),
    ]),
  ]);
  const deps = { redis, clickhouse, database, correlator, policy: () => policy, prefix };
  await propagateOnce(deps);
  for (const name of ['c2.example', 'fronted.example']) assert.equal((await store.get(ref('domain', name).key))?.verdict, 'malicious', name);
  // The names, convicted, walk in the next round.
  await propagateOnce(deps);
  const address = await store.get(ref('ip', own).key);
  assert.equal(address?.verdict, 'malicious', JSON.stringify(address));
  assert.deepEqual(address?.reasons.map((r) => `${r.rule} ${r.detail}`).sort(), ['provenance.dedicated_address domain c2.example', 'relation.resolves_to domain c2.example']);
  assert.equal(await store.get(ref('ip', edge).key), null, 'no verdict change, no record');
  assert.deepEqual((await correlator.inspect(ref('ip', edge))).decoded.state.graph, []);
});

test('a URL that served a build of its own to each machine, in two tenants, is convicted with its builds; a release, signed installers, one tenant\'s builds and a tool\'s versions are not', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const builds = (url: string, n: number, machines: (i: number) => [string, string][], signer?: string, age: (i: number) => number = () => 0) => Array.from({ length: n }, (_, i) => {
    const sha256 = createHash('sha256').update(`${url} ${i}`).digest('hex');
    return machines(i).map(([tenant, host]) => message({ sensor: `ep-${host}`, host, time: Date.now() - age(i), type: 'file_seen', file: { sha256, ...(signer !== undefined ? { signer } : {}) }, relations: { downloadedFrom: url } }, tenant));
  }).flat();
  const dropper = 'https://cdn.example/download/setup.exe';
  const release = 'https://release.example/latest/app.exe';
  const signed = 'https://signed.example/get/installer.exe';
  const intranet = 'https://intranet.example/build/app.exe';
  const tool = 'https://tools.example/download/latest.exe';
  await correlator.handle([
    // Five victims, three of t1 and two of t2, each served a file no one else has.
    ...builds(dropper, 5, (i) => [[i < 3 ? 't1' : 't2', `v${i}`]]),
    // Four releases, each downloaded by a machine of each tenant.
    ...builds(release, 4, (i) => [['t1', `r${i}`], ['t2', `r${i}`]]),
    // Per-user installers, signed by their vendor.
    ...builds(signed, 5, (i) => [[i < 3 ? 't1' : 't2', `s${i}`]], 'Vendor Ltd'),
    // Nightly builds of one company's own, downloaded by its developers.
    ...builds(intranet, 5, (i) => [['t1', `d${i}`]]),
    // A niche tool's download link: a new version every few weeks, each fetched by one machine.
    ...builds(tool, 5, (i) => [[i % 2 === 0 ? 't1' : 't2', `n${i}`]], undefined, (i) => (4 - i) * 20 * 86_400_000),
  ]);
  const found = await scanPolymorphicDownloads({ redis, clickhouse, database, prefix }, policy);
  assert.deepEqual(found.found.map((r) => r.value), [dropper]);
  assert.deepEqual(found.cleared, [], 'nothing had a finding to lose');
  await correlator.rescore(found.found, 'propagation');
  const url = await store.get(ref('url', dropper).key);
  assert.equal(url?.verdict, 'malicious', JSON.stringify(url));
  assert.deepEqual(url?.reasons.map((r) => [r.rule, r.detail]), [['provenance.polymorphic', '5 builds to 5 machines']]);
  // The URL walks in the next round, to the builds it served: each is what it distributes.
  await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  const build = await store.get(ref('file', createHash('sha256').update(`${dropper} 4`).digest('hex')).key);
  assert.equal(build?.verdict, 'malicious', JSON.stringify(build));
  assert.ok(build?.reasons.some((r) => r.rule === 'provenance.downloaded_from_convicted'));
  for (const other of [release, signed, intranet, tool]) assert.equal(await store.get(ref('url', other).key), null, other);

  // A build seen on more machines since is a release after all: the finding goes.
  await correlator.handle(builds(dropper, 5, (i) => [['t2', `w${i}`]]));
  const again = await scanPolymorphicDownloads({ redis, clickhouse, database, prefix }, policy);
  assert.deepEqual(again.cleared.map((r) => r.value), [dropper]);
  await correlator.rescore(again.cleared, 'propagation');
  assert.notEqual((await store.get(ref('url', dropper).key))?.verdict, 'malicious');
});

test('what first appeared on the machines of two convicted programs, around their time and few places else, is accused by both', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const programs = ['d1'.repeat(32), 'd2'.repeat(32)];
  const script = 'd3'.repeat(32);
  const later = 'd4'.repeat(32);
  const local = 'd5'.repeat(32);
  const now = Date.now();
  const victims = [['t1', 'v1'], ['t1', 'v2'], ['t2', 'v3'], ['t2', 'v4']] as const;
  await correlator.handle([
    // Twelve other machines read the news site the victims also read.
    ...Array.from({ length: 12 }, (_, i) => message({ sensor: `reader-${i}`, host: `r${i}`, type: 'dns_resolve', domain: 'news.example', time: now - 3_600_000 })),
    ...victims.flatMap(([tenant, host]) => [
      message({ sensor: `ep-${host}`, host, type: 'dns_resolve', domain: 'news.example', time: now - 1_800_000 }, tenant),
      message({ sensor: `ep-${host}`, host, type: 'file_seen', file: { sha256: script }, time: now - 600_000 }, tenant),
      ...programs.map((sha256) => message({ sensor: `ep-${host}`, host, type: 'process_start', file: { sha256 }, time: now - 300_000 }, tenant)),
      // Installed ten hours later: no part of the same attack.
      message({ sensor: `ep-${host}`, host, type: 'file_seen', file: { sha256: later }, time: now + 36_000_000 }, tenant),
    ]),
    ...[['t1', 'v1'], ['t1', 'v2'], ['t1', 'v5']].map(([tenant, host]) => message({ sensor: `ep-${host}`, host, type: 'file_seen', file: { sha256: local }, time: now - 200_000 }, tenant)),
    message({ sensor: 'ep-v5', host: 'v5', type: 'process_start', file: { sha256: programs[0]! }, time: now - 250_000 }, 't1'),
    ...programs.flatMap((sha256) => [
      message({ sensor: 'ep-v1', host: 'v1', type: 'detection', file: { sha256 }, verdict: { engine: 'av-one', category: 'malicious' } }, 't1'),
      message({ sensor: 'sandbox', host: 'sbx', type: 'sandbox_report', file: { sha256 }, verdict: { engine: 'sandbox', category: 'malicious' } }, 't2'),
    ]),
  ]);
  for (const sha256 of programs) assert.equal((await store.get(ref('file', sha256).key))?.verdict, 'malicious');
  await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  const raised = await store.get(ref('file', script).key);
  assert.equal(raised?.verdict, 'malicious', JSON.stringify(raised));
  assert.deepEqual(raised?.reasons.filter((r) => r.rule === 'relation.co_hosted').map((r) => r.detail).sort(), programs.map((p) => `file ${p}`));
  // Seen by 16 machines, 4 of them the victims': a site they browsed, not the attack's.
  assert.equal((await correlator.inspect(ref('domain', 'news.example'))).decoded.state.graph.length, 0);
  assert.equal((await correlator.inspect(ref('file', later))).decoded.state.graph.length, 0);
  assert.equal((await correlator.inspect(ref('file', local))).decoded.state.graph.length, 0);
});

test('a link a convicted sender mailed to several recipients is convicted by its provenance; the decoy to the real brand is not accused', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const sender = 'billing@invoice-notice.example';
  const lure = 'https://invoice-portal.example/pay/view.php';
  const decoy = 'https://www.paypal.com/signin';
  const recipients = [['t1', 'r1'], ['t1', 'r2'], ['t2', 'r3']] as const;
  await correlator.handle([
    ...recipients.map(([tenant, host]) => message({ sensor: `gw-${tenant}`, host, type: 'email_received', sender, relations: { carriedUrls: [lure, decoy] } }, tenant)),
    message({ sensor: 'gw-t1', host: 'r1', type: 'email_received', sender, verdict: { engine: 'mail-a', category: 'malicious' } }, 't1'),
    message({ sensor: 'gw-t2', host: 'r3', type: 'email_received', sender, verdict: { engine: 'mail-b', category: 'malicious' } }, 't2'),
  ]);
  assert.equal((await store.get(ref('email', sender).key))?.verdict, 'malicious');
  await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  const record = await store.get(ref('url', lure).key);
  assert.equal(record?.verdict, 'malicious', JSON.stringify(record?.reasons));
  assert.ok(record.reasons.some((r) => r.rule === 'provenance.sent_by_convicted' && r.detail === `email ${sender}`), JSON.stringify(record.reasons));
  assert.equal((await correlator.inspect(ref('url', decoy))).decoded.state.graph.length, 0);
});

test('a convicted child process raises nothing on its parent nor, through it, on its siblings; a convicted parent raises its child', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const shell = 'e1'.repeat(32);
  const sibling = 'e2'.repeat(32);
  const child = 'e3'.repeat(32);
  await correlator.handle([
    message({ type: 'process_start', file: { sha256: sibling }, relations: { parentFile: { sha256: shell } } }),
    message({ type: 'process_start', file: { sha256: FILE }, relations: { parentFile: { sha256: shell } } }),
    message({ type: 'process_start', file: { sha256: child }, relations: { parentFile: { sha256: FILE } } }),
    ...detections(),
  ]);
  await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  assert.equal(await redis.hlen(`${prefix}corr:{${ref('file', shell).key}}:g`), 0);
  assert.equal(await redis.hlen(`${prefix}corr:{${ref('file', sibling).key}}:g`), 0);
  const raised = await store.get(ref('file', child).key);
  assert.equal(raised?.verdict, 'suspicious');
  assert.equal(raised?.reasons[0]?.rule, 'relation.parent');
});

test('overrides and graph evidence of the earlier layout are moved into the state hash once; what was written since wins', async (t) => {
  const { correlator, redis, prefix } = await setup(t);
  await correlator.handle(detections());
  const file = ref('file', FILE);
  const url = ref('url', URL);
  const domain = ref('domain', 'evil-downloads.example');
  const base = (r: IndicatorRef) => `${prefix}corr:{${r.key}}`;
  // Written the earlier way: an override key of its own, a hash of graph evidence by source.
  await redis.set(`${base(file)}:o`, JSON.stringify({ verdict: 'clean' }));
  const evidence = { from: { kind: 'file', value: FILE, key: file.key }, source: file.key, rel: 'downloaded_from', hops: 1, weight: 60 };
  await redis.hset(`${base(url)}:g`, file.key, JSON.stringify(evidence));
  // An override set since, in the current layout, over an older one left behind.
  await redis.hset(`${base(domain)}:s`, 'o', JSON.stringify({ verdict: 'malicious' }));
  await redis.set(`${base(domain)}:o`, JSON.stringify({ verdict: 'clean' }));
  assert.equal((await correlator.inspect(file)).assessment.verdict, 'malicious', 'the old override key is not read');

  assert.deepEqual(await migrateStateLayout(redis, prefix), { overrides: 1, graph: 1 });
  const overridden = (await correlator.inspect(file)).assessment;
  assert.deepEqual([overridden.verdict, overridden.reasons.map((r) => r.rule)], ['clean', ['override']]);
  const raised = (await correlator.inspect(url)).assessment;
  assert.equal(raised.verdict, 'suspicious');
  // Evidence of the earlier layout counts, capped as any graph evidence is.
  assert.deepEqual(raised.reasons[0], { rule: 'relation.downloaded_from', weight: 45, evidence: 1, detail: `file ${FILE}` });
  assert.equal((await correlator.inspect(domain)).assessment.verdict, 'malicious');
  assert.equal(await redis.exists(`${base(file)}:o`, `${base(url)}:g`, `${base(domain)}:o`), 0);

  // Done once: a key of the old shape written later is not looked for again.
  await redis.set(`${base(url)}:o`, JSON.stringify({ verdict: 'clean' }));
  assert.deepEqual(await migrateStateLayout(redis, prefix), { overrides: 0, graph: 0 });
  assert.equal(await redis.exists(`${base(url)}:o`), 1);
});

test('lifting an override is audited with who lifted it and why', async (t) => {
  const { correlator, redis, clickhouse, database, prefix, query } = await setup(t);
  const deps = { redis, clickhouse, database, rescorer: correlator, prefix };
  await applyOverride(deps, ref('file', FILE), { verdict: 'malicious', analyst: 'ana', tenant: 't1', scope: 'global', comment: 'seen in IR' });
  await liftOverride(deps, ref('file', FILE), { analyst: 'bob', tenant: 't1', scope: 'global', comment: 'vendor confirmed benign' });
  const audit = await query<{ analyst: string; tenant: string; comment: string; active: number }>(`SELECT analyst, tenant, comment, active FROM ${database}.overrides ORDER BY version`);
  assert.deepEqual(audit, [
    { analyst: 'ana', tenant: 't1', comment: 'seen in IR', active: 1 },
    { analyst: 'bob', tenant: 't1', comment: 'vendor confirmed benign', active: 0 },
  ]);
});

test('a later clean from the same engine and tenant retracts its detection; an earlier one delivered late does not', async (t) => {
  const { store, correlator } = await setup(t);
  const at = Date.now() - 60_000;
  const word = (category: 'malicious' | 'clean', time: number, tenant: string) =>
    message({ sensor: 's1', type: 'detection', time, file: { sha256: FILE }, verdict: { engine: 'av-one', category } }, tenant);
  await correlator.handle([word('malicious', at, 't1'), word('malicious', at, 't2')]);
  assert.equal((await store.get(ref('file', FILE).key))?.verdict, 'suspicious');
  // t1's engine rescans and says clean; t2's still stands.
  await correlator.handle([word('clean', at + 1000, 't1')]);
  const { decoded } = await correlator.inspect(ref('file', FILE));
  assert.deepEqual(decoded.state.words.map((w) => [w.tenant, w.category, w.count]).sort(), [['t1', 'clean', 2], ['t2', 'malicious', 1]]);
  // A detection older than the retraction, delivered late, does not bring it back.
  await correlator.handle([word('malicious', at + 500, 't1')]);
  assert.equal((await correlator.inspect(ref('file', FILE))).decoded.state.words.find((w) => w.tenant === 't1')?.category, 'clean');
  await correlator.handle([word('clean', at + 2000, 't2')]);
  assert.equal((await correlator.inspect(ref('file', FILE))).assessment.verdict, 'unknown');
});

test('one tenant convicts in its own view only, whatever sensor ids it invents; a trusted key convicts for everyone', async (t) => {
  const { store, correlator } = await setup(t);
  const url = 'https://www.example-shop.test/checkout';
  const invented = ['s1', 's2', 's3'].map((sensor, i) => message({ sensor, type: 'detection', url, verdict: { engine: `av${i}`, category: 'malicious' } }, 'mallory'));
  await correlator.handle(invented);
  const record = await store.get(ref('url', url).key);
  assert.equal(record?.verdict, 'suspicious');
  assert.ok(record?.reasons.some((r) => r.rule === 'guard.single_tenant'));
  assert.deepEqual(Object.keys(record?.views ?? {}), ['mallory']);
  assert.equal(record?.views?.['mallory']?.verdict, 'malicious');
  // Sensors are counted within their tenant: another tenant's "s1" is another sensor.
  await correlator.handle([message({ sensor: 's1', type: 'url_visit', url }, 'acme')]);
  assert.equal((await correlator.inspect(ref('url', url))).decoded.state.sensors, 4);

  const sample = 'ab'.repeat(32);
  const lab = { v: 1, id: `ev-${++seq}`, sensor: 'lab-1', host: 'lab', time: Date.now(), type: 'sandbox_report', file: { sha256: sample }, verdict: { engine: 'detonator', category: 'malicious' } } as TelemetryEvent;
  await correlator.handle([{ topic: 'telemetry.v1', key: 'k', value: Buffer.from(encodeEnvelope('operator', Date.now(), lab, true)), headers: {}, id: `${Date.now()}-${seq}` }]);
  const trusted = await store.get(ref('file', sample).key);
  assert.equal(trusted?.verdict, 'malicious');
  assert.equal(trusted?.views, undefined);
});

test("a mail gateway's detection of a look-alike of a brand convicts in the tenant's view; the same detection of a plainly named page does not", async (t) => {
  const { store, correlator } = await setup(t);
  const lookalike = 'https://docusign-review.click/view/document';
  const plain = 'https://quarterly-review.click/view/document';
  const gateway = (url: string) => message({ sensor: 'mx-1', type: 'email_received', sender: 'no-reply@notice.example', relations: { carriedUrls: [url] }, url, verdict: { engine: 'mailguard', category: 'malicious', name: 'Phish.Generic' } }, 'acme');
  await correlator.handle([gateway(lookalike), gateway(plain)]);

  const impersonating = await store.get(ref('url', lookalike).key);
  const brand = impersonating?.reasons.find((r) => r.rule === 'lexical.brand_impersonation');
  assert.equal(brand?.detail, 'docusign (combo)');
  assert.equal(impersonating?.views?.['acme']?.verdict, 'malicious');
  // Nobody's evidence beside one tenant's word is still one tenant's word for everyone else.
  assert.equal(impersonating?.verdict, 'suspicious');
  assert.ok(impersonating?.reasons.some((r) => r.rule === 'guard.single_tenant'));
  // The domain it names a brand in carries the hint on its own record too.
  const domain = await correlator.inspect(ref('domain', 'docusign-review.click'));
  assert.ok(domain.assessment.reasons.some((r) => r.rule === 'lexical.brand_impersonation'));

  const ordinary = await store.get(ref('url', plain).key);
  assert.ok(!ordinary?.reasons.some((r) => r.rule === 'lexical.brand_impersonation'));
  assert.notEqual(ordinary?.views?.['acme']?.verdict ?? ordinary?.verdict, 'malicious');
});

test('evidence never returns to where it came from; a compromised site is not convicted by its one bad URL', async (t) => {
  const { store, correlator, redis, clickhouse, database, prefix } = await setup(t);
  const round = () => propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
  const other = 'e5'.repeat(32);
  const third = 'e4'.repeat(32);
  const ip = '203.0.113.77';
  await correlator.handle([
    message({ type: 'net_conn', file: { sha256: FILE }, ip }),
    message({ sensor: 's9', type: 'net_conn', file: { sha256: other }, ip }),
    message({ sensor: 's8', type: 'net_conn', file: { sha256: third }, ip }),
    ...detections(),
    message({ sensor: 's9', type: 'detection', file: { sha256: other }, verdict: { engine: 'av-one', category: 'malicious' } }, 't1'),
    message({ sensor: 's7', type: 'detection', file: { sha256: other }, verdict: { engine: 'av-two', category: 'malicious' } }, 't2'),
  ]);
  for (let i = 0; i < 3; i++) await round();
  // Two convicted programs convict the address they both contact; the third program that used it
  // is accused by it. Neither convicted program gets its own accusation back: without what each
  // told the address, the address accuses no one (one neighbour is not enough to convict).
  assert.equal((await correlator.inspect(ref('ip', ip))).assessment.verdict, 'malicious');
  assert.ok((await correlator.inspect(ref('file', third))).decoded.state.graph.some((g) => g.from.key === ref('ip', ip).key));
  // (Each may hear of the other through it: that is the other's evidence, not its own.)
  for (const f of [FILE, other]) {
    const graph = (await correlator.inspect(ref('file', f))).decoded.state.graph;
    assert.ok(graph.every((g) => g.source !== ref('ip', ip).key && g.source !== ref('file', f).key && !(g.origins ?? []).includes(ref('file', f).key)), JSON.stringify(graph));
  }
  // Convicted on its own account (an analyst's override), the address tells them so: that word
  // is not theirs coming back.
  await applyOverride({ redis, clickhouse, database, rescorer: correlator, prefix }, ref('ip', ip), { verdict: 'malicious', analyst: 'ana', tenant: 't1', scope: 'global', comment: 'C2' });
  await round();
  assert.ok((await correlator.inspect(ref('file', FILE))).decoded.state.graph.some((g) => g.source === ref('ip', ip).key));

  // An established site: five pages browsed by many, one planted download that two machines
  // fetched the convicted file from. The URL is convicted; the site is not.
  const site = 'bakery-example.test';
  const planted = `http://${site}/wp-content/uploads/inv.exe`;
  const payload = 'e6'.repeat(32);
  await correlator.handle([
    ...Array.from({ length: 10 }, (_, i) => message({ sensor: `b${i}`, type: 'url_visit', url: `http://${site}/page-${i % 5}` }, `t${i % 3}`)),
    message({ sensor: 'v1', type: 'file_seen', file: { sha256: payload }, relations: { downloadedFrom: planted } }, 't1'),
    message({ sensor: 'v2', type: 'file_seen', file: { sha256: payload }, relations: { downloadedFrom: planted } }, 't2'),
    message({ sensor: 'v1', type: 'detection', file: { sha256: payload }, verdict: { engine: 'av-one', category: 'malicious' } }, 't1'),
    message({ sensor: 'v2', type: 'detection', file: { sha256: payload }, verdict: { engine: 'av-two', category: 'malicious' } }, 't2'),
  ]);
  for (let i = 0; i < 3; i++) await round();
  assert.equal((await store.get(ref('url', planted).key))?.verdict, 'malicious');
  assert.notEqual((await store.get(ref('domain', site).key))?.verdict ?? 'unknown', 'malicious');
  assert.equal((await correlator.inspect(ref('domain', site))).decoded.state.graph.length, 0, 'a shared host takes no evidence from one bad path');
  // Its directory is convicted with it (a Safe Browsing path prefix): a lookup of any other URL
  // under it answers through that record; the site's pages elsewhere keep their own verdicts.
  const directory = `http://${site}/wp-content/uploads/`;
  const record = await store.get(ref('url', directory).key);
  assert.equal(record?.verdict, 'malicious');
  assert.ok(record.reasons.some((r) => r.rule === 'provenance.dedicated_host' && r.detail === `url ${planted}`), JSON.stringify(record.reasons));
  const sibling = lookupCandidates('url', `http://${site}/wp-content/uploads/other.exe`).candidates;
  assert.ok(sibling.some((c) => Buffer.from(c.digest).equals(digestOf('url', directory))));
  assert.equal(lookupCandidates('url', `http://${site}/page-1`).candidates.some((c) => Buffer.from(c.digest).equals(digestOf('url', directory))), false);
  assert.equal(await store.get(ref('url', `http://${site}/`).key), null, 'never the root: that is the site');

  // A site that web filters listed whole for a while (its home page and a news page flagged in
  // two tenants each), whose two newsletter senders carried all its pages. A filter's word on the
  // home page is a word on the site, and so is its word on a page of a site it flagged at home:
  // both pages stay suspicious. The senders carried mostly pages nobody accused: they are the
  // site's, not phishing senders, and take no evidence from the two listed pages, so they accuse
  // none of the others; nor is the site dedicated to bad pages (a page counts as accused on its
  // own evidence only, never on its neighbours', and a listing is not its own).
  const listed = 'florist-example.test';
  const pages = ['/', '/news/spring/', '/about/', '/contact/', '/news/summer/'].map((p) => `https://${listed}${p}`);
  await correlator.handle([
    ...Array.from({ length: 10 }, (_, i) => message({ sensor: `f${i}`, type: 'url_visit', url: pages[i % pages.length]! }, `t${i % 3}`)),
    ...['news@', 'hello@'].flatMap((who) => [0, 1, 2].map((t) => message({ sensor: `gw${t}`, type: 'email_received', sender: `${who}${listed}`, relations: { carriedUrls: pages } }, `t${t}`))),
    ...pages.slice(0, 2).flatMap((page) => [
      message({ sensor: 'wf1', type: 'url_visit', url: page, verdict: { engine: 'filter-a', category: 'malicious' } }, 't1'),
      message({ sensor: 'wf2', type: 'url_visit', url: page, verdict: { engine: 'filter-b', category: 'malicious' } }, 't2'),
    ]),
  ]);
  for (let i = 0; i < 4; i++) await round();
  for (const page of pages.slice(0, 2)) {
    const record = await store.get(ref('url', page).key);
    assert.equal(record?.verdict, 'suspicious', `${page}: ${JSON.stringify(record?.reasons)}`);
    assert.deepEqual(record.reasons.filter((r) => r.rule.startsWith('webfilter.')).map((r) => `${r.rule} ${r.detail}`).sort(), ['webfilter.site_listing filter-a', 'webfilter.site_listing filter-b'], page);
  }
  for (const sender of ['news@', 'hello@']) {
    assert.notEqual((await store.get(ref('email', `${sender}${listed}`).key))?.verdict ?? 'unknown', 'malicious', sender);
    assert.deepEqual((await correlator.inspect(ref('email', `${sender}${listed}`))).decoded.state.graph, [], `${sender} takes nothing from the pages it carried`);
  }
  for (const page of pages.slice(2)) assert.notEqual((await store.get(ref('url', page).key))?.verdict ?? 'unknown', 'malicious', page);
  const domain = await store.get(ref('domain', listed).key);
  assert.notEqual(domain?.verdict ?? 'unknown', 'malicious', JSON.stringify(domain?.reasons));

  // The other way round: a filter flags a page first (convicted on its word), then the site's
  // home page; the page is a listing from then on. A kit planted on the site, which two tenants'
  // sandboxes detonated, stays convicted whatever the filter lists.
  const later = 'bakery-example.test';
  const offer = `https://${later}/offers/bread/`;
  const kit = `https://${later}/wp-includes/js/dhl/verify.php`;
  const filtered = (url: string) => [0, 1].map((t) => message({ sensor: `wf${t}`, type: 'url_visit', url, verdict: { engine: 'filter-c', category: 'malicious' } }, `t${t}`));
  await correlator.handle([
    ...Array.from({ length: 6 }, (_, i) => message({ sensor: `v${i}`, type: 'url_visit', url: `https://${later}/` }, `t${i % 3}`)),
    ...filtered(offer), ...filtered(kit),
    ...[0, 1].map((t) => message({ sensor: `sb${t}`, type: 'sandbox_report', url: kit, verdict: { engine: 'detonator', category: 'malicious' } }, `t${t}`)),
  ]);
  for (let i = 0; i < 2; i++) await round();
  assert.equal((await store.get(ref('url', offer).key))?.verdict, 'malicious', 'a page a filter flagged, before it flags the site');
  await correlator.handle(filtered(`https://${later}/`));
  for (let i = 0; i < 3; i++) await round();
  const offerRecord = await store.get(ref('url', offer).key);
  assert.equal(offerRecord?.verdict, 'suspicious', JSON.stringify(offerRecord?.reasons));
  assert.ok(offerRecord.reasons.some((r) => r.rule === 'webfilter.site_listing' && r.detail === 'filter-c'));
  const kitRecord = await store.get(ref('url', kit).key);
  assert.equal(kitRecord?.verdict, 'malicious', JSON.stringify(kitRecord?.reasons));
  assert.ok(kitRecord.reasons.some((r) => r.rule === 'sandbox.malicious'));
});

test('a path prefix is the directory of a URL two levels deep or more: never a site root or a whole section', () => {
  assert.equal(pathPrefixOf('http://s.test/wp-content/uploads/inv.exe'), 'http://s.test/wp-content/uploads/');
  assert.equal(pathPrefixOf('https://s.test/a/b/c/'), 'https://s.test/a/b/', 'a directory page accuses its parent');
  assert.equal(pathPrefixOf('https://s.test/a/b/c.php?next=/x/y/z/'), 'https://s.test/a/b/', 'the query is not the path');
  for (const url of ['https://s.test/login.php', 'https://s.test/news/item', 'https://pastebin.com/raw/4STRjpTw', 'https://s.test/verify/8132c3/', 'https://s.test']) {
    assert.equal(pathPrefixOf(url), undefined, url);
  }
});

test('an address is judged by its names: shared when two or more nobody accuses outnumber the accused, dedicated to a convicted name that most of them share', () => {
  const names = (accused: number, unaccused: number, total = accused + unaccused) => {
    const keys = Array.from({ length: accused + unaccused }, (_, i) => `rep:domain:${i}`);
    return { names: new Set(keys), accused: new Set(keys.slice(0, accused)), total, allowListed: false };
  };
  const byName = { rel: 'resolves_to', key: 'rep:domain:0' };
  const byFile = { rel: 'connected_to', key: 'rep:file:f' };
  assert.equal(judgeAddress(names(1, 0), byName, 0.5), 'dedicated');
  assert.equal(judgeAddress(names(0, 1), byName, 0.5), 'dedicated', 'the accusing name counts as accused before its verdict is marked');
  assert.equal(judgeAddress(names(1, 1), byName, 0.5), 'open', 'one bad name beside one good one: a CDN edge seen early');
  assert.equal(judgeAddress(names(2, 1), byName, 0.5), 'dedicated');
  assert.equal(judgeAddress(names(1, 2), byName, 0.5), 'refused', 'a CDN edge seen early: one C2 name and two sites');
  assert.equal(judgeAddress(names(2, 8), byName, 0.5), 'refused', 'a CDN edge');
  assert.equal(judgeAddress(names(1, 2, 60), byName, 0.5), 'refused', 'names beyond those read count as unaccused');
  assert.equal(judgeAddress(names(1, 0), byFile, 0.5), 'open', 'a program contacting it makes it no name’s address');
  assert.equal(judgeAddress(names(0, 2), byFile, 0.5), 'refused');
  assert.equal(judgeAddress(undefined, byFile, 0.5), 'open', 'an address no name resolves to');
  assert.equal(judgeAddress({ ...names(1, 0), allowListed: true }, byName, 0.5), 'refused');
});

test('a name counts against its addresses when convicted on more than their word, or suspicious on its own evidence', () => {
  assert.equal(accusedApartFromAddresses('malicious', 'relation.connected_to,provenance.contacted_convicted'), true);
  assert.equal(accusedApartFromAddresses('malicious', 'relation.resolves_to'), false);
  assert.equal(accusedApartFromAddresses('malicious', 'prevalence.bystander,relation.resolves_to'), false);
  assert.equal(accusedApartFromAddresses('suspicious', 'dnsfw.malicious'), true);
  assert.equal(accusedApartFromAddresses('suspicious', 'relation.co_hosted'), false);
  assert.equal(accusedApartFromAddresses('unknown', 'dnsfw.malicious'), false);
  assert.equal(accusedApartFromAddresses(null, ''), false);
});
