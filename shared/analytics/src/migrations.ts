import type { Migration } from './schema-defs.ts';

const time = "DateTime64(3, 'UTC')";

/**
 * Ordered, append-only: a released migration never changes (its checksum is recorded); a change
 * is a new migration.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'telemetry, aggregates, relations',
    objects: [
      {
        // One row per (event, indicator it mentions), so "who saw this indicator" reads one key
        // range whatever role the indicator played. Duplicates do reach it: a redelivered batch is
        // inserted again (its first insert may never have happened), and a replay older than the
        // correlator's dedup window in Redis is new to it. ReplacingMergeTree with the event id
        // closing the sorting key collapses them on merge and under FINAL, whatever their age. A
        // ReplacingMergeTree keyed on the event id alone would lose the per-indicator order that
        // every read needs.
        type: 'table',
        name: 'telemetry_raw',
        columns: [
          'event_id String',
          'tenant LowCardinality(String)',
          'sensor String',
          'host String',
          `time ${time}`,
          `received_at ${time}`,
          'event_type LowCardinality(String)',
          'role LowCardinality(String)',
          'kind LowCardinality(String)',
          'digest String',
          'value String',
          'engines Array(LowCardinality(String))',
          'detection_names Array(String)',
          'sandbox LowCardinality(String)',
          'signed UInt8',
          'rel_type Array(LowCardinality(String))',
          'rel_kind Array(LowCardinality(String))',
          'rel_digest Array(String)',
          'rel_value Array(String)',
        ],
        engine: 'ReplacingMergeTree',
        partitionBy: 'toYYYYMMDD(time)',
        orderBy: '(kind, digest, time, event_id)',
        ttl: 'toDateTime(time) + INTERVAL {retention_days} DAY',
        // A retried insert of the same batch (same deduplication token) is dropped, views included.
        settings: 'non_replicated_deduplication_window = 1000',
        shardBy: 'cityHash64(kind, digest)',
      },
      {
        type: 'table',
        name: 'indicator_hourly',
        columns: [
          'kind LowCardinality(String)',
          'digest String',
          "hour DateTime('UTC')",
          'value SimpleAggregateFunction(any, String)',
          'events SimpleAggregateFunction(sum, UInt64)',
          'sensors AggregateFunction(uniq, String)',
          'hosts AggregateFunction(uniq, String)',
          'tenants AggregateFunction(uniq, String)',
          'detections AggregateFunction(sumMap, Array(String), Array(UInt64))',
          `first_seen SimpleAggregateFunction(min, ${time})`,
          `last_seen SimpleAggregateFunction(max, ${time})`,
        ],
        engine: 'AggregatingMergeTree',
        partitionBy: 'toYYYYMM(hour)',
        orderBy: '(kind, digest, hour)',
        settings: 'non_replicated_deduplication_window = 1000',
        shardBy: 'cityHash64(kind, digest)',
      },
      {
        type: 'view',
        name: 'indicator_hourly_mv',
        to: 'indicator_hourly',
        from: 'telemetry_raw',
        select: `SELECT kind, digest, toStartOfHour(time) AS hour, any(value) AS value, count() AS events,
  uniqState(sensor) AS sensors, uniqState(host) AS hosts, uniqState(tenant) AS tenants,
  sumMapState(arrayMap(e -> toString(e), engines), arrayMap(e -> toUInt64(1), engines)) AS detections,
  min(time) AS first_seen, max(time) AS last_seen
FROM {from} GROUP BY kind, digest, hour`,
      },
      {
        // Both directions of every relation, so a walk from either end reads one key range.
        type: 'table',
        name: 'relations',
        columns: [
          'src_kind LowCardinality(String)',
          'src_digest String',
          'rel LowCardinality(String)',
          'direction LowCardinality(String)',
          'dst_kind LowCardinality(String)',
          'dst_digest String',
          'src_value SimpleAggregateFunction(any, String)',
          'dst_value SimpleAggregateFunction(any, String)',
          'events SimpleAggregateFunction(sum, UInt64)',
          'sensors AggregateFunction(uniq, String)',
          `first_seen SimpleAggregateFunction(min, ${time})`,
          `last_seen SimpleAggregateFunction(max, ${time})`,
        ],
        engine: 'AggregatingMergeTree',
        orderBy: '(src_kind, src_digest, rel, direction, dst_kind, dst_digest)',
        settings: 'non_replicated_deduplication_window = 1000',
        shardBy: 'cityHash64(src_kind, src_digest)',
      },
      {
        type: 'view',
        name: 'relations_mv',
        to: 'relations',
        from: 'telemetry_raw',
        select: `SELECT e.1 AS src_kind, e.2 AS src_digest, e.3 AS rel, e.4 AS direction,
  e.5 AS dst_kind, e.6 AS dst_digest, any(e.7) AS src_value, any(e.8) AS dst_value, count() AS events,
  uniqState(sensor) AS sensors, min(time) AS first_seen, max(time) AS last_seen
FROM (
  SELECT sensor, time, arrayJoin(arrayFlatten(arrayMap((t, k, d, v) -> [
      (kind, digest, t, 'out', k, d, value, v),
      (k, d, t, 'in', kind, digest, v, value)], rel_type, rel_kind, rel_digest, rel_value))) AS e
  FROM {from} WHERE length(rel_type) > 0
)
GROUP BY src_kind, src_digest, rel, direction, dst_kind, dst_digest`,
      },
    ],
  },
  {
    version: 2,
    name: 'verdict log and analyst overrides',
    objects: [
      {
        type: 'table',
        name: 'verdict_log',
        columns: [
          `time ${time}`,
          'kind LowCardinality(String)',
          'digest String',
          'value String',
          'verdict LowCardinality(String)',
          'previous_verdict LowCardinality(String)',
          'score UInt8',
          'confidence Float32',
          'source LowCardinality(String)',
          'reasons String',
          'policy_version LowCardinality(String)',
          'record_version UInt64',
        ],
        engine: 'MergeTree',
        partitionBy: 'toYYYYMM(time)',
        orderBy: '(kind, digest, time)',
        shardBy: 'cityHash64(kind, digest)',
      },
      {
        // Every override and every lift of one is a row; the latest per indicator (by version) is
        // the one in force, the rest is the audit trail.
        type: 'table',
        name: 'overrides',
        columns: [
          `time ${time}`,
          'kind LowCardinality(String)',
          'digest String',
          'value String',
          'verdict LowCardinality(String)',
          'analyst String',
          'tenant LowCardinality(String)',
          'comment String',
          'active UInt8',
          'version UInt64',
        ],
        engine: 'MergeTree',
        partitionBy: 'toYYYYMM(time)',
        orderBy: '(kind, digest, version)',
        shardBy: 'cityHash64(kind, digest)',
      },
    ],
  },
  {
    // The views of migration 1 counted rows: an event delivered twice (a sensor retrying its
    // POST, a batch redelivered after a crash) was counted twice in the aggregates, though the
    // raw rows collapse under FINAL. The counts become distinct event ids, per hour and per
    // engine. Rows written before keep their sums in `events` and `detections`, and the new
    // views leave those at zero, so a read adds both (`AGGREGATE_EVENTS`, `AGGREGATE_DETECTIONS`).
    // `uniq` is exact up to 65,536 events of an indicator-hour (bar 32-bit hash collisions) and
    // an estimate beyond, as the sensor counts are.
    version: 3,
    name: 'aggregates count each event once',
    objects: [
      {
        type: 'add-columns',
        table: 'indicator_hourly',
        columns: ['event_ids AggregateFunction(uniq, String)', 'detection_events AggregateFunction(uniqMap, Map(String, String))'],
      },
      {
        type: 'view-query',
        name: 'indicator_hourly_mv',
        from: 'telemetry_raw',
        select: `SELECT kind, digest, toStartOfHour(time) AS hour, any(value) AS value, uniqState(event_id) AS event_ids,
  uniqState(sensor) AS sensors, uniqState(host) AS hosts, uniqState(tenant) AS tenants,
  uniqMapState(mapFromArrays(arrayMap(e -> toString(e), engines), arrayMap(e -> event_id, engines))) AS detection_events,
  min(time) AS first_seen, max(time) AS last_seen
FROM {from} GROUP BY kind, digest, hour`,
      },
      {
        type: 'add-columns',
        table: 'relations',
        columns: ['event_ids AggregateFunction(uniq, String)'],
      },
      {
        type: 'view-query',
        name: 'relations_mv',
        from: 'telemetry_raw',
        select: `SELECT e.1 AS src_kind, e.2 AS src_digest, e.3 AS rel, e.4 AS direction,
  e.5 AS dst_kind, e.6 AS dst_digest, any(e.7) AS src_value, any(e.8) AS dst_value, uniqState(event_id) AS event_ids,
  uniqState(sensor) AS sensors, min(time) AS first_seen, max(time) AS last_seen
FROM (
  SELECT event_id, sensor, time, arrayJoin(arrayFlatten(arrayMap((t, k, d, v) -> [
      (kind, digest, t, 'out', k, d, value, v),
      (k, d, t, 'in', kind, digest, v, value)], rel_type, rel_kind, rel_digest, rel_value))) AS e
  FROM {from} WHERE length(rel_type) > 0
)
GROUP BY src_kind, src_digest, rel, direction, dst_kind, dst_digest`,
      },
    ],
  },
  {
    // Under a steady stream of inserts (a part per table every 200 ms) the engine's own counters
    // showed its background merges taking about as long as the inserts (9–10 against 11 µs a
    // row, 240,000 rows in 40 inserts). The merge selector's base sets how many parts of
    // a size it waits for before merging them into the next size: at 10 instead of 5, a row is
    // rewritten about log10 rather than log5 times over its part's life (a third fewer passes),
    // and a partition holds up to about 10 parts a size instead of 5, which a read of one
    // indicator's key range hardly notices. Measured (bench:correlator): the correlator's CPU
    // fell from 42–44 to 39–40 µs an event on Redis Streams, 45–46 to 40–42 on Kafka. The
    // setting needs ClickHouse 24.11 or later.
    version: 4,
    name: 'wider merges of the streaming tables',
    objects: ['telemetry_raw', 'indicator_hourly', 'relations'].map((table) => ({ type: 'table-settings', table, settings: 'merge_selector_base = 10' })),
  },
  {
    // Each source's word on the subject of an event, clean words included: `engines` holds only
    // the engines that detected, so an engine's misses and its retractions (a later clean word
    // from the same engine and tenant) were nowhere, and its reliability could not be measured
    // from its agreement with the others. Set on the subject row of an event that carries a local
    // verdict, '' everywhere else: rows written before keep '' and are read as "no word". The
    // category is the sensor's own (`malicious`, `suspicious`, `pua`, `clean`). Adding columns with
    // a constant default rewrites no part; old parts answer the default.
    version: 5,
    name: 'local verdicts by source and engine',
    objects: [
      {
        type: 'add-columns',
        table: 'telemetry_raw',
        columns: [
          "verdict_source LowCardinality(String) DEFAULT ''",
          "verdict_engine LowCardinality(String) DEFAULT ''",
          "verdict_category LowCardinality(String) DEFAULT ''",
        ],
      },
    ],
  },
  {
    // Overrides come in two scopes: a curator's, for everyone (`global`), and a tenant's own,
    // for its lookups only (`tenant`). Rows written before were global: they answer the default.
    // `actor` is the person a key acted for, as the request named them ('' when it did not).
    version: 6,
    name: 'override scopes and actors',
    objects: [
      {
        type: 'add-columns',
        table: 'overrides',
        columns: ["scope LowCardinality(String) DEFAULT 'global'", "actor String DEFAULT ''"],
      },
    ],
  },
  {
    // What the sensor said of the file an event is about: the name it ran or was saved under,
    // its size and its signer, as analysts read them on a file's card. Set on the row of the
    // event's own file; '' and 0 elsewhere and on rows written before.
    version: 7,
    name: 'file names, sizes and signers',
    objects: [
      {
        type: 'add-columns',
        table: 'telemetry_raw',
        columns: ["file_name String DEFAULT ''", 'file_size UInt64 DEFAULT 0', "file_signer LowCardinality(String) DEFAULT ''"],
      },
    ],
  },
  {
    // What each machine saw and when it first saw it, keyed by the machine, so "what else did
    // the machines that ran this convicted file see around that time" reads a few key ranges
    // instead of the whole window (telemetry_raw is ordered by indicator). min/max are
    // idempotent, so a redelivered batch changes nothing. Starts empty: rows inserted before
    // the view existed are not copied into it.
    version: 8,
    name: 'indicators by machine',
    objects: [
      {
        type: 'table',
        name: 'host_indicators',
        columns: [
          'tenant LowCardinality(String)',
          'host String',
          'kind LowCardinality(String)',
          'digest String',
          'value SimpleAggregateFunction(any, String)',
          `first_seen SimpleAggregateFunction(min, ${time})`,
          `last_seen SimpleAggregateFunction(max, ${time})`,
        ],
        engine: 'AggregatingMergeTree',
        orderBy: '(tenant, host, kind, digest)',
        ttl: 'toDateTime(last_seen) + INTERVAL {retention_days} DAY',
        settings: 'non_replicated_deduplication_window = 1000',
        shardBy: 'cityHash64(tenant, host)',
      },
      {
        type: 'view',
        name: 'host_indicators_mv',
        to: 'host_indicators',
        from: 'telemetry_raw',
        select: `SELECT tenant, host, kind, digest, any(value) AS value, min(time) AS first_seen, max(time) AS last_seen
FROM {from} WHERE host != '' GROUP BY tenant, host, kind, digest`,
      },
    ],
  },
];

/**
 * Events of a group of aggregate rows (`indicator_hourly`, `relations`), each counted once: rows
 * from before migration 3 carry a sum, later ones the distinct event ids.
 */
export const AGGREGATE_EVENTS = 'sum(events) + uniqMerge(event_ids)';

/** Events per detecting engine of a group of `indicator_hourly` rows, a Map(String, UInt64); see `AGGREGATE_EVENTS`. */
export const AGGREGATE_DETECTIONS = 'mapAdd(mapFromArrays(sumMapMerge(detections).1, sumMapMerge(detections).2), uniqMapMerge(detection_events))';
