import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ClickHouseClient } from '@repute/analytics';

/**
 * Inserts rows already encoded as `JSONCompactEachRow` lines (one JSON array a row, in the
 * order of `columns`). The correlator encodes a row as it decodes the event: until the insert,
 * a batch then holds one flat string a row instead of an object and five arrays, which under a
 * backlog lived long enough to be copied out of the young generation and collected again later.
 */
export async function insertJsonLines(
  clickhouse: ClickHouseClient,
  insert: { table: string; columns: readonly string[]; lines: readonly string[]; settings?: Record<string, string | number> },
): Promise<void> {
  const result = await clickhouse.exec({
    query: `INSERT INTO ${insert.table} (${insert.columns.join(', ')}) FORMAT JSONCompactEachRow`,
    // One string, passed on as it is: in byte mode the stream made it a Buffer, which the
    // embedded engine's connection turned back into a string.
    values: Readable.from([`${insert.lines.join('\n')}\n`]),
    ...(insert.settings !== undefined ? { clickhouse_settings: insert.settings } : {}),
  });
  // The answer of an insert is empty, but on a server it must be read for the socket to be reused.
  result.stream.resume();
  await finished(result.stream);
}
