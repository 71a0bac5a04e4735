/**
 * The analytics schema as data, so the one-server DDL and the cluster DDL come from one source.
 * `{db}` names the database; `{retention_days}` the raw telemetry retention.
 */

export interface TableDef {
  type: 'table';
  name: string;
  columns: string[];
  engine: 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree';
  /** Arguments of the engine, e.g. the version column of a ReplacingMergeTree. */
  engineArgs?: string;
  partitionBy?: string;
  orderBy: string;
  ttl?: string;
  settings?: string;
  /** Sharding expression of the Distributed table in a cluster. */
  shardBy: string;
}

export interface ViewDef {
  type: 'view';
  name: string;
  /** Target table (an AggregatingMergeTree here). */
  to: string;
  /** Source table, read as `{from}` in the select. */
  from: string;
  select: string;
}

/** Columns added to a table that exists (its Distributed table too, on a cluster). */
export interface AddColumnsDef {
  type: 'add-columns';
  table: string;
  columns: string[];
}

/**
 * A new select for a view that exists, swapped in one statement (`ALTER … MODIFY QUERY`): the
 * view never stops, so no insert made meanwhile misses its aggregates.
 */
export interface ViewQueryDef {
  type: 'view-query';
  name: string;
  /** Source table, read as `{from}` in the select. */
  from: string;
  select: string;
}

/** Table settings changed on a table that exists (its local tables, on a cluster). */
export interface TableSettingsDef {
  type: 'table-settings';
  table: string;
  /** `name = value, …` as in `ALTER TABLE … MODIFY SETTING`. */
  settings: string;
}

export type SchemaObject = TableDef | ViewDef | AddColumnsDef | ViewQueryDef | TableSettingsDef;

export interface Migration {
  version: number;
  name: string;
  objects: SchemaObject[];
}
