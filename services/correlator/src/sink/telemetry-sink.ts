import { insertEncoded, TELEMETRY_COLUMNS, type ClickHouseClient } from '@repute/analytics';
import type { BusMessage } from '@repute/bus';
import { insertQueue } from './insert-queue.ts';
import type { LineBuffer } from './line-buffer.ts';

/** A batch's telemetry rows, encoded. */
interface EncodedRows {
  body: Buffer;
  rows: number;
}

export interface TelemetrySink {
  /** Inserts a batch's raw rows, every one, duplicates included (see `handle`). */
  insert(batch: BusMessage[], rows: LineBuffer): Promise<void>;
}

export interface TelemetrySinkDeps {
  clickhouse: ClickHouseClient;
  database: string;
  /** Inserts start at most this often, ms. */
  minIntervalMs: number;
}

// Telemetry goes as tuples: about a third less CPU a row than objects (see `telemetryTuple`),
// encoded as the events are decoded, a batch's rows into one Buffer (see `LineBuffer`).
// Batches handled at once share inserts (see `insertQueue`).
export function telemetrySink({ clickhouse, database, minIntervalMs }: TelemetrySinkDeps): TelemetrySink {
  const queue = insertQueue<EncodedRows>(async (blocks, token) => {
    await insertEncoded(clickhouse, {
      table: `${database}.telemetry_raw`,
      columns: TELEMETRY_COLUMNS,
      body: blocks.length === 1 ? blocks[0]!.body : Buffer.concat(blocks.map((b) => b.body)),
      // A retried batch carries the same bus ids, so its retry is dropped, views included.
      settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
    });
  }, { minIntervalMs, rowsOf: (b) => b.rows });
  return {
    insert(batch, rows) {
      const token = batch.length > 0 ? `${batch[0]!.id}..${batch.at(-1)!.id}:${batch.length}` : '';
      return rows.lines === 0 ? Promise.resolve() : queue.insert([{ body: rows.bytes(), rows: rows.lines }], token);
    },
  };
}
