import type { IndicatorKind, ReputationRecord, Verdict } from '@repute/core';
import type { VerdictLogRow } from '@repute/analytics';

/** An indicator by identity: canonical value, digest and record key. */
export interface IndicatorRef {
  kind: IndicatorKind;
  value: string;
  digest: string;
  key: string;
}

/** A written change of an indicator's served verdict. */
export interface VerdictChange {
  ref: IndicatorRef;
  previous: Verdict;
  record: ReputationRecord;
  source: VerdictLogRow['source'];
  /** When the event that decided it was accepted by ingest (stream changes only). */
  receivedAt?: number;
}

/** Re-scores indicators from their stored state and writes what changed. */
export interface Rescorer {
  rescore(refs: IndicatorRef[], source: VerdictLogRow['source']): Promise<VerdictChange[]>;
}
