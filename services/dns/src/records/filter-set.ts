import type { IndicatorKind } from '@repute/core';
import type { DigestFilter } from '@repute/store';

/**
 * The bloom filters the edge stores as signed snapshots, loaded here and kept current from the
 * update stream. A kind without a filter answers "maybe" for everything: the filter only saves
 * Redis reads for names nobody listed, it never decides an answer on its own.
 */
export class FilterSet {
  private readonly filters = new Map<IndicatorKind, DigestFilter>();

  install(kind: IndicatorKind, filter: DigestFilter): void {
    this.filters.set(kind, filter);
  }

  drop(kind: IndicatorKind): void {
    this.filters.delete(kind);
  }

  loaded(kind: IndicatorKind): boolean {
    return this.filters.has(kind);
  }

  /** False only when the digest certainly has no record. */
  mightHave(kind: IndicatorKind, digest: Uint8Array): boolean {
    const filter = this.filters.get(kind);
    return filter === undefined || filter.has(digest);
  }

  addHex(kind: IndicatorKind, hex: string): void {
    this.filters.get(kind)?.addHex(hex);
  }
}
