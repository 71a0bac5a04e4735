import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { uniqueName } from '@repute/infra/testkit';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '../src/testkit.ts';

after(() => removeTestClickHouseData());

test('clickhouse smoke: MergeTree insert and GROUP BY with uniq on a fresh database', async (t) => {
  const client = testClickHouse();
  const db = uniqueName('smoke');
  t.after(async () => {
    await dropDatabase(client, db);
    await client.close();
  });
  await client.command({ query: `CREATE DATABASE ${db}` });
  await client.command({
    query: `CREATE TABLE ${db}.sightings (indicator String, sensor String, time DateTime64(3, 'UTC'))
            ENGINE = MergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (indicator, time)`,
  });
  const rows = [];
  for (let i = 0; i < 3000; i++) rows.push({ indicator: `ind-${i % 3}`, sensor: `sensor-${i % (10 * ((i % 3) + 1))}`, time: 1_700_000_000_000 + i });
  await client.insert({ table: `${db}.sightings`, values: rows, format: 'JSONEachRow' });

  const result = await client.query({
    query: `SELECT indicator, count() AS n, uniq(sensor) AS sensors FROM ${db}.sightings GROUP BY indicator ORDER BY indicator`,
    format: 'JSONEachRow',
  });
  const got = await result.json<{ indicator: string; n: string; sensors: string }>();
  // ind-0 sees sensors i % 10 over i ≡ 0 (mod 3): 10 distinct; ind-1: i % 20 → 20; ind-2: i % 30 → 10 (gcd with 3).
  assert.deepEqual(
    got.map((r) => [r.indicator, Number(r.n), Number(r.sensors)]),
    [['ind-0', 1000, 10], ['ind-1', 1000, 20], ['ind-2', 1000, 10]],
  );
  const engine = await client.query({ query: `SELECT engine FROM system.tables WHERE database = {db:String} AND name = 'sightings'`, query_params: { db }, format: 'JSONEachRow' });
  assert.deepEqual(await engine.json(), [{ engine: 'MergeTree' }]);
});
