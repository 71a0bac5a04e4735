import type { IndicatorSource } from './indicator-pool.ts';

/** Indicator kinds the simulation labels (the edge serves all but `email`). */
export type TruthKind = 'file' | 'url' | 'domain' | 'ip' | 'email';

/** What an indicator is, as the simulation knows it. */
export interface TruthEntry {
  kind: TruthKind;
  value: string;
  label: 'malicious' | 'benign';
  /** Campaign id for malicious indicators. */
  campaign?: string;
  /** Its part in the scenario: `payload`, `download-url`, `c2-ip`, `signed-software`, ... */
  role: string;
  /** Other parts it plays besides `role` (a poisoned page is also a `popular-url`), when any. */
  tags?: string[];
}

/** A campaign as the report shows it. */
export interface CampaignInfo {
  id: string;
  family: string;
  /** `download`, `maldoc`, `attachment` or `phishing`. */
  vector: string;
  /** The indicator whose conviction times the campaign: its primary file (the phishing URL for phishing). */
  primary: { kind: 'file' | 'url'; value: string };
  /** Virtual time of its first event, epoch ms. */
  start: number;
  /** Virtual time of its last event, epoch ms: the campaign is active from `start` to `end`. */
  end: number;
  /** Hosts it reached. */
  victims: number;
  tenants: number;
}

/** A file as a sensor reports it (telemetry schema v1). */
export interface SimFileRef {
  sha256: string;
  name: string;
  size?: number;
  signer?: string;
}

/** A telemetry event, schema v1, as the simulator sends it (time as epoch ms). */
export interface SensorEvent {
  v: 1;
  id: string;
  time: number;
  sensor: string;
  host: string;
  type: 'file_seen' | 'process_start' | 'url_visit' | 'dns_resolve' | 'net_conn' | 'email_received' | 'detection' | 'sandbox_report';
  file?: SimFileRef;
  url?: string;
  domain?: string;
  ip?: string;
  port?: number;
  sender?: string;
  relations?: {
    downloadedFrom?: string;
    parentFile?: SimFileRef;
    resolvedIps?: string[];
    carriedUrls?: string[];
    attachments?: SimFileRef[];
  };
  verdict?: { engine: string; name?: string; category: 'malicious' | 'suspicious' | 'pua' | 'clean' | 'unknown' };
}

/** One event of the stream, with the tenant whose key sends it. */
export interface SimEvent {
  tenant: string;
  /** Campaign whose activity this is (absent for benign traffic). */
  campaign?: string;
  event: SensorEvent;
}

/** A generated scenario: the event stream in virtual-time order and its ground truth. */
export interface Scenario {
  seed: number;
  window: { start: number; end: number };
  tenants: string[];
  sensors: number;
  events: SimEvent[];
  truth: TruthEntry[];
  campaigns: CampaignInfo[];
  /** Where indicator values came from (`lists`, `shipped` or `generated`: see IndicatorSource). */
  indicatorSource: IndicatorSource;
  /** The tenant whose key sends the poisoning events, when the scenario has one. */
  attacker?: string;
}
