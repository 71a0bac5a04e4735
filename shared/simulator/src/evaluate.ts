import type { EdgeAnswer, Verdict } from './http-client.ts';
import type { TruthEntry } from './types.ts';

/** Kinds the edge serves, hence the ones scored. */
export const SCORED_KINDS = ['file', 'url', 'domain', 'ip'] as const;

/** Precision and recall of one verdict set against truth. */
export interface Quality {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** null when nothing was called positive. */
  precision: number | null;
  recall: number | null;
  /** False positives over benign indicators. */
  falsePositiveRate: number | null;
}

export interface KindQuality {
  malicious: number;
  benign: number;
  /** `malicious` verdicts only. */
  strict: Quality;
  /** `malicious` or `suspicious`. */
  severe: Quality;
  /** Verdict counts by truth label. */
  verdicts: Record<'malicious' | 'benign', Record<Verdict | 'invalid', number>>;
}

export interface FalsePositive {
  kind: string;
  value: string;
  role: string;
  verdict: Verdict;
  /** The edge's strongest reasons for it. */
  reasons: string[];
}

export interface Evaluation {
  kinds: Record<(typeof SCORED_KINDS)[number] | 'all', KindQuality>;
  /** Recall per scenario role of malicious indicators (why a kind's recall is what it is). */
  roles: Record<string, { total: number; malicious: number; severe: number }>;
  falsePositives: FalsePositive[];
  /** Benign signed or system software answered `malicious`: must stay empty. */
  convictedSignedSoftware: FalsePositive[];
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

function quality(entries: { label: string; verdict: string }[], positive: (v: string) => boolean): Quality {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let benign = 0;
  for (const e of entries) {
    const p = positive(e.verdict);
    if (e.label === 'malicious') {
      if (p) tp++;
      else fn++;
    } else {
      benign++;
      if (p) fp++;
    }
  }
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), falsePositiveRate: ratio(fp, benign) };
}

const emptyCounts = (): Record<Verdict | 'invalid', number> => ({ malicious: 0, suspicious: 0, clean: 0, unknown: 0, invalid: 0 });

/** Scores the edge's answers (one per scored truth entry, same order) against the truth. */
export function evaluate(truth: readonly TruthEntry[], answers: readonly EdgeAnswer[]): Evaluation {
  const rows = truth.map((t, i) => ({ ...t, verdict: answers[i]?.verdict ?? 'unknown', reasons: answers[i]?.reasons ?? [] }));
  const kinds = {} as Evaluation['kinds'];
  for (const kind of [...SCORED_KINDS, 'all'] as const) {
    const mine = rows.filter((r) => kind === 'all' || r.kind === kind);
    const verdicts = { malicious: emptyCounts(), benign: emptyCounts() };
    for (const r of mine) verdicts[r.label][r.verdict] += 1;
    kinds[kind] = {
      malicious: mine.filter((r) => r.label === 'malicious').length,
      benign: mine.filter((r) => r.label === 'benign').length,
      strict: quality(mine, (v) => v === 'malicious'),
      severe: quality(mine, (v) => v === 'malicious' || v === 'suspicious'),
      verdicts,
    };
  }
  const roles: Evaluation['roles'] = {};
  for (const r of rows) {
    if (r.label !== 'malicious') continue;
    const id = `${r.kind}/${r.role}`;
    const entry = (roles[id] ??= { total: 0, malicious: 0, severe: 0 });
    entry.total += 1;
    if (r.verdict === 'malicious') entry.malicious += 1;
    if (r.verdict === 'malicious' || r.verdict === 'suspicious') entry.severe += 1;
  }
  const falsePositives = rows
    .filter((r) => r.label === 'benign' && (r.verdict === 'malicious' || r.verdict === 'suspicious'))
    .map((r) => ({ kind: r.kind, value: r.value, role: r.role, verdict: r.verdict as Verdict, reasons: r.reasons }));
  return {
    kinds,
    roles,
    falsePositives,
    convictedSignedSoftware: falsePositives.filter((f) => f.verdict === 'malicious' && (f.role === 'signed-software' || f.role === 'system-software')),
  };
}
