import type { LookupKind, Verdict } from '@repute/core';
import type { PublicKeyInput } from './public-key.ts';

export type { LookupKind, Verdict } from '@repute/core';

/** An indicator to look up: its kind and the value as the caller has it (canonicalised by the client). */
export interface IndicatorInput {
  kind: LookupKind;
  value: string;
}

/** One rule that contributed to a verdict, with its evidence count. */
export interface AnswerReason {
  rule: string;
  weight: number;
  evidence?: number;
  detail?: string;
}

/** The record that decided an answer (the hash, URL expression, domain, parent, IP or network). */
export interface AnswerMatch {
  kind: string;
  value: string;
  /** exact, alias, expression, domain, parent, network or ip. */
  role: string;
}

/** A tenant overlay (allow or block list entry) that decided an answer. */
export interface AnswerOverlay {
  list: string;
  kind: string;
  value: string;
  note?: string;
}

/** Where an answer came from. */
export type AnswerSource =
  /** The service answered this lookup. */
  | 'service'
  /** The local cache answered within the TTL the service gave. */
  | 'cache'
  /** The local filter proved that no record exists. */
  | 'filter'
  /** A hash-prefix search matched full digests locally. */
  | 'prefix'
  /** The service could not be reached and nothing local could answer. */
  | 'offline';

/**
 * Whether an answer is final: `confirmed` answers come from the service, a fresh cache entry or a
 * definite filter negative; `pending` answers were given while the service was unreachable and
 * are re-checked in the background (see {@link ClientOptions.offline}).
 */
export type AnswerStatus = 'confirmed' | 'pending';

/** A reputation answer. `unknown` is an answer, not an error. */
export interface Answer {
  kind: LookupKind;
  /** The canonical form of the indicator asked about. */
  value: string;
  verdict: Verdict;
  score?: number;
  confidence?: number;
  categories: string[];
  /** ISO 8601, or null without a record. */
  firstSeen: string | null;
  lastSeen: string | null;
  /** Counts across tenants; for what fewer than k tenants saw, only that (k-anonymity). */
  prevalence?: { sensors: number; tenants: number } | { suppressed: true; fewer_than: number };
  reasons: AnswerReason[];
  matched?: AnswerMatch;
  overlay?: AnswerOverlay;
  /** Seconds this answer may still be cached. */
  ttl: number;
  /** The update-stream position and time the service's answer reflects (absent on local answers). */
  asOf?: { position: string; time: string };
  /** True when the service answered from its cache and filters only (its store was away). */
  degraded: boolean;
  status: AnswerStatus;
  source: AnswerSource;
  /**
   * On pending answers: true when the local filter says a record may exist (treat with suspicion
   * until resolved), false when the filter was not loaded for the kinds involved.
   */
  filterMatch?: boolean;
}

/** A batch item the client or the service could not parse as an indicator of its kind. */
export interface InvalidItem {
  status: 'invalid';
  kind: string;
  /** The value as given. */
  value: string;
  /** A stable code such as `REPUTE_INDICATOR_INVALID_URL`. */
  code: string;
  reason: string;
}

/** One result of {@link ReputeClient.lookupMany}, in the order of the input. */
export type BatchResult = Answer | InvalidItem;

/** An indicator answered `pending` that the client re-checks once the service is back. */
export interface PendingItem {
  kind: LookupKind;
  /** Canonical value. */
  value: string;
  /** Re-checked the way it was asked: `private` items only ever send digest prefixes. */
  mode: 'full' | 'private';
  /** When the item first went pending (ms since the epoch). */
  since: number;
}

/** Counters since the client was created (see {@link ReputeClient.stats}). */
export interface ClientStats {
  /** Indicators looked up (each batch item counts). */
  lookups: number;
  /** Lookups answered `unknown` by a definite local filter negative: requests never sent. */
  savedByFilter: number;
  /** Lookups answered from the local cache within the answer's TTL. */
  cacheHits: number;
  /** Indicators sent to the service (full lookups and prefix searches). */
  remote: number;
  /** Items currently waiting for the service to confirm them. */
  pending: number;
}

/** Per-kind state of the local filter. */
export interface FilterStatus {
  kind: LookupKind;
  /** Update-stream position the filter is current to. */
  position: string;
  /** Digests in the filter (snapshot count plus additions applied). */
  entries: number;
  /** When the filter last caught up with the service (ms since the epoch). */
  syncedAt: number;
}

/** Options of the local filter (the agent filter). */
export interface FilterOptions {
  /**
   * Kinds to download. A URL lookup also consults its host's domain (or IP) records, so it is
   * answered locally only when the `domain` (or `ip`) filter is loaded as well. Default: all four.
   */
  kinds?: LookupKind[];
  /** How often to pull the updates after the filter's position. Default 30 000 ms; 0 turns the timer off. */
  refreshIntervalMs?: number;
  /**
   * The service's Ed25519 public key, pinned: snapshots signed by any other key are rejected.
   * Accepted as what `GET /v1/filters/public-key` returns (its JSON text, or the parsed
   * document), the SPKI PEM inside it, or a `KeyObject`; anything else makes `createClient`
   * throw `FilterVerificationError` `REPUTE_CLIENT_PUBLIC_KEY_INVALID`. Without it the key is
   * fetched once from `/v1/filters/public-key` over the same connection, which detects
   * corruption but trusts whoever answers that first request. Pin the key in production.
   */
  publicKey?: PublicKeyInput;
  /** How often to download a fresh snapshot (conditional on its ETag) to drop stale bits. Default 1 h. */
  snapshotIntervalMs?: number;
}

/** Retry policy for requests that failed in a way worth retrying. */
export interface RetryOptions {
  /** Attempts in all, including the first. Default 3. */
  attempts?: number;
  /** Back-off of the first retry; doubles per retry, with full jitter. Default 100 ms. */
  baseDelayMs?: number;
  /**
   * Longest the client waits before one retry. A `Retry-After` longer than this is not waited
   * out: the call fails (or goes pending offline) at once, and later calls until then do not
   * reach the service. Default 5 000 ms.
   */
  maxDelayMs?: number;
}

/** Options of the offline mode. */
export interface OfflineOptions {
  /** How often to re-check pending items while the service is away. Default 5 000 ms. */
  probeIntervalMs?: number;
  /** Most items kept pending; further ones still answer `pending` but are not re-checked. Default 10 000. */
  maxPending?: number;
  /** Called once per pending item when the service confirms it. */
  onResolved?: (item: PendingItem, answer: Answer) => void;
}

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The service's base URL, such as `https://repute.example` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An API key with the `lookup` scope. */
  apiKey: string;
  /** The fetch implementation. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout. Default 5 000 ms. */
  timeoutMs?: number;
  /** Answer cache: `false` turns it off. Default `{ maxEntries: 10 000 }`. */
  cache?: { maxEntries?: number } | false;
  /** The local filter: omitted or `false`, every lookup that misses the cache asks the service. */
  filters?: FilterOptions | false;
  retry?: RetryOptions;
  /**
   * Offline mode: when the service cannot be reached (network errors, timeouts, 5xx or 429
   * after the retries), answer from the filter and cache, mark the rest `pending`, and re-check
   * them in the background. Omitted or `false`: such calls throw {@link ReputeUnavailableError}.
   */
  offline?: OfflineOptions | boolean;
}
