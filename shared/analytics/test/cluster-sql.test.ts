import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { clusterSql } from '../src/cluster-sql.ts';
import { removeTestClickHouseData, testClickHouse } from '../src/testkit.ts';

after(() => removeTestClickHouseData());

test('sql/cluster.sql is the current rendering of the schema (npm run cluster-sql)', () => {
  const onDisk = readFileSync(new URL('../sql/cluster.sql', import.meta.url), 'utf8');
  assert.equal(onDisk, clusterSql());
});

test('every cluster statement parses in the ClickHouse engine and is cluster-shaped', async (t) => {
  const client = testClickHouse();
  t.after(() => client.close());
  const statements = clusterSql().split(/;\n/).map((s) => s.split('\n').filter((l) => !l.startsWith('--')).join('\n').trim()).filter((s) => s !== '');
  assert.ok(statements.length > 10);
  for (const statement of statements) {
    // formatQuery parses without executing, so a statement that needs a cluster is still checked.
    await client.query({ query: 'SELECT formatQuery({q:String})', query_params: { q: statement }, format: 'JSONEachRow' });
    if (/^(CREATE|ALTER)/.test(statement)) assert.match(statement, /ON CLUSTER '\{cluster\}'/);
    if (/ENGINE = \w*MergeTree/.test(statement)) assert.match(statement, /ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/repute\/\w+', '\{replica\}'/);
  }
  assert.equal(statements.filter((s) => s.includes('ENGINE = Distributed')).length, 6);
});
