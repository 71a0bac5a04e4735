/** A row of `telemetry_raw`: one per (event, indicator the event mentions). Times are epoch ms. */
export interface TelemetryRow {
  event_id: string;
  tenant: string;
  sensor: string;
  host: string;
  time: number;
  received_at: number;
  event_type: string;
  /** `subject` for the indicator the event is about; otherwise how it was mentioned. */
  role: string;
  kind: string;
  /** Hex SHA-256 digest of the canonical value (the hash itself for files). */
  digest: string;
  value: string;
  engines: string[];
  detection_names: string[];
  sandbox: string;
  signed: number;
  rel_type: string[];
  rel_kind: string[];
  rel_digest: string[];
  rel_value: string[];
}

/** A row of `verdict_log`. */
export interface VerdictLogRow {
  time: number;
  kind: string;
  digest: string;
  value: string;
  verdict: string;
  previous_verdict: string;
  score: number;
  confidence: number;
  source: 'stream' | 'propagation' | 'override';
  /** JSON array of the reasons. */
  reasons: string;
  policy_version: string;
  record_version: number;
}

/** A row of `overrides`. */
export interface OverrideRow {
  time: number;
  kind: string;
  digest: string;
  value: string;
  verdict: string;
  analyst: string;
  tenant: string;
  comment: string;
  active: number;
  version: number;
}
