import { createHash } from 'node:crypto';
import type { AddColumnsDef, Migration, SchemaObject, TableDef, TableSettingsDef, ViewDef, ViewQueryDef } from './schema-defs.ts';

export interface RenderOptions {
  database: string;
  retentionDays: number;
  /** Render for a cluster: ON CLUSTER, Replicated engines with macros, Distributed tables. */
  cluster?: boolean;
}

const CLUSTER = "'{cluster}'";

/** Name of the table that holds the rows: `<name>_local` on a cluster, the table itself on one server. */
function storage(name: string, cluster: boolean): string {
  return cluster ? `${name}_local` : name;
}

/** ` ON CLUSTER '{cluster}'` on a cluster, nothing on one server. */
function onClusterOf(options: RenderOptions): string {
  return options.cluster === true ? ` ON CLUSTER ${CLUSTER}` : '';
}

/**
 * A view's select over its source. On a cluster each shard's view reads the local inserts and
 * writes the local target, so the aggregates of an indicator live on the shard of its raw rows.
 */
function selectOf(def: { from: string; select: string }, options: RenderOptions): string {
  return def.select.replaceAll('{from}', `${options.database}.${storage(def.from, options.cluster === true)}`);
}

function substitute(text: string, options: RenderOptions): string {
  return text.replaceAll('{db}', options.database).replaceAll('{retention_days}', String(options.retentionDays));
}

function renderTable(def: TableDef, options: RenderOptions): string[] {
  const cluster = options.cluster === true;
  const db = options.database;
  const local = storage(def.name, cluster);
  const onCluster = onClusterOf(options);
  const engine = cluster
    ? `Replicated${def.engine}('/clickhouse/tables/{shard}/${db}/${local}', '{replica}'${def.engineArgs !== undefined ? `, ${def.engineArgs}` : ''})`
    : `${def.engine}(${def.engineArgs ?? ''})`;
  const clauses = [`ENGINE = ${engine}`];
  if (def.partitionBy !== undefined) clauses.push(`PARTITION BY ${def.partitionBy}`);
  clauses.push(`ORDER BY ${def.orderBy}`);
  if (def.ttl !== undefined) clauses.push(`TTL ${def.ttl}`);
  // Replicated tables deduplicate retried blocks by themselves (replicated_deduplication_window).
  const settings = cluster ? def.settings?.replace(/non_replicated_deduplication_window\s*=\s*\d+,?\s*/, '') : def.settings;
  if (settings !== undefined && settings !== '') clauses.push(`SETTINGS ${settings}`);
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${db}.${local}${onCluster}\n(\n  ${def.columns.join(',\n  ')}\n)\n${clauses.join('\n')}`,
  ];
  if (cluster) {
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${db}.${def.name}${onCluster} AS ${db}.${local}\nENGINE = Distributed(${CLUSTER}, ${db}, ${local}, ${def.shardBy})`,
    );
  }
  return statements.map((s) => substitute(s, options));
}

function renderView(def: ViewDef, options: RenderOptions): string[] {
  const cluster = options.cluster === true;
  const db = options.database;
  return [substitute(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${def.name}${onClusterOf(options)} TO ${db}.${storage(def.to, cluster)}\nAS ${selectOf(def, options)}`, options)];
}

function renderAddColumns(def: AddColumnsDef, options: RenderOptions): string[] {
  const cluster = options.cluster === true;
  const db = options.database;
  const onCluster = onClusterOf(options);
  const add = def.columns.map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(',\n  ');
  // The Distributed table reads by its own column list, so it learns the columns too.
  const tables = cluster ? [storage(def.table, true), def.table] : [def.table];
  return tables.map((t) => substitute(`ALTER TABLE ${db}.${t}${onCluster}\n  ${add}`, options));
}

function renderViewQuery(def: ViewQueryDef, options: RenderOptions): string[] {
  return [substitute(`ALTER TABLE ${options.database}.${def.name}${onClusterOf(options)} MODIFY QUERY\n${selectOf(def, options)}`, options)];
}

function renderTableSettings(def: TableSettingsDef, options: RenderOptions): string[] {
  return [substitute(`ALTER TABLE ${options.database}.${storage(def.table, options.cluster === true)}${onClusterOf(options)} MODIFY SETTING ${def.settings}`, options)];
}

/** The DDL statements of one schema object, in order. */
export function renderObject(object: SchemaObject, options: RenderOptions): string[] {
  switch (object.type) {
    case 'table':
      return renderTable(object, options);
    case 'view':
      return renderView(object, options);
    case 'add-columns':
      return renderAddColumns(object, options);
    case 'view-query':
      return renderViewQuery(object, options);
    case 'table-settings':
      return renderTableSettings(object, options);
  }
}

/** The DDL statements of a migration, in order. */
export function renderMigration(migration: Migration, options: RenderOptions): string[] {
  return migration.objects.flatMap((o) => renderObject(o, options));
}

/** The checksum recorded for a migration: of its definition, independent of database and retention. */
export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(JSON.stringify(migration.objects)).digest('hex');
}

/** DDL of the bookkeeping table, created before any migration runs. */
export function renderBootstrap(options: RenderOptions): string[] {
  const cluster = options.cluster === true;
  const db = options.database;
  const onCluster = onClusterOf(options);
  const engine = cluster ? `ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/schema_migrations', '{replica}')` : 'MergeTree';
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}`,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations${onCluster}\n(\n  version UInt32,\n  name String,\n  checksum String,\n  applied_at DateTime64(3, 'UTC')\n)\nENGINE = ${engine}\nORDER BY version`,
  ];
}
