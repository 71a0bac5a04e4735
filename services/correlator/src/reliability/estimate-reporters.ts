import type { ClickHouseClient } from '@repute/analytics';
import { POPULAR_SQL } from './popular-sql.ts';

/** One tenant's record as a reporter over the window. */
export interface ReporterRecord {
  tenant: string;
  /**
   * Indicators it called malicious that two other tenants called malicious too, its first word
   * coming before the second of theirs: it reported before there was a consensus to copy.
   */
  confirmed: number;
  /** Indicators it called malicious that are popular (see the options) and no other tenant called malicious. */
  contradicted: number;
}

export interface ReporterOptions {
  /** Days of telemetry read, ending at `now`. Default 30. */
  windowDays?: number;
  /** End of the window, epoch ms (a replay's clock). Default: now. */
  now?: number;
  /** Distinct tenants in the window that make an indicator popular. Default 5. */
  popularTenants?: number;
  /** Distinct sensors in the window that make an indicator popular. Default 50. */
  popularSensors?: number;
}

const DAY_MS = 86_400_000;

// Why: one tenant's evidence alone raises the global verdict at most to suspicious, since a
// tenant could invent it (poisoning). A tenant whose reports others keep confirming afterwards
// has shown its sensors are real; the scorer may let its evidence convict for everyone where
// nothing is popular (`malicious.reporters` in the policy). Only early reports earn the record:
// a tenant that repeats what two others already said (a public feed replayed) earns nothing, and
// a report on something popular that nobody else accuses counts against it.
const REPORTERS_QUERY = `
SELECT tenant,
  countIf(length(others) >= 2 AND first_at <= others[2]) AS confirmed,
  countIf(length(others) = 0 AND popular = 1) AS contradicted
FROM (
  SELECT d.tenant AS tenant, d.first_at AS first_at, d.others AS others, pop.popular AS popular
  FROM (
    SELECT id, t.1 AS tenant, t.2 AS first_at, arraySort(arrayMap(x -> x.2, arrayFilter(x -> x.1 != t.1, firsts))) AS others
    FROM (
      SELECT id, groupArray((tenant, first_at)) AS firsts
      FROM (
        SELECT cityHash64(kind, digest) AS id, tenant, min(time) AS first_at
        FROM {db:Identifier}.telemetry_raw
        WHERE verdict_source != '' AND role = 'subject' AND verdict_category = 'malicious' AND tenant != ''
          AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
        GROUP BY id, tenant
      )
      GROUP BY id
    )
    ARRAY JOIN firsts AS t
  ) AS d
  LEFT JOIN (
${POPULAR_SQL}
  ) AS pop ON d.id = pop.id
)
GROUP BY tenant
ORDER BY tenant`;

/** Every tenant that called something malicious in the window, with its record as a reporter. */
export async function estimateReporters(clickhouse: ClickHouseClient, database: string, options: ReporterOptions = {}): Promise<ReporterRecord[]> {
  const to = options.now ?? Date.now();
  const from = to - (options.windowDays ?? 30) * DAY_MS;
  const rows = await (await clickhouse.query({
    query: REPORTERS_QUERY,
    query_params: { db: database, from, to, popularTenants: options.popularTenants ?? 5, popularSensors: options.popularSensors ?? 50 },
    format: 'JSONEachRow',
  })).json<{ tenant: string; confirmed: string; contradicted: string }>();
  return rows.map((r) => ({ tenant: r.tenant, confirmed: Number(r.confirmed), contradicted: Number(r.contradicted) }));
}
