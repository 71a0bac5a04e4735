import type { ClickHouseClient, VerdictLogRow } from '@repute/analytics';
import { verdictLogRows, type Policy, type VerdictChange } from '@repute/verdicts';
import { insertQueue } from './insert-queue.ts';

/** The verdict changes' rows in ClickHouse, under the policy version that decided them. */
export interface VerdictLog {
  /** In the next insert, with the rows of the other passes that settle meanwhile (see `insertQueue`). */
  queue(changes: VerdictChange[], policy: Policy): Promise<void>;
  /** In an insert of their own. */
  insert(changes: VerdictChange[], policy: Policy): Promise<void>;
}

export interface VerdictLogDeps {
  clickhouse: ClickHouseClient;
  database: string;
  /** Inserts start at most this often, ms. */
  minIntervalMs: number;
  now: () => number;
}

export function verdictLogSink({ clickhouse, database, minIntervalMs, now }: VerdictLogDeps): VerdictLog {
  const insertRows = async (values: VerdictLogRow[]): Promise<void> => {
    if (values.length === 0) return;
    await clickhouse.insert({ table: `${database}.verdict_log`, values, format: 'JSONEachRow' });
  };
  const queued = insertQueue<VerdictLogRow>((rows) => insertRows(rows), { minIntervalMs });
  const rowsOf = (changes: VerdictChange[], policy: Policy): VerdictLogRow[] =>
    verdictLogRows(changes, policy.version, now());
  return {
    queue: (changes, policy) => queued.insert(rowsOf(changes, policy), ''),
    insert: (changes, policy) => insertRows(rowsOf(changes, policy)),
  };
}
