import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { uniqueName } from '@repute/infra/testkit';
import { createClickHouse } from '../src/clickhouse.ts';
import { insertEncoded } from '../src/insert-encoded.ts';
import { migrate } from '../src/migrate.ts';
import { TELEMETRY_COLUMNS, telemetryTuple, type TelemetryRow } from '../src/rows.ts';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '../src/testkit.ts';

after(() => removeTestClickHouseData());

const NOW = Date.now();
const row = (event_id: string, value: string): TelemetryRow => ({
  event_id, tenant: 't1', sensor: 's1', host: 'h1', time: NOW, received_at: NOW,
  event_type: 'url_seen', role: 'subject', kind: 'url', digest: 'a'.repeat(64), value,
  engines: [], detection_names: [], sandbox: '', signed: 0, rel_type: [], rel_kind: [], rel_digest: [], rel_value: [],
});
const body = (rows: TelemetryRow[]) => Buffer.from(rows.map((r) => `${JSON.stringify(telemetryTuple(r))}\n`).join(''));

test('encoded rows reach the embedded engine as written; a retry under the same token is dropped', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('encoded');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await migrate(client, { database: db, retentionDays: 30 });
  const rows = [row('x1', 'http://ünïcode.example/✓?q="a"\\b'), row('x2', 'http://x.example/\ttab')];
  const insert = { table: `${db}.telemetry_raw`, columns: TELEMETRY_COLUMNS, body: body(rows), settings: { insert_deduplication_token: 'once', deduplicate_blocks_in_dependent_materialized_views: 1 } };
  await insertEncoded(client, insert);
  await insertEncoded(client, insert);
  await insertEncoded(client, { ...insert, body: Buffer.alloc(0) });
  const read = await (await client.query({ query: `SELECT event_id, value FROM ${db}.telemetry_raw ORDER BY event_id`, format: 'JSONEachRow' })).json<{ event_id: string; value: string }>();
  assert.deepEqual(read, rows.map((r) => ({ event_id: r.event_id, value: r.value })));
});

test('against a server, the body is the request body and the statement and settings the query', async (t) => {
  const seen: { query: string; token: string | null; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ query: url.searchParams.get('query') ?? '', token: url.searchParams.get('insert_deduplication_token'), body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = createClickHouse({ CLICKHOUSE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  t.after(async () => {
    await client.close();
    server.close();
  });
  const sent = body([row('y1', 'http://ünïcode.example/')]);
  await insertEncoded(client, { table: 'repute.telemetry_raw', columns: TELEMETRY_COLUMNS, body: sent, settings: { insert_deduplication_token: 'tok' } });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.query, `INSERT INTO repute.telemetry_raw (${TELEMETRY_COLUMNS.join(', ')}) FORMAT JSONCompactEachRow`);
  assert.equal(seen[0]!.token, 'tok');
  assert.deepEqual(seen[0]!.body, sent);
});
