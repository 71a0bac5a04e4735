import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { embeddedInserters, type ClickHouseClient } from './clickhouse.ts';

export interface EncodedInsert {
  /** `database.table`. */
  table: string;
  columns: readonly string[];
  /** `JSONCompactEachRow` lines, each ending in a newline, in the order of `columns`. */
  body: Buffer;
  settings?: Record<string, string | number>;
}

/**
 * Inserts rows the caller already encoded. The body stays bytes outside the JavaScript heap all
 * the way: the embedded engine reads the Buffer in place, a server gets it as the request body.
 * Through the client's `exec`, the embedded engine took the body as one string and copied it
 * twice more (a trim, then the statement in front), megabytes an insert that the collector then
 * had to mark and free.
 */
export async function insertEncoded(client: ClickHouseClient, insert: EncodedInsert): Promise<void> {
  if (insert.body.length === 0) return;
  const embedded = embeddedInserters.get(client);
  if (embedded !== undefined) {
    await embedded.rawInsert({ table: insert.table, columns: insert.columns, format: 'JSONCompactEachRow', values: insert.body, ...(insert.settings !== undefined ? { settings: insert.settings } : {}) });
    return;
  }
  const result = await client.exec({
    query: `INSERT INTO ${insert.table} (${insert.columns.join(', ')}) FORMAT JSONCompactEachRow`,
    values: Readable.from([insert.body]),
    ...(insert.settings !== undefined ? { clickhouse_settings: insert.settings } : {}),
  });
  // The answer of an insert is empty, but on a server it must be read for the socket to be reused.
  result.stream.resume();
  await finished(result.stream);
}
