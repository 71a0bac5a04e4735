/** A limit a run must keep; any one broken fails the run. */
export interface Threshold {
  name: string;
  /** What is compared, in words, for the report. */
  what: string;
  value: number;
  limit: number;
  /** `max`: value must be at most limit; `min`: at least. */
  kind: 'max' | 'min';
}

export interface Verdict extends Threshold { ok: boolean }

export function check(thresholds: Threshold[]): Verdict[] {
  return thresholds.map((t) => ({ ...t, ok: Number.isFinite(t.value) && (t.kind === 'max' ? t.value <= t.limit : t.value >= t.limit) }));
}

export const errorRate = (p: { ok: number; non2xx: number; errors: number }): number => {
  const total = p.ok + p.non2xx + p.errors;
  return total === 0 ? 1 : (p.non2xx + p.errors) / total;
};
