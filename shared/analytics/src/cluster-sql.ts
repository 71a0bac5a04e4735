import { MIGRATIONS } from './migrations.ts';
import { migrationChecksum, renderBootstrap, renderMigration } from './render-schema.ts';

const HEADER = `-- Repute analytics schema for a ClickHouse cluster. GENERATED from shared/analytics/src/migrations.ts
-- by \`npm run cluster-sql --workspace @repute/analytics\`; do not edit by hand.
--
-- The same schema as the one-server migrations, rendered for a cluster:
--   * every statement runs ON CLUSTER '{cluster}';
--   * rows live in <table>_local tables with Replicated*MergeTree engines, keyed in ZooKeeper/Keeper by
--     the {shard} and {replica} macros of each server's config (<macros> in config.xml);
--   * <table> is a Distributed table over <table>_local: write to and read from it. Telemetry, hourly
--     aggregates and the verdict log are sharded by the indicator (cityHash64(kind, digest)), relations
--     by their source indicator, so the materialised views of a shard see all raw rows of its indicators;
--   * retried inserts are deduplicated by the replicated tables themselves (replicated_deduplication_window).
-- Database: repute; raw telemetry retention: 90 days (change both before applying if needed).
-- After applying, record the versions in repute.schema_migrations (the INSERTs at the end) so services
-- starting against the cluster skip these migrations.
`;

/** The cluster DDL file's text. */
export function clusterSql(database = 'repute', retentionDays = 90): string {
  const options = { database, retentionDays, cluster: true };
  const parts = [HEADER, ...renderBootstrap(options).map((s) => `${s};\n`)];
  for (const migration of MIGRATIONS) {
    parts.push(`-- migration ${migration.version}: ${migration.name}`);
    for (const statement of renderMigration(migration, options)) parts.push(`${statement};\n`);
    parts.push(
      `INSERT INTO ${database}.schema_migrations (version, name, checksum, applied_at) VALUES (${migration.version}, '${migration.name.replaceAll("'", "\\'")}', '${migrationChecksum(migration)}', now64(3));\n`,
    );
  }
  return parts.join('\n');
}
