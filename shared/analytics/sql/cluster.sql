-- Repute analytics schema for a ClickHouse cluster. GENERATED from shared/analytics/src/migrations.ts
-- by `npm run cluster-sql --workspace @repute/analytics`; do not edit by hand.
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

CREATE DATABASE IF NOT EXISTS repute ON CLUSTER '{cluster}';

CREATE TABLE IF NOT EXISTS repute.schema_migrations ON CLUSTER '{cluster}'
(
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/repute/schema_migrations', '{replica}')
ORDER BY version;

-- migration 1: telemetry, aggregates, relations
CREATE TABLE IF NOT EXISTS repute.telemetry_raw_local ON CLUSTER '{cluster}'
(
  event_id String,
  tenant LowCardinality(String),
  sensor String,
  host String,
  time DateTime64(3, 'UTC'),
  received_at DateTime64(3, 'UTC'),
  event_type LowCardinality(String),
  role LowCardinality(String),
  kind LowCardinality(String),
  digest String,
  value String,
  engines Array(LowCardinality(String)),
  detection_names Array(String),
  sandbox LowCardinality(String),
  signed UInt8,
  rel_type Array(LowCardinality(String)),
  rel_kind Array(LowCardinality(String)),
  rel_digest Array(String),
  rel_value Array(String)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/repute/telemetry_raw_local', '{replica}')
PARTITION BY toYYYYMMDD(time)
ORDER BY (kind, digest, time, event_id)
TTL toDateTime(time) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS repute.telemetry_raw ON CLUSTER '{cluster}' AS repute.telemetry_raw_local
ENGINE = Distributed('{cluster}', repute, telemetry_raw_local, cityHash64(kind, digest));

CREATE TABLE IF NOT EXISTS repute.indicator_hourly_local ON CLUSTER '{cluster}'
(
  kind LowCardinality(String),
  digest String,
  hour DateTime('UTC'),
  value SimpleAggregateFunction(any, String),
  events SimpleAggregateFunction(sum, UInt64),
  sensors AggregateFunction(uniq, String),
  hosts AggregateFunction(uniq, String),
  tenants AggregateFunction(uniq, String),
  detections AggregateFunction(sumMap, Array(String), Array(UInt64)),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
  last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/repute/indicator_hourly_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (kind, digest, hour);

CREATE TABLE IF NOT EXISTS repute.indicator_hourly ON CLUSTER '{cluster}' AS repute.indicator_hourly_local
ENGINE = Distributed('{cluster}', repute, indicator_hourly_local, cityHash64(kind, digest));

CREATE MATERIALIZED VIEW IF NOT EXISTS repute.indicator_hourly_mv ON CLUSTER '{cluster}' TO repute.indicator_hourly_local
AS SELECT kind, digest, toStartOfHour(time) AS hour, any(value) AS value, count() AS events,
  uniqState(sensor) AS sensors, uniqState(host) AS hosts, uniqState(tenant) AS tenants,
  sumMapState(arrayMap(e -> toString(e), engines), arrayMap(e -> toUInt64(1), engines)) AS detections,
  min(time) AS first_seen, max(time) AS last_seen
FROM repute.telemetry_raw_local GROUP BY kind, digest, hour;

CREATE TABLE IF NOT EXISTS repute.relations_local ON CLUSTER '{cluster}'
(
  src_kind LowCardinality(String),
  src_digest String,
  rel LowCardinality(String),
  direction LowCardinality(String),
  dst_kind LowCardinality(String),
  dst_digest String,
  src_value SimpleAggregateFunction(any, String),
  dst_value SimpleAggregateFunction(any, String),
  events SimpleAggregateFunction(sum, UInt64),
  sensors AggregateFunction(uniq, String),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
  last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/repute/relations_local', '{replica}')
ORDER BY (src_kind, src_digest, rel, direction, dst_kind, dst_digest);

CREATE TABLE IF NOT EXISTS repute.relations ON CLUSTER '{cluster}' AS repute.relations_local
ENGINE = Distributed('{cluster}', repute, relations_local, cityHash64(src_kind, src_digest));

CREATE MATERIALIZED VIEW IF NOT EXISTS repute.relations_mv ON CLUSTER '{cluster}' TO repute.relations_local
AS SELECT e.1 AS src_kind, e.2 AS src_digest, e.3 AS rel, e.4 AS direction,
  e.5 AS dst_kind, e.6 AS dst_digest, any(e.7) AS src_value, any(e.8) AS dst_value, count() AS events,
  uniqState(sensor) AS sensors, min(time) AS first_seen, max(time) AS last_seen
FROM (
  SELECT sensor, time, arrayJoin(arrayFlatten(arrayMap((t, k, d, v) -> [
      (kind, digest, t, 'out', k, d, value, v),
      (k, d, t, 'in', kind, digest, v, value)], rel_type, rel_kind, rel_digest, rel_value))) AS e
  FROM repute.telemetry_raw_local WHERE length(rel_type) > 0
)
GROUP BY src_kind, src_digest, rel, direction, dst_kind, dst_digest;

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (1, 'telemetry, aggregates, relations', 'b92a59952c5e3410ebbf1fc8393959b26c98bae8bc0c5d6b906d1852ccba5d23', now64(3));

-- migration 2: verdict log and analyst overrides
CREATE TABLE IF NOT EXISTS repute.verdict_log_local ON CLUSTER '{cluster}'
(
  time DateTime64(3, 'UTC'),
  kind LowCardinality(String),
  digest String,
  value String,
  verdict LowCardinality(String),
  previous_verdict LowCardinality(String),
  score UInt8,
  confidence Float32,
  source LowCardinality(String),
  reasons String,
  policy_version LowCardinality(String),
  record_version UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/repute/verdict_log_local', '{replica}')
PARTITION BY toYYYYMM(time)
ORDER BY (kind, digest, time);

CREATE TABLE IF NOT EXISTS repute.verdict_log ON CLUSTER '{cluster}' AS repute.verdict_log_local
ENGINE = Distributed('{cluster}', repute, verdict_log_local, cityHash64(kind, digest));

CREATE TABLE IF NOT EXISTS repute.overrides_local ON CLUSTER '{cluster}'
(
  time DateTime64(3, 'UTC'),
  kind LowCardinality(String),
  digest String,
  value String,
  verdict LowCardinality(String),
  analyst String,
  tenant LowCardinality(String),
  comment String,
  active UInt8,
  version UInt64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/repute/overrides_local', '{replica}')
PARTITION BY toYYYYMM(time)
ORDER BY (kind, digest, version);

CREATE TABLE IF NOT EXISTS repute.overrides ON CLUSTER '{cluster}' AS repute.overrides_local
ENGINE = Distributed('{cluster}', repute, overrides_local, cityHash64(kind, digest));

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (2, 'verdict log and analyst overrides', '7aa937bef56ed3af251de28ab3c453227cfa2ea26cdec7dbf20ee5d0f33f8706', now64(3));

-- migration 3: aggregates count each event once
ALTER TABLE repute.indicator_hourly_local ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS event_ids AggregateFunction(uniq, String),
  ADD COLUMN IF NOT EXISTS detection_events AggregateFunction(uniqMap, Map(String, String));

ALTER TABLE repute.indicator_hourly ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS event_ids AggregateFunction(uniq, String),
  ADD COLUMN IF NOT EXISTS detection_events AggregateFunction(uniqMap, Map(String, String));

ALTER TABLE repute.indicator_hourly_mv ON CLUSTER '{cluster}' MODIFY QUERY
SELECT kind, digest, toStartOfHour(time) AS hour, any(value) AS value, uniqState(event_id) AS event_ids,
  uniqState(sensor) AS sensors, uniqState(host) AS hosts, uniqState(tenant) AS tenants,
  uniqMapState(mapFromArrays(arrayMap(e -> toString(e), engines), arrayMap(e -> event_id, engines))) AS detection_events,
  min(time) AS first_seen, max(time) AS last_seen
FROM repute.telemetry_raw_local GROUP BY kind, digest, hour;

ALTER TABLE repute.relations_local ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS event_ids AggregateFunction(uniq, String);

ALTER TABLE repute.relations ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS event_ids AggregateFunction(uniq, String);

ALTER TABLE repute.relations_mv ON CLUSTER '{cluster}' MODIFY QUERY
SELECT e.1 AS src_kind, e.2 AS src_digest, e.3 AS rel, e.4 AS direction,
  e.5 AS dst_kind, e.6 AS dst_digest, any(e.7) AS src_value, any(e.8) AS dst_value, uniqState(event_id) AS event_ids,
  uniqState(sensor) AS sensors, min(time) AS first_seen, max(time) AS last_seen
FROM (
  SELECT event_id, sensor, time, arrayJoin(arrayFlatten(arrayMap((t, k, d, v) -> [
      (kind, digest, t, 'out', k, d, value, v),
      (k, d, t, 'in', kind, digest, v, value)], rel_type, rel_kind, rel_digest, rel_value))) AS e
  FROM repute.telemetry_raw_local WHERE length(rel_type) > 0
)
GROUP BY src_kind, src_digest, rel, direction, dst_kind, dst_digest;

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (3, 'aggregates count each event once', 'c508ec4f391da1c6a9343198100e394f8ff4c9bac5357bf7731b422d4b651bba', now64(3));

-- migration 4: wider merges of the streaming tables
ALTER TABLE repute.telemetry_raw_local ON CLUSTER '{cluster}' MODIFY SETTING merge_selector_base = 10;

ALTER TABLE repute.indicator_hourly_local ON CLUSTER '{cluster}' MODIFY SETTING merge_selector_base = 10;

ALTER TABLE repute.relations_local ON CLUSTER '{cluster}' MODIFY SETTING merge_selector_base = 10;

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (4, 'wider merges of the streaming tables', '57d183482dab42347daad2f3f0fd2d96f4f565ec6aa1252c761660fbc523e17f', now64(3));

-- migration 5: local verdicts by source and engine
ALTER TABLE repute.telemetry_raw_local ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS verdict_source LowCardinality(String) DEFAULT '',
  ADD COLUMN IF NOT EXISTS verdict_engine LowCardinality(String) DEFAULT '',
  ADD COLUMN IF NOT EXISTS verdict_category LowCardinality(String) DEFAULT '';

ALTER TABLE repute.telemetry_raw ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS verdict_source LowCardinality(String) DEFAULT '',
  ADD COLUMN IF NOT EXISTS verdict_engine LowCardinality(String) DEFAULT '',
  ADD COLUMN IF NOT EXISTS verdict_category LowCardinality(String) DEFAULT '';

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (5, 'local verdicts by source and engine', 'ae166d1bf3d0ea52df8435566f69f7f617b9a9e5de4d5ee12c9daafa3f1356aa', now64(3));

-- migration 6: override scopes and actors
ALTER TABLE repute.overrides_local ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS scope LowCardinality(String) DEFAULT 'global',
  ADD COLUMN IF NOT EXISTS actor String DEFAULT '';

ALTER TABLE repute.overrides ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS scope LowCardinality(String) DEFAULT 'global',
  ADD COLUMN IF NOT EXISTS actor String DEFAULT '';

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (6, 'override scopes and actors', 'b14a679ca4e6002737ae887a6b044aa4ad1b3b38b04c6e6ea53a106e702a63e5', now64(3));

-- migration 7: file names, sizes and signers
ALTER TABLE repute.telemetry_raw_local ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS file_name String DEFAULT '',
  ADD COLUMN IF NOT EXISTS file_size UInt64 DEFAULT 0,
  ADD COLUMN IF NOT EXISTS file_signer LowCardinality(String) DEFAULT '';

ALTER TABLE repute.telemetry_raw ON CLUSTER '{cluster}'
  ADD COLUMN IF NOT EXISTS file_name String DEFAULT '',
  ADD COLUMN IF NOT EXISTS file_size UInt64 DEFAULT 0,
  ADD COLUMN IF NOT EXISTS file_signer LowCardinality(String) DEFAULT '';

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (7, 'file names, sizes and signers', '423d9f8125b42a70647266dfd529144c33b6b4c9e843b97c060631d258cc7dfe', now64(3));

-- migration 8: indicators by machine
CREATE TABLE IF NOT EXISTS repute.host_indicators_local ON CLUSTER '{cluster}'
(
  tenant LowCardinality(String),
  host String,
  kind LowCardinality(String),
  digest String,
  value SimpleAggregateFunction(any, String),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
  last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/repute/host_indicators_local', '{replica}')
ORDER BY (tenant, host, kind, digest)
TTL toDateTime(last_seen) + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS repute.host_indicators ON CLUSTER '{cluster}' AS repute.host_indicators_local
ENGINE = Distributed('{cluster}', repute, host_indicators_local, cityHash64(tenant, host));

CREATE MATERIALIZED VIEW IF NOT EXISTS repute.host_indicators_mv ON CLUSTER '{cluster}' TO repute.host_indicators_local
AS SELECT tenant, host, kind, digest, any(value) AS value, min(time) AS first_seen, max(time) AS last_seen
FROM repute.telemetry_raw_local WHERE host != '' GROUP BY tenant, host, kind, digest;

INSERT INTO repute.schema_migrations (version, name, checksum, applied_at) VALUES (8, 'indicators by machine', 'dab01e2ce8ba7e7838b874fbf1bd2752b84676338f5ae55b7794337c354483ac', now64(3));
