import {
  canonicalizeDomain, canonicalizeUrl, ipNetwork, parseFileHash, parseIndicator, parseIp, registrableDomain, sha256, urlExpressions,
  type IndicatorKind,
} from '@repute/core';
import { aliasDigest, type OverlayProbe } from '@repute/store';

/** Why a record is consulted for a lookup. */
export type CandidateRole = 'exact' | 'alias' | 'expression' | 'domain' | 'parent' | 'network' | 'ip';

/** One record that may decide a lookup. */
export interface Candidate {
  kind: IndicatorKind;
  digest: Buffer;
  /** The canonical value the record is keyed by (hash, expression, domain, IP or CIDR). */
  label: string;
  role: CandidateRole;
  /** Set for MD5/SHA-1 lookups: the candidate is an alias resolving to a SHA-256 record. */
  alias?: 'md5' | 'sha1';
}

/** A parsed lookup: the canonical value, the records that may decide it and the overlay probes. */
export interface PreparedLookup {
  kind: IndicatorKind;
  value: string;
  candidates: Candidate[];
  probes: OverlayProbe[];
  ipBytes?: Uint8Array;
}

/** Lookup kinds served by the edge. */
export type LookupKind = 'file' | 'url' | 'domain' | 'ip';

const MAX_PARENTS = 8;

/**
 * The domain and its parents up to (and including) its registrable domain: a record for
 * `evil.example` convicts `a.b.evil.example`; public suffixes are never consulted.
 */
export function domainChain(domain: string): string[] {
  const chain = [domain];
  let registrable: string | null = null;
  try {
    registrable = registrableDomain(domain);
  } catch {
    registrable = null;
  }
  if (registrable === null || registrable === domain || !domain.endsWith(`.${registrable}`)) return chain;
  let current = domain;
  while (current !== registrable && chain.length <= MAX_PARENTS) {
    current = current.slice(current.indexOf('.') + 1);
    chain.push(current);
  }
  return chain;
}

function domainCandidates(chain: string[], out: Candidate[], probes: OverlayProbe[], firstRole: CandidateRole): void {
  chain.forEach((d, i) => {
    out.push({ kind: 'domain', digest: sha256(d), label: d, role: i === 0 ? firstRole : 'parent' });
    probes.push({ kind: 'domain', value: d });
  });
}

function ipCandidates(address: string, out: Candidate[], probes: OverlayProbe[]): Uint8Array {
  const ip = parseIp(address);
  out.push({ kind: 'ip', digest: sha256(ip.address), label: ip.address, role: out.length === 0 ? 'exact' : 'ip' });
  const network = ipNetwork(ip.address);
  out.push({ kind: 'ip', digest: sha256(network), label: network, role: 'network' });
  probes.push({ kind: 'ip', value: ip.address });
  return ip.bytes;
}

// Safe Browsing canonical hosts are dotted-quad IPv4 or bracketed IPv6.
function hostIsIp(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * Parses a raw indicator of a lookup kind into the records that may decide it.
 * @throws {IndicatorError} when the value cannot be an indicator of that kind.
 */
export function prepareLookup(kind: LookupKind, raw: string): PreparedLookup {
  const candidates: Candidate[] = [];
  const probes: OverlayProbe[] = [];
  switch (kind) {
    case 'file': {
      const { algorithm, hex } = parseFileHash(raw);
      if (algorithm === 'sha256') candidates.push({ kind, digest: Buffer.from(hex, 'hex'), label: hex, role: 'exact' });
      else {
        // Two records may decide an MD5/SHA-1, both under the alias digest (so one filter probe
        // rules out both and one MGET reads both): the alias pointing at a SHA-256 record, and
        // the hash's own record, written when a list gave no SHA-256. The pointer comes first so
        // that on equal verdicts the SHA-256 record is the one shown; the worse verdict wins.
        const digest = aliasDigest(algorithm, hex);
        candidates.push({ kind, digest, label: hex, role: 'alias', alias: algorithm });
        candidates.push({ kind, digest, label: hex, role: 'exact' });
      }
      probes.push({ kind: 'file', value: hex });
      return { kind, value: hex, candidates, probes };
    }
    case 'url': {
      const value = canonicalizeUrl(raw);
      const expressions = urlExpressions(value);
      expressions.forEach((e, i) => {
        candidates.push({ kind: 'url', digest: sha256(e), label: e, role: i === 0 ? 'exact' : 'expression' });
        probes.push({ kind: 'url', value: e });
      });
      const first = expressions[0] ?? '';
      const host = first.slice(0, first.indexOf('/') === -1 ? first.length : first.indexOf('/'));
      let ipBytes: Uint8Array | undefined;
      if (hostIsIp(host)) {
        try {
          ipBytes = ipCandidates(host.replace(/^\[|\]$/g, ''), candidates, probes);
        } catch {
          // The URL's host was canonical but not an address we key by: expressions still apply.
        }
      } else {
        try {
          domainCandidates(domainChain(canonicalizeDomain(host)), candidates, probes, 'domain');
        } catch {
          // A host that is a valid URL host but not a domain name (rare): expressions still apply.
        }
      }
      return { kind, value, candidates, probes, ...(ipBytes !== undefined ? { ipBytes } : {}) };
    }
    case 'domain': {
      const value = canonicalizeDomain(raw);
      domainCandidates(domainChain(value), candidates, probes, 'exact');
      return { kind, value, candidates, probes };
    }
    case 'ip': {
      if (raw.includes('/')) {
        const block = parseIndicator('ip', raw);
        candidates.push({ kind: 'ip', digest: block.digest, label: block.value, role: 'exact' });
        probes.push({ kind: 'cidr', value: block.value });
        return { kind, value: block.value, candidates, probes };
      }
      const ipBytes = ipCandidates(raw, candidates, probes);
      return { kind, value: candidates[0]!.label, candidates, probes, ipBytes };
    }
  }
}
