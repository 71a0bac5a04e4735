import { isIndicatorError, parseIndicator, type Indicator, type ReputationRecord, type Verdict } from '@repute/core';
import type { ReputationStore } from '@repute/store';
import { detectKind } from './detect-kind.ts';
import type { ListEntry } from './list-formats.ts';

export type ImportMode = 'allow' | 'deny';

export interface ImportOptions {
  mode: ImportMode;
  /** Named in every record's reason, so a verdict says which list it came from. */
  source: string;
  /** Deny tier when the entry does not carry one. */
  tier: 'malicious' | 'suspicious';
  /** Record keys written earlier in the same run (shared across files to count duplicates). */
  seen: Set<string>;
  /** Writes in flight at once: pipelining on one connection is what makes a large list fast. */
  concurrency?: number;
  onProgress?(done: number): void;
}

export interface ImportRejection {
  line: number;
  value: string;
  reason: string;
}

export interface ImportResult {
  imported: number;
  /** Already written in this run (same indicator in another list or twice in one). */
  duplicates: number;
  /** Records a newer version already held (nothing written). */
  unchanged: number;
  rejected: ImportRejection[];
}

// The edge answers for single addresses and for /24 (IPv4) and /64 (IPv6) networks only.
const NETWORK_PREFIXES = new Set(['/24', '/64']);

let sequence = 0;
// The correlator's version scheme (milliseconds × 1000 + a sequence), so that whichever of an
// import and a correlator decision came later wins.
const nextVersion = (): number => Date.now() * 1000 + (sequence = (sequence + 1) % 1000);

const SCORES: Record<'malicious' | 'suspicious' | 'clean', number> = { malicious: 95, suspicious: 75, clean: 5 };
const TTLS: Record<'malicious' | 'suspicious' | 'clean', number> = { malicious: 3600, suspicious: 600, clean: 3600 };

function recordOf(indicator: Indicator, verdict: 'malicious' | 'suspicious' | 'clean', options: ImportOptions, note: string | undefined): ReputationRecord {
  const now = Date.now();
  const deny = options.mode === 'deny';
  return {
    kind: indicator.kind,
    value: indicator.value,
    verdict,
    score: SCORES[verdict],
    confidence: 0.9,
    categories: [],
    firstSeen: now,
    lastSeen: now,
    prevalence: { sensors: 0, tenants: 0 },
    reasons: [{ rule: deny ? 'list.block' : 'list.allow', weight: deny ? 100 : -100, detail: note !== undefined && note !== '' ? `${options.source}: ${note.slice(0, 200)}` : options.source }],
    version: nextVersion(),
    ttl: TTLS[verdict],
  };
}

/**
 * Writes a list's entries as reputation records through the store's writer (versioned, indexed
 * and announced on the update stream, so running edges see them at once). Deny entries become
 * malicious or suspicious records, allow entries clean ones, each with a reason naming the list.
 * MD5 and SHA-1 entries become aliases of their SHA-256 when the list gives it; alone (most
 * hash deny lists carry nothing else) they become records of their own, keyed by the alias
 * digest sha256("<md5|sha1>:<hex>") that the file filter already holds for MD5/SHA-1 lookups.
 * When a SHA-256 for the hash becomes known later, both records stay and the worse verdict wins.
 */
export async function importEntries(store: ReputationStore, entries: readonly ListEntry[], options: ImportOptions): Promise<ImportResult> {
  const result: ImportResult = { imported: 0, duplicates: 0, unchanged: 0, rejected: [] };
  const concurrency = options.concurrency ?? 2000;
  let inFlight: Promise<void>[] = [];
  let done = 0;
  const reject = (entry: ListEntry, reason: string): void => {
    result.rejected.push({ line: entry.line, value: entry.raw.slice(0, 200), reason });
  };

  for (const entry of entries) {
    done++;
    let indicator: Indicator;
    try {
      const detected = entry.kind !== undefined ? { kind: entry.kind, value: entry.raw.trim() } : detectKind(entry.raw);
      if ('reason' in detected) {
        reject(entry, detected.reason);
        continue;
      }
      indicator = parseIndicator(detected.kind, detected.kind === 'url' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(detected.value) ? `http://${detected.value}` : detected.value);
    } catch (err) {
      if (!isIndicatorError(err)) throw err;
      reject(entry, err.code.replace(/^REPUTE_INDICATOR_/, '').toLowerCase());
      continue;
    }
    if (indicator.kind === 'ip' && indicator.value.includes('/') && !NETWORK_PREFIXES.has(indicator.value.slice(indicator.value.indexOf('/')))) {
      reject(entry, 'network_not_24_or_64');
      continue;
    }
    let alias: { algorithm: 'md5' | 'sha1'; hex: string } | undefined;
    if (indicator.kind === 'file' && indicator.hashAlgorithm !== 'sha256') {
      const target = entry.aliasOf !== undefined ? tryParse(entry.aliasOf) : undefined;
      if (target !== undefined) {
        alias = { algorithm: indicator.hashAlgorithm === 'md5' ? 'md5' : 'sha1', hex: indicator.value };
        indicator = target;
      }
    }
    const seenKey = alias !== undefined ? `alias:${alias.algorithm}:${alias.hex}` : indicator.key;
    if (options.seen.has(seenKey)) {
      result.duplicates++;
      continue;
    }
    options.seen.add(seenKey);
    const verdict: Verdict = options.mode === 'allow' ? 'clean' : entry.tier ?? options.tier;
    const record = recordOf(indicator, verdict as 'malicious' | 'suspicious' | 'clean', options, entry.note);
    const aliasOf = alias;
    inFlight.push((async () => {
      if (aliasOf !== undefined) {
        // The SHA-256 record may come from another row; write it only when it is new to this run.
        if (!options.seen.has(indicator.key)) {
          options.seen.add(indicator.key);
          await store.write(record);
        }
        await store.writeAlias(aliasOf.algorithm, aliasOf.hex, indicator.value);
        result.imported++;
        return;
      }
      const written = await store.write(record);
      if (written.written) result.imported++;
      else result.unchanged++;
    })());
    if (inFlight.length >= concurrency) {
      await Promise.all(inFlight);
      inFlight = [];
      options.onProgress?.(done);
    }
  }
  await Promise.all(inFlight);
  options.onProgress?.(done);
  return result;
}

function tryParse(raw: string): Indicator | undefined {
  try {
    const indicator = parseIndicator('file', raw);
    return indicator.hashAlgorithm === 'sha256' ? indicator : undefined;
  } catch {
    return undefined;
  }
}
