import type { VerdictBasis } from '../records/list-lookup.ts';

/** An encoded answer, kept with what it was decided from. */
export interface CachedAnswer {
  /** The response as first sent, with ID 0 and RD and CD clear. */
  bytes: Buffer;
  rcode: number;
  /** The records' part of the decision; null for answers that depend on the configuration only. */
  basis: VerdictBasis | null;
}

const RD = 0x01; // in the flags' high byte
const CD = 0x10; // in the flags' low byte

/**
 * Encoded answers by question key. Decoding a query and encoding its answer cost more than the
 * rest of an in-process answer together, and resolvers ask the same names again as their TTLs
 * run out. An entry is only ever served after its basis is checked against the records, so it
 * needs no invalidation of its own: a changed record fails the check and the answer is decided
 * again. Eviction is by insertion order, as in the key cache.
 */
export class AnswerCache {
  private readonly maxEntries: number;
  private readonly entries = new Map<string, CachedAnswer>();

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): CachedAnswer | undefined {
    return this.entries.get(id);
  }

  drop(id: string): void {
    this.entries.delete(id);
  }

  /** Keeps an answer just sent to `query`, when its question section is the query's own. */
  set(id: string, query: Buffer, questionEnd: number, response: Buffer, rcode: number, basis: VerdictBasis | null): void {
    if (this.maxEntries === 0) return;
    if (response.length < questionEnd || response.compare(query, 12, questionEnd, 12, questionEnd) !== 0) return;
    if (!this.entries.has(id) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const bytes = Buffer.from(response);
    bytes.writeUInt16BE(0, 0);
    bytes[2]! &= ~RD;
    bytes[3]! &= ~CD;
    this.entries.set(id, { bytes, rcode, basis });
  }
}

/** A cached answer addressed to `query`: its ID, its RD and CD, and its question in its own case. */
export function replay(answer: CachedAnswer, query: Buffer, questionEnd: number): Buffer {
  const out = Buffer.allocUnsafe(answer.bytes.length);
  answer.bytes.copy(out);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2]! |= query[2]! & RD;
  out[3]! |= query[3]! & CD;
  query.copy(out, 12, 12, questionEnd);
  return out;
}
