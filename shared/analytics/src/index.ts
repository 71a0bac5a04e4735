export { createClickHouse, isEmbedded, type ClickHouseClient, type ClickHouseConfig } from './clickhouse.ts';
export { AnalyticsError } from './analytics-error.ts';
export { insertEncoded, type EncodedInsert } from './insert-encoded.ts';
export { migrate, type MigrateOptions, type MigrateResult } from './migrate.ts';
export { AGGREGATE_DETECTIONS, AGGREGATE_EVENTS, MIGRATIONS } from './migrations.ts';
export { renderMigration, migrationChecksum, type RenderOptions } from './render-schema.ts';
export { clusterSql } from './cluster-sql.ts';
export type { AddColumnsDef, Migration, SchemaObject, TableDef, TableSettingsDef, ViewDef, ViewQueryDef } from './schema-defs.ts';
export { TELEMETRY_COLUMNS, telemetryTuple, type TelemetryRow, type VerdictLogRow, type OverrideRow } from './rows.ts';
