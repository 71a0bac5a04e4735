import type { ClickHouseClient } from '@repute/analytics';
import { POPULAR_SQL } from './popular-sql.ts';

/** How often a source detects (`malicious`, `suspicious` or `pua`) malicious and benign indicators. */
export interface SourceRates {
  tpr: number;
  fpr: number;
}

/** One source's measured rates, and how many settled indicators they were measured on. */
export interface SourceReliability {
  source: string;
  engine: string;
  tpr: number;
  fpr: number;
  labelledMalicious: number;
  labelledBenign: number;
}

export interface ReliabilityOptions {
  /** The configured rates of a source: the prior each estimate starts from. */
  priors: (source: string, engine: string) => SourceRates;
  /**
   * The family a source belongs to (engines that share signatures or an OEM core). A family's
   * members count as one vote and never vouch for each other. Default: every source its own.
   */
  family?: (source: string, engine: string) => string;
  /** Days of telemetry read, ending at `now`. Default 30. */
  windowDays?: number;
  /** End of the window, epoch ms (a replay's clock). Default: now. */
  now?: number;
  /** Weight of a prior, in observations. Default 20. */
  priorStrength?: number;
  /** Passes of the estimate: 1 labels with the priors, 2 again with the rates of pass 1. Default 2. */
  iterations?: 1 | 2;
  /** Evidence (log-likelihood ratio) from the others at which an indicator is settled malicious. Default ln 300. */
  maliciousLogLr?: number;
  /** Evidence against, from the others, at which an indicator no other family detects is settled benign. Default ln 1000. */
  benignLogLr?: number;
  /** Most evidence one family can give either way. Default ln 100. */
  familyCapLogLr?: number;
  /** Evidence against that popularity gives. Default ln 100. */
  popularLogLr?: number;
  /** Distinct tenants in the window that make an indicator popular. Default 5. */
  popularTenants?: number;
  /** Distinct sensors in the window that make an indicator popular. Default 50. */
  popularSensors?: number;
}

const DAY_MS = 86_400_000;
const TPR_BOUNDS = [0.01, 0.999] as const;
const FPR_BOUNDS = [1e-5, 0.5] as const;

// Method (Dawid–Skene in spirit, in two passes; reference/correlation.md §5 and §9 on engine
// labels: Zhu et al., Kantchelian et al.):
//
// 1. Words. The subject row of an event with a local verdict carries who gave it and what it said
//    (`verdict_source`, `verdict_engine`, `verdict_category`). Per (indicator, source, engine,
//    tenant) only the latest word counts (argMax by time), so a later `clean` from the same
//    engine and tenant retracts a detection. Across tenants the word is the share of tenants
//    whose latest word is a detection (`malicious`, `suspicious`, or `pua`, which the scorer in
//    `@repute/verdicts` reads as `suspicious`: a source's hedged words are weighed with the same
//    rates, so they are measured with them): an engine that still flags a file in one tenant and
//    cleared it in three counts a quarter of a detection. Rows from before the verdict columns
//    carry no word and are not read: they name the engines that detected, never those that
//    looked and did not, and would bias every rate upward.
// 2. Labels, leaving the source's whole family out. An indicator is labelled for each source
//    from the others alone, never from its own word, and never from the members of its family:
//    engines copy each other (Zhu et al.), and a clone counted apart confirms its original's
//    false positives and hides them (see the test). Each other family gives the log-likelihood
//    ratio of its word under the current rates, p·ln(TPR/FPR) + (1−p)·ln((1−TPR)/(1−FPR)),
//    averaged over its members and capped at `familyCapLogLr`, so no one family settles anything
//    alone (weighting by measured rates is what beats k-of-n voting, Kantchelian et al.).
//    Popularity (many tenants or sensors in `indicator_hourly` over the window) gives
//    `popularLogLr` against: widespread files are overwhelmingly benign (Li et al., §4.4), but
//    are not settled on that alone, as a popular file only one engine looked at would count that
//    engine's every detection on it as a false positive.
//    Settled malicious: the evidence reaches `maliciousLogLr` (ln 300: two families with the
//    usual engine rates, net of one dissent). Settled benign: no other family detects it (none
//    with half its words detections) and the evidence falls to −`benignLogLr`. The benign bar is
//    the higher because it guards the smaller rate: an FPR near 1e-3 is only measurable if the
//    settled-benign set holds far fewer than 1e-3 malicious files. At a 1 : 10 prior among judged
//    files, ln 1000 leaves about 1e-4; ln 10 (two clean words from 80 %-TPR engines) left 4e-3
//    and measured 0.0057 for engines whose true FPR was 0.002.
//    The rest is left out: an unsettled indicator tells nothing about anyone. The verdict log is
//    no label: its verdicts were scored with the very words under test.
// 3. Counts. On the settled-malicious indicators a source judged, its detections (TPR); on the
//    settled-benign ones, its detections (FPR). A fractional word counts its share.
// 4. Beta prior. Each rate is (detections + k·prior) / (labelled + k), k = `priorStrength`: a
//    source with little agreement data keeps its configured rates, and a noisy one's FPR rises as
//    its false positives accumulate. Clamped to FPR ∈ [1e-5, 0.5], TPR ∈ [0.01, 0.999] so no
//    word's log-likelihood ratio is infinite.
// 5. Second pass: the labels again, with the rates of the first pass (a noisy engine's
//    detections then weigh little in everyone else's labels), and the counts again: the estimate.
//
// Cost: a query to list the sources, then one a pass; each reads the window's verdict rows and
// its hourly aggregates once, the rest works on per-indicator aggregates. Every value is a query
// parameter, the database an identifier parameter.

/**
 * The query of one pass: per source (its 1-based index in `pairs`), the settled indicators it
 * judged and its detections on them. Indicators are keyed by `cityHash64(kind, digest)` from the
 * first step, sources by number: grouping four times on 64-bit keys instead of the 64-character
 * digest, a pass over 3 M rows (1.5 M words on 380 K indicators, two busy cores) took 3.2–3.6 s
 * against 4.3–9.0 s, in alternating runs. At 3 M indicators the chance that any two collide is
 * about 2e-7, and a collision would merge two indicators' words, nothing worse.
 */
const PASS_QUERY = `
SELECT i,
  countIf(settled = 1) AS labelled_malicious, sumIf(p, settled = 1) AS detected_malicious,
  countIf(settled = -1) AS labelled_benign, sumIf(p, settled = -1) AS detected_benign
FROM (
  SELECT member.1 AS i, member.2 AS p,
    total - fam.1 - if(popular = 1, {popularLogLr:Float64}, 0) AS evidence, positives - fam.2 AS other_positives,
    multiIf(evidence >= {maliciousLogLr:Float64}, 1, other_positives = 0 AND evidence <= -{benignLogLr:Float64}, -1, 0) AS settled
  FROM (
    SELECT w.total AS total, w.positives AS positives, w.fams AS fams, pop.popular AS popular
    FROM (
      SELECT id, sum(fc) AS total, sum(fpos) AS positives, groupArray((fc, fpos, members)) AS fams
      FROM (
        SELECT id, f, greatest(-{capLogLr:Float64}, least({capLogLr:Float64}, avg(c))) AS fc, toUInt32(avg(p) >= 0.5) AS fpos,
          groupArray((i, p)) AS members
        FROM (
          SELECT id, i, avg(category IN ('malicious', 'suspicious', 'pua')) AS p, {families:Array(UInt32)}[i] AS f,
            p * {positive:Array(Float64)}[i] + (1 - p) * {negative:Array(Float64)}[i] AS c
          FROM (
            SELECT cityHash64(kind, digest) AS id, indexOf({pairs:Array(String)}, concat(verdict_source, '|', verdict_engine)) AS i, tenant,
              argMax(verdict_category, (time, event_id)) AS category
            FROM {db:Identifier}.telemetry_raw
            WHERE verdict_source != '' AND role = 'subject'
              AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
            GROUP BY id, i, tenant
          )
          WHERE i > 0 AND category IN ('malicious', 'suspicious', 'pua', 'clean')
          GROUP BY id, i
        )
        GROUP BY id, f
      )
      GROUP BY id
    ) AS w
    LEFT JOIN (
${POPULAR_SQL}
    ) AS pop ON w.id = pop.id
  )
  ARRAY JOIN fams AS fam
  ARRAY JOIN fam.3 AS member
)
GROUP BY i`;

/** The sources that gave a word in the window. */
const PAIRS_QUERY = `
SELECT DISTINCT verdict_source AS source, verdict_engine AS engine
FROM {db:Identifier}.telemetry_raw
WHERE verdict_source != '' AND role = 'subject'
  AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
ORDER BY source, engine`;

interface PassRow {
  i: string;
  labelled_malicious: string;
  detected_malicious: number;
  labelled_benign: string;
  detected_benign: number;
}

const clamp = (x: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : lo));

/** A source's rates: its detections on settled indicators plus its prior as `strength` pseudo-observations, clamped. */
function posterior(source: string, engine: string, prior: SourceRates, strength: number, row: PassRow | undefined): SourceReliability {
  const labelledMalicious = Number(row?.labelled_malicious ?? 0);
  const labelledBenign = Number(row?.labelled_benign ?? 0);
  const rate = (detected: number, labelled: number, p: number) => (labelled + strength > 0 ? (detected + strength * p) / (labelled + strength) : p);
  return {
    source,
    engine,
    tpr: clamp(rate(Number(row?.detected_malicious ?? 0), labelledMalicious, prior.tpr), TPR_BOUNDS),
    fpr: clamp(rate(Number(row?.detected_benign ?? 0), labelledBenign, prior.fpr), FPR_BOUNDS),
    labelledMalicious,
    labelledBenign,
  };
}

/**
 * Measures each source's true- and false-positive rates from its agreement with the other
 * sources on the indicators they settle, over the last `windowDays` of telemetry; every source
 * that gave a word in the window is returned (its prior when nothing it judged was settled).
 * The method and its reasons are written above `PASS_QUERY`.
 */
export async function estimateReliability(clickhouse: ClickHouseClient, database: string, options: ReliabilityOptions): Promise<SourceReliability[]> {
  const to = options.now ?? Date.now();
  const from = to - (options.windowDays ?? 30) * DAY_MS;
  const strength = options.priorStrength ?? 20;
  const window = { db: database, from, to };

  const pairs = await (await clickhouse.query({ query: PAIRS_QUERY, query_params: window, format: 'JSONEachRow' })).json<{ source: string; engine: string }>();
  if (pairs.length === 0) return [];
  const keys = pairs.map((p) => `${p.source}|${p.engine}`);
  // Families go to the query as numbers: the first pair of each family names it.
  const familyNames = pairs.map((p) => options.family?.(p.source, p.engine) ?? `${p.source}|${p.engine}`);
  const families = familyNames.map((name) => familyNames.indexOf(name) + 1);
  const priors = pairs.map((p) => {
    const prior = options.priors(p.source, p.engine);
    return { tpr: clamp(prior.tpr, TPR_BOUNDS), fpr: clamp(prior.fpr, FPR_BOUNDS) };
  });

  let rates: SourceRates[] = priors;
  let estimates: SourceReliability[] = [];
  for (let pass = 0; pass < (options.iterations ?? 2); pass++) {
    const rows = await (await clickhouse.query({
      query: PASS_QUERY,
      query_params: {
        ...window,
        pairs: keys,
        families,
        positive: rates.map((r) => Math.log(r.tpr / r.fpr)),
        negative: rates.map((r) => Math.log((1 - r.tpr) / (1 - r.fpr))),
        capLogLr: options.familyCapLogLr ?? Math.log(100),
        maliciousLogLr: options.maliciousLogLr ?? Math.log(300),
        benignLogLr: options.benignLogLr ?? Math.log(1000),
        popularLogLr: options.popularLogLr ?? Math.log(100),
        popularTenants: options.popularTenants ?? 5,
        popularSensors: options.popularSensors ?? 50,
      },
      format: 'JSONEachRow',
    })).json<PassRow>();
    const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
    estimates = pairs.map((p, i) => posterior(p.source, p.engine, priors[i]!, strength, byIndex.get(i + 1)));
    rates = estimates;
  }
  return estimates;
}
