import type { SimEvent } from './types.ts';

/** Verdicts the edge answers. */
export type Verdict = 'malicious' | 'suspicious' | 'clean' | 'unknown';

/** One answer of the edge's batch API, reduced to what the evaluation needs. */
export interface EdgeAnswer {
  status: string;
  verdict: Verdict | 'invalid';
  /** The strongest reasons (`rule` or `rule: detail`), for explaining false positives. */
  reasons: string[];
  /** The record that decided when it is not the indicator's own (`parent domain example.com`). */
  matched?: string;
  /** The posterior probability of `malicious` in percent, when the answer gives one. */
  score?: number;
  /** The weights of `reasons`, in the same order (decibans; 0 for guards and caps). */
  weights?: number[];
}

/** Thrown when the system answers something no retry can fix. */
export class SimulatorHttpError extends Error {
  readonly code = 'REPUTE_SIMULATOR_HTTP';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** The first rejections, as ingest explained them. */
  rejections: { id?: string; reason: string; field: string; detail: string }[];
}

const RETRIABLE = new Set([429, 502, 503, 504]);

async function waitFor(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Talks to a Repute deployment through its public HTTP APIs only. */
export class ReputeHttp {
  readonly base: string;
  readonly ingestBase: string;
  readonly lookupKey: string;
  readonly #keyOf: (tenant: string) => string;

  constructor(base: string, ingestBase: string, lookupKey: string, keyOf: (tenant: string) => string) {
    this.base = base.replace(/\/+$/, '');
    this.ingestBase = ingestBase.replace(/\/+$/, '');
    this.lookupKey = lookupKey;
    this.#keyOf = keyOf;
  }

  /**
   * Posts one tenant's events as NDJSON. A 429 or 503 is retried after its Retry-After with
   * the same events and ids (ingest's at-least-once contract: the correlator deduplicates).
   */
  async send(tenant: string, events: readonly SimEvent[]): Promise<IngestResult> {
    let body = '';
    for (const e of events) body += `${JSON.stringify(e.event)}\n`;
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${this.ingestBase}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${this.#keyOf(tenant)}` },
        body,
      });
      const text = await res.text();
      if (res.status === 202) {
        const answer = JSON.parse(text) as IngestResult;
        return { accepted: answer.accepted, rejected: answer.rejected, rejections: answer.rejections.slice(0, 5) };
      }
      if (!RETRIABLE.has(res.status) || attempt >= 20) throw new SimulatorHttpError(res.status, `ingest answered ${res.status}: ${text.slice(0, 300)}`);
      const after = Number(res.headers.get('retry-after') ?? '1');
      await waitFor(Math.min(30, Number.isFinite(after) && after > 0 ? after : 1) * 1000);
    }
  }

  /** Looks indicators up through POST /v1/reputation/batch, 1000 at a time, answers in order, with their `maxReasons` strongest reasons. */
  async lookup(items: readonly { kind: string; value: string }[], maxReasons = 3): Promise<EdgeAnswer[]> {
    const out: EdgeAnswer[] = [];
    for (let i = 0; i < items.length; i += 1000) {
      const chunk = items.slice(i, i + 1000).map((x) => ({ kind: x.kind, value: x.value }));
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${this.base}/v1/reputation/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.lookupKey}` },
          body: JSON.stringify({ indicators: chunk }),
        });
        const text = await res.text();
        if (res.status === 200) {
          const answer = JSON.parse(text) as { results: { status: string; verdict?: string; score?: number; reasons?: { rule: string; detail?: string; weight?: number }[]; matched?: { kind: string; value: string; role: string } }[] };
          for (const r of answer.results) {
            const m = r.matched;
            out.push({
              status: r.status,
              verdict: r.status === 'invalid' ? 'invalid' : ((r.verdict ?? 'unknown') as Verdict),
              reasons: (r.reasons ?? []).slice(0, maxReasons).map((x) => (x.detail !== undefined ? `${x.rule}: ${x.detail}` : x.rule)),
              ...(r.score !== undefined ? { score: r.score } : {}),
              ...(r.reasons !== undefined ? { weights: r.reasons.slice(0, maxReasons).map((x) => x.weight ?? 0) } : {}),
              ...(m !== undefined && m.role !== 'exact' ? { matched: `${m.role} ${m.kind} ${m.value}` } : {}),
            });
          }
          break;
        }
        if (!RETRIABLE.has(res.status) || attempt >= 20) throw new SimulatorHttpError(res.status, `edge answered ${res.status}: ${text.slice(0, 300)}`);
        await waitFor(Number(res.headers.get('retry-after') ?? '1') * 1000);
      }
    }
    return out;
  }
}

export { waitFor };
