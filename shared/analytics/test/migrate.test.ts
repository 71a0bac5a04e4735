import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { uniqueName } from '@repute/infra/testkit';
import { migrate } from '../src/migrate.ts';
import { AGGREGATE_DETECTIONS, AGGREGATE_EVENTS, MIGRATIONS } from '../src/migrations.ts';
import { renderMigration } from '../src/render-schema.ts';
import { TELEMETRY_COLUMNS, telemetryTuple, type TelemetryRow } from '../src/rows.ts';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '../src/testkit.ts';

after(() => removeTestClickHouseData());

const HOUR = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

function row(over: Partial<TelemetryRow>): TelemetryRow {
  return {
    event_id: 'e', tenant: 't1', sensor: 's1', host: 'h1', time: HOUR + 300_000, received_at: HOUR + 300_000,
    event_type: 'file_seen', role: 'subject', kind: 'file', digest: 'f'.repeat(64), value: 'f'.repeat(64),
    engines: [], detection_names: [], sandbox: '', signed: 0, rel_type: [], rel_kind: [], rel_digest: [], rel_value: [],
    ...over,
  };
}

test('migrate creates the schema once, records checksums, and the views aggregate inserts', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('migrate');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });

  const first = await migrate(client, { database: db, retentionDays: 30 });
  assert.deepEqual(first, { applied: [1, 2, 3, 4, 5, 6, 7, 8], alreadyApplied: [] });
  const second = await migrate(client, { database: db, retentionDays: 30 });
  assert.deepEqual(second, { applied: [], alreadyApplied: [1, 2, 3, 4, 5, 6, 7, 8] });

  const tables = await (await client.query({
    query: 'SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name', query_params: { db }, format: 'JSONEachRow',
  })).json<{ name: string; engine: string }>();
  assert.deepEqual(Object.fromEntries(tables.map((r) => [r.name, r.engine])), {
    host_indicators: 'AggregatingMergeTree', host_indicators_mv: 'MaterializedView',
    indicator_hourly: 'AggregatingMergeTree', indicator_hourly_mv: 'MaterializedView', overrides: 'MergeTree',
    relations: 'AggregatingMergeTree', relations_mv: 'MaterializedView', schema_migrations: 'MergeTree',
    telemetry_raw: 'ReplacingMergeTree', verdict_log: 'MergeTree',
  });
  const ttl = await (await client.query({ query: `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'telemetry_raw'`, query_params: { db }, format: 'JSONEachRow' })).json<{ engine_full: string }>();
  assert.match(ttl[0]?.engine_full ?? '', /TTL toDateTime\(time\) \+ toIntervalDay\(30\)/);
  const merging = await (await client.query({
    query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine_full LIKE '%merge_selector_base = 10%' ORDER BY name`, query_params: { db }, format: 'JSONEachRow',
  })).json<{ name: string }>();
  assert.deepEqual(merging.map((r) => r.name), ['indicator_hourly', 'relations', 'telemetry_raw']);

  const url = { kind: 'url', digest: 'a'.repeat(64), value: 'evil.example/x.exe' };
  await client.insert({
    table: `${db}.telemetry_raw`, format: 'JSONEachRow',
    values: [
      row({ event_id: 'e1', sensor: 's1', engines: ['av1'], rel_type: ['downloaded_from'], rel_kind: [url.kind], rel_digest: [url.digest], rel_value: [url.value] }),
      row({ event_id: 'e2', sensor: 's2', tenant: 't2', engines: ['av1', 'av2'], rel_type: ['downloaded_from'], rel_kind: [url.kind], rel_digest: [url.digest], rel_value: [url.value] }),
      row({ event_id: 'e2', sensor: 's2', tenant: 't2', role: 'downloaded_from', ...url }),
      row({ event_id: 'e3', sensor: 's1', time: HOUR + 3_660_000 }),
    ],
  });
  // e2 again, in a block of its own (a sensor's retried POST): no count grows.
  await client.insert({
    table: `${db}.telemetry_raw`, format: 'JSONEachRow',
    values: [row({ event_id: 'e2', sensor: 's2', tenant: 't2', engines: ['av1', 'av2'], rel_type: ['downloaded_from'], rel_kind: [url.kind], rel_digest: [url.digest], rel_value: [url.value] })],
  });
  const hourly = await (await client.query({
    query: `SELECT kind, hour, ${AGGREGATE_EVENTS} AS events, uniqMerge(sensors) AS sensors, uniqMerge(tenants) AS tenants, ${AGGREGATE_DETECTIONS} AS detections
            FROM ${db}.indicator_hourly GROUP BY kind, hour ORDER BY kind, hour`,
    format: 'JSONEachRow',
  })).json<Record<string, unknown>>();
  assert.deepEqual(hourly.map((r) => [r['kind'], Number(r['events']), Number(r['sensors']), Number(r['tenants']), r['detections']]), [
    ['file', 2, 2, 2, { av1: 2, av2: 1 }],
    ['file', 1, 1, 1, {}],
    ['url', 1, 1, 1, {}],
  ]);
  const relations = await (await client.query({
    query: `SELECT src_kind, rel, direction, dst_kind, any(dst_value) AS dst_value, ${AGGREGATE_EVENTS} AS events, uniqMerge(sensors) AS sensors
            FROM ${db}.relations GROUP BY src_kind, src_digest, rel, direction, dst_kind, dst_digest ORDER BY src_kind`,
    format: 'JSONEachRow',
  })).json<Record<string, unknown>>();
  assert.deepEqual(relations.map((r) => [r['src_kind'], r['rel'], r['direction'], r['dst_kind'], r['dst_value'], Number(r['events']), Number(r['sensors'])]), [
    ['file', 'downloaded_from', 'out', 'url', url.value, 2, 2],
    ['url', 'downloaded_from', 'in', 'file', 'f'.repeat(64), 2, 2],
  ]);
});

test('migration 3 on a database that counted rows: old sums stay, new events count once', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('upgrade');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30, migrations: MIGRATIONS.slice(0, 2) });
  const url = { kind: 'url', digest: 'a'.repeat(64), value: 'evil.example/x.exe' };
  const seen = (event_id: string, engines: string[] = []) =>
    row({ event_id, engines, rel_type: ['downloaded_from'], rel_kind: [url.kind], rel_digest: [url.digest], rel_value: [url.value] });
  const insert = async (values: TelemetryRow[]) => await client.insert({ table: `${db}.telemetry_raw`, format: 'JSONEachRow', values });
  // Under the first views a redelivered event was counted twice: 2 events, counted 3 times.
  await insert([seen('old1', ['av1']), seen('old2')]);
  await insert([seen('old1', ['av1'])]);
  const counts = async (events: string, detections: string) => {
    const [hourly] = await (await client.query({
      query: `SELECT ${events} AS events, ${detections} AS detections FROM ${db}.indicator_hourly WHERE kind = 'file'`, format: 'JSONEachRow',
    })).json<{ events: string; detections: Record<string, string> }>();
    const [rel] = await (await client.query({ query: `SELECT ${events} AS events FROM ${db}.relations WHERE src_kind = 'file'`, format: 'JSONEachRow' })).json<{ events: string }>();
    return { events: Number(hourly?.events), detections: Object.fromEntries(Object.entries(hourly?.detections ?? {}).map(([k, v]) => [k, Number(v)])), relation: Number(rel?.events) };
  };
  const before = { events: 3, detections: { av1: 2 }, relation: 3 };
  assert.deepEqual(await counts('sum(events)', 'CAST(sumMapMerge(detections), \'Map(String, UInt64)\')'), before);

  assert.deepEqual(await migrate(client, { database: db, retentionDays: 30 }), { applied: [3, 4, 5, 6, 7, 8], alreadyApplied: [1, 2] });
  assert.deepEqual(await counts(AGGREGATE_EVENTS, AGGREGATE_DETECTIONS), before, 'rows from before keep their sums');
  // Since: a new event delivered three times, with two detections, counts once everywhere.
  for (let i = 0; i < 3; i++) await insert([seen('new1', ['av1', 'av2'])]);
  assert.deepEqual(await counts(AGGREGATE_EVENTS, AGGREGATE_DETECTIONS), { events: 4, detections: { av1: 3, av2: 1 }, relation: 4 });
  assert.deepEqual(await migrate(client, { database: db, retentionDays: 30 }), { applied: [], alreadyApplied: [1, 2, 3, 4, 5, 6, 7, 8] });
});

test('migration 5 on a database with telemetry: old rows read as no verdict, and its statements run twice', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('verdicts');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30, migrations: MIGRATIONS.slice(0, 4) });
  // Written as the columns were before: `row` sets none of the verdict fields.
  await client.insert({ table: `${db}.telemetry_raw`, values: [row({ event_id: 'before', engines: ['av1'] })], format: 'JSONEachRow' });
  assert.deepEqual(await migrate(client, { database: db, retentionDays: 30, migrations: MIGRATIONS.slice(0, 5) }), { applied: [5], alreadyApplied: [1, 2, 3, 4] });
  // A run interrupted after its statements but before its record repeats them: they must pass.
  for (const query of renderMigration(MIGRATIONS.find((m) => m.version === 5)!, { database: db, retentionDays: 30 })) await client.command({ query });
  // The writers' columns are the latest schema's.
  await migrate(client, { database: db, retentionDays: 30 });
  await client.insert({
    table: `${db}.telemetry_raw`, format: 'JSONCompactEachRow', columns: [...TELEMETRY_COLUMNS],
    values: [telemetryTuple(row({ event_id: 'after', verdict_source: 'sandbox', verdict_engine: 'detonator', verdict_category: 'malicious' }))],
  });
  const read = await (await client.query({
    query: `SELECT event_id, engines, verdict_source, verdict_engine, verdict_category FROM ${db}.telemetry_raw ORDER BY event_id`, format: 'JSONEachRow',
  })).json<Record<string, unknown>>();
  assert.deepEqual(read, [
    { event_id: 'after', engines: [], verdict_source: 'sandbox', verdict_engine: 'detonator', verdict_category: 'malicious' },
    { event_id: 'before', engines: ['av1'], verdict_source: '', verdict_engine: '', verdict_category: '' },
  ]);
});

test('a retried insert with the same deduplication token changes nothing, views included', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('dedup');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30 });
  const values = [row({ event_id: 'x1' }), row({ event_id: 'x2', sensor: 's9' })];
  for (let i = 0; i < 2; i++) {
    await client.insert({ table: `${db}.telemetry_raw`, values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'batch-1', deduplicate_blocks_in_dependent_materialized_views: 1 } });
  }
  const counts = await (await client.query({
    query: `SELECT (SELECT count() FROM ${db}.telemetry_raw) AS raw, (SELECT ${AGGREGATE_EVENTS} FROM ${db}.indicator_hourly) AS hourly`, format: 'JSONEachRow',
  })).json<{ raw: string; hourly: string }>();
  assert.deepEqual(counts.map((c) => [Number(c.raw), Number(c.hourly)]), [[2, 2]]);
});

test('a changed migration that was already applied is refused', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('changed');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  const v1 = MIGRATIONS.slice(0, 1);
  await migrate(client, { database: db, retentionDays: 7, migrations: v1 });
  const first = v1[0]!;
  const edited = { ...first, objects: first.objects.map((o) => (o.type === 'table' && o.name === 'telemetry_raw' ? { ...o, columns: [...o.columns, 'extra UInt8'] } : o)) };
  await assert.rejects(migrate(client, { database: db, retentionDays: 7, migrations: [edited] }), { code: 'REPUTE_ANALYTICS_MIGRATION_CHANGED' });
  await assert.rejects(migrate(client, { database: 'bad-name;', retentionDays: 7 }), { code: 'REPUTE_ANALYTICS_DATABASE_NAME' });
});

test('telemetry rows inserted as compact tuples read back as the same rows as objects', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('tuples');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30 });
  const rows = [
    row({ event_id: 'o1', engines: ['av1'], detection_names: ['Trojan.X'], sandbox: 'malicious', signed: 1, rel_type: ['downloaded_from'], rel_kind: ['url'], rel_digest: ['a'.repeat(64)], rel_value: ['http://x.example/"q"\\'] }),
    row({ event_id: 'o2', value: 'ünïcode\n', time: HOUR + 1, received_at: HOUR + 2 }),
    row({ event_id: 'o3', verdict_source: 'engine', verdict_engine: 'av1', verdict_category: 'clean' }),
  ];
  await client.insert({ table: `${db}.telemetry_raw`, values: rows, format: 'JSONEachRow' });
  await client.insert({ table: `${db}.telemetry_raw`, values: rows.map((r) => telemetryTuple({ ...r, event_id: `t${r.event_id.slice(1)}` })), format: 'JSONCompactEachRow', columns: [...TELEMETRY_COLUMNS] });
  const read = await (await client.query({ query: `SELECT * FROM ${db}.telemetry_raw ORDER BY event_id`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  const strip = (r: Record<string, unknown>) => ({ ...r, event_id: String(r['event_id']).slice(1) });
  assert.equal(read.length, 6);
  assert.deepEqual(read.slice(3).map(strip), read.slice(0, 3).map(strip));
  assert.deepEqual(Object.keys(read[0]!).sort(), [...TELEMETRY_COLUMNS].sort());
  // Absent verdict fields are written as '' (the column default), present ones as given.
  assert.deepEqual(read.map((r) => [r['event_id'], r['verdict_source'], r['verdict_engine'], r['verdict_category']]), [
    ['o1', '', '', ''], ['o2', '', '', ''], ['o3', 'engine', 'av1', 'clean'],
    ['t1', '', '', ''], ['t2', '', '', ''], ['t3', 'engine', 'av1', 'clean'],
  ]);
  const hourly = await (await client.query({ query: `SELECT ${AGGREGATE_EVENTS} AS events FROM ${db}.indicator_hourly`, format: 'JSONEachRow' })).json<{ events: string }>();
  assert.equal(Number(hourly[0]?.events), 6);
});

test('migration 6: overrides written before it read as global, by no named person', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('overrides');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30, migrations: MIGRATIONS.slice(0, 5) });
  await client.insert({ table: `${db}.overrides`, format: 'JSONEachRow', values: [{ time: Date.now(), kind: 'file', digest: 'd', value: 'v', verdict: 'clean', analyst: 'k1', tenant: 't1', comment: 'old', active: 1, version: 1 }] });
  assert.deepEqual(await migrate(client, { database: db, retentionDays: 30, migrations: MIGRATIONS.slice(0, 6) }), { applied: [6], alreadyApplied: [1, 2, 3, 4, 5] });
  await client.insert({ table: `${db}.overrides`, format: 'JSONEachRow', values: [{ time: Date.now(), kind: 'file', digest: 'd', value: 'v', verdict: 'malicious', analyst: 'k2', tenant: 't2', comment: 'new', active: 1, version: 2, scope: 'tenant', actor: 'Ann' }] });
  const read = await (await client.query({ query: `SELECT comment, scope, actor FROM ${db}.overrides ORDER BY version`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  assert.deepEqual(read, [{ comment: 'old', scope: 'global', actor: '' }, { comment: 'new', scope: 'tenant', actor: 'Ann' }]);
});

test('migration 7: telemetry written before it has no file name, size or signer; rows after carry them', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('files');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30, migrations: MIGRATIONS.slice(0, 6) });
  await client.insert({ table: `${db}.telemetry_raw`, values: [row({ event_id: 'before' })], format: 'JSONEachRow' });
  assert.deepEqual(await migrate(client, { database: db, retentionDays: 30 }), { applied: [7, 8], alreadyApplied: [1, 2, 3, 4, 5, 6] });
  await client.insert({
    table: `${db}.telemetry_raw`, format: 'JSONCompactEachRow', columns: [...TELEMETRY_COLUMNS],
    values: [telemetryTuple(row({ event_id: 'after', file_name: 'setup.exe', file_size: 1234, file_signer: 'Acme Ltd' }))],
  });
  const read = await (await client.query({ query: `SELECT event_id, file_name, toUInt32(file_size) AS file_size, file_signer FROM ${db}.telemetry_raw ORDER BY event_id`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  assert.deepEqual(read, [
    { event_id: 'after', file_name: 'setup.exe', file_size: 1234, file_signer: 'Acme Ltd' },
    { event_id: 'before', file_name: '', file_size: 0, file_signer: '' },
  ]);
});

test('migration 8: each machine keeps what it saw with its first and last time, the same however often a batch is inserted', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('machines');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30 });
  const batch = [
    row({ event_id: 'a', host: 'h1', time: HOUR + 1_000 }),
    row({ event_id: 'b', host: 'h1', time: HOUR + 9_000 }),
    row({ event_id: 'c', host: 'h2', tenant: 't2', time: HOUR + 5_000 }),
    row({ event_id: 'd', host: '', time: HOUR }),
  ];
  // Inserted twice, as a redelivered batch is (its first insert may never have been confirmed).
  for (const token of ['first', 'second']) {
    await client.insert({ table: `${db}.telemetry_raw`, values: batch, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: token } });
  }
  const read = await (await client.query({
    query: `SELECT tenant, host, kind, toUnixTimestamp64Milli(min(first_seen)) AS first, toUnixTimestamp64Milli(max(last_seen)) AS last
            FROM ${db}.host_indicators GROUP BY tenant, host, kind ORDER BY tenant, host`,
    format: 'JSONEachRow',
  })).json<Record<string, unknown>>();
  assert.deepEqual(read, [
    { tenant: 't1', host: 'h1', kind: 'file', first: HOUR + 1_000, last: HOUR + 9_000 },
    { tenant: 't2', host: 'h2', kind: 'file', first: HOUR + 5_000, last: HOUR + 5_000 },
  ]);
});
