import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsError } from './analytics-error.ts';
import { MIGRATIONS } from './migrations.ts';
import { migrationChecksum, renderBootstrap, renderMigration } from './render-schema.ts';
import type { Migration } from './schema-defs.ts';

export interface MigrateOptions {
  database: string;
  retentionDays: number;
  /** For tests of the runner itself; the schema's migrations otherwise. */
  migrations?: Migration[];
}

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
}

const DATABASE_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

/**
 * Brings the database to the latest schema: creates it and `schema_migrations` when absent, then
 * runs every migration not yet recorded, in order, and records it with its checksum. Every
 * statement can run twice (`IF NOT EXISTS`, or a view's query set again), so a run interrupted
 * half way (or two processes starting at once) is completed by the next run. A recorded
 * migration whose definition changed since is refused: released migrations are append-only.
 */
export async function migrate(client: ClickHouseClient, options: MigrateOptions): Promise<MigrateResult> {
  const { database } = options;
  if (!DATABASE_NAME.test(database)) {
    throw new AnalyticsError('REPUTE_ANALYTICS_DATABASE_NAME', `not a usable database name: ${JSON.stringify(database)}`);
  }
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const render = { database, retentionDays: options.retentionDays };
  for (const query of renderBootstrap(render)) await client.command({ query });

  const rows = await (
    await client.query({ query: `SELECT version, any(checksum) AS checksum FROM ${database}.schema_migrations GROUP BY version`, format: 'JSONEachRow' })
  ).json<{ version: number; checksum: string }>();
  const recorded = new Map(rows.map((r) => [Number(r.version), r.checksum]));

  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    const checksum = migrationChecksum(migration);
    const previous = recorded.get(migration.version);
    if (previous !== undefined) {
      if (previous !== checksum) {
        throw new AnalyticsError(
          'REPUTE_ANALYTICS_MIGRATION_CHANGED',
          `migration ${migration.version} (${migration.name}) differs from the one applied to ${database} (checksum ${previous.slice(0, 12)}, now ${checksum.slice(0, 12)}); add a new migration instead`,
        );
      }
      result.alreadyApplied.push(migration.version);
      continue;
    }
    for (const query of renderMigration(migration, render)) {
      try {
        await client.command({ query });
      } catch (err) {
        throw new AnalyticsError('REPUTE_ANALYTICS_MIGRATION_FAILED', `migration ${migration.version} (${migration.name}) failed on ${database}`, { cause: err });
      }
    }
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, checksum, applied_at: Date.now() }],
      format: 'JSONEachRow',
    });
    result.applied.push(migration.version);
  }
  return result;
}
