import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, type ClickHouseConfig } from './clickhouse.ts';

/**
 * Test helpers. A test run against a ClickHouse server sets REPUTE_TEST_CLICKHOUSE_URL; otherwise
 * each test process gets a private embedded engine in a temporary folder, removed by
 * `removeTestClickHouseData()`. Tests isolate themselves with a database per test.
 */
export function testClickHouseConfig(): ClickHouseConfig {
  const url = process.env['REPUTE_TEST_CLICKHOUSE_URL'] ?? '';
  return url !== '' ? { CLICKHOUSE_URL: url } : { CLICKHOUSE_DATA_DIR: join(tmpdir(), `repute-chdb-${process.pid}`) };
}

/** A client for tests; drop the test's database with `dropDatabase` in `t.after`. */
export function testClickHouse(): ClickHouseClient {
  return createClickHouse(testClickHouseConfig());
}

/** Drops a test database. */
export async function dropDatabase(client: ClickHouseClient, database: string): Promise<void> {
  await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
}

/** Removes this process's embedded engine folder (call from a top-level `after`, clients closed). */
export function removeTestClickHouseData(): void {
  const config = testClickHouseConfig();
  if (config.CLICKHOUSE_DATA_DIR !== undefined) rmSync(config.CLICKHOUSE_DATA_DIR, { recursive: true, force: true });
}
