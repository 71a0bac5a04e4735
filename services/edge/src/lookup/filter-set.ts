import type { IndicatorKind } from '@repute/core';
import type { DigestFilter, FilterSnapshot } from '@repute/store';

/** The snapshot served to agents for one kind. */
export interface ServedSnapshot {
  bytes: Buffer;
  position: string;
  contentHash: string;
  signature: string;
}

/**
 * The edge's bloom filters, one per kind. A kind without a loaded filter answers "maybe" for
 * everything, so lookups fall through to Redis: the filter only ever saves round trips.
 */
export class FilterSet {
  private readonly filters = new Map<IndicatorKind, DigestFilter>();
  private readonly served = new Map<IndicatorKind, ServedSnapshot>();
  private readonly removed = new Map<IndicatorKind, number>();

  /** Installs a loaded or rebuilt snapshot (its bytes are what agents download). */
  install(snapshot: FilterSnapshot): void {
    this.filters.set(snapshot.kind, snapshot.filter);
    this.served.set(snapshot.kind, { bytes: snapshot.bytes, position: snapshot.position, contentHash: snapshot.contentHash, signature: snapshot.signature });
    this.removed.set(snapshot.kind, 0);
  }

  loaded(kind: IndicatorKind): boolean {
    return this.filters.has(kind);
  }

  /** False only when the digest certainly has no record. */
  mightHave(kind: IndicatorKind, digest: Uint8Array): boolean {
    const filter = this.filters.get(kind);
    return filter === undefined || filter.has(digest);
  }

  add(kind: IndicatorKind, digest: Uint8Array): void {
    this.filters.get(kind)?.add(digest);
  }

  /** Counts a removal: its bits stay set until the next rebuild. */
  noteRemoval(kind: IndicatorKind): void {
    this.removed.set(kind, (this.removed.get(kind) ?? 0) + 1);
  }

  /** Share of a kind's entries that were removed since its snapshot. */
  staleRatio(kind: IndicatorKind): number {
    const filter = this.filters.get(kind);
    if (filter === undefined || filter.count === 0) return 0;
    return (this.removed.get(kind) ?? 0) / filter.count;
  }

  snapshot(kind: IndicatorKind): ServedSnapshot | undefined {
    return this.served.get(kind);
  }

  filter(kind: IndicatorKind): DigestFilter | undefined {
    return this.filters.get(kind);
  }
}
