import type { ClickHouseClient } from '@repute/analytics';
import { ReputeError } from '@repute/http';

export interface ReaderLimits {
  timeoutS: number;
  maxRows: number;
}

/** Read-only, bounded, parameterised access to the analytics database. */
export interface AnalyticsReader {
  readonly database: string;
  /** Runs `sql` with `{name:Type}` placeholders bound from `params`; never interpolate input. */
  rows<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
}

// ClickHouse error names that mean "the question was too big", not "the server broke".
const TOO_BIG = /TOO_MANY_ROWS|TIMEOUT_EXCEEDED|Timeout exceeded|Limit for result exceeded|TOO_MANY_BYTES/;

/**
 * Every query carries its limits as settings; `readonly` comes last because in readonly mode
 * the server refuses to change any setting listed after it (checked against the embedded
 * engine, which honours all three).
 */
export function createAnalyticsReader(client: ClickHouseClient, database: string, limits: ReaderLimits): AnalyticsReader {
  const settings = {
    max_execution_time: limits.timeoutS,
    max_result_rows: String(limits.maxRows),
    result_overflow_mode: 'throw' as const,
    readonly: '1' as const,
  };
  return {
    database,
    async rows<T>(sql: string, params: Record<string, unknown> = {}) {
      try {
        const result = await client.query({ query: sql.replaceAll('{db}', database), query_params: params, format: 'JSONEachRow', clickhouse_settings: settings });
        return await result.json<T>();
      } catch (err) {
        if (TOO_BIG.test((err as Error).message ?? '')) {
          throw new ReputeError({ code: 'REPUTE_ANALYST_QUERY_TOO_LARGE', status: 422, title: 'Query too large', detail: 'the question reads more rows or time than allowed; narrow the window or lower the limit', cause: err });
        }
        throw err;
      }
    },
  };
}

/** ClickHouse DateTime64 text ("2024-01-02 03:04:05.678", UTC) as ISO 8601. */
export function isoTime(text: string | number | null | undefined): string | null {
  if (text === null || text === undefined || text === '') return null;
  if (typeof text === 'number') return new Date(text).toISOString();
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) || ms <= 0 ? null : new Date(ms).toISOString();
}
