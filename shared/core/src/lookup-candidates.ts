import { canonicalizeUrl } from './canonicalize-url.ts';
import { canonicalizeDomain, registrableDomain } from './domain.ts';
import { parseFileHash } from './file-hash.ts';
import { IndicatorError } from './indicator-error.ts';
import { ipNetwork, parseIp } from './ip.ts';
import { ALIAS_KEY_PREFIX, digestOf, sha256, uncheckedRecordKey } from './keys.ts';
import { assertIpIndicator, parseIndicator } from './parse-indicator.ts';
import { expressionAnswersFor, expressionsOfCanonical } from './url-expressions.ts';

/** The kinds a lookup answers for. */
export type LookupKind = 'file' | 'url' | 'domain' | 'ip';

/** Every {@link LookupKind}, in a stable order (e-mail addresses are kept, not looked up). */
export const LOOKUP_KINDS: readonly LookupKind[] = Object.freeze(['file', 'url', 'domain', 'ip']);

/** Why a record is consulted for a lookup. */
export type CandidateRole = 'exact' | 'alias' | 'expression' | 'domain' | 'parent' | 'network' | 'ip';

/** One record that may decide a lookup. */
export interface LookupCandidate {
  kind: LookupKind;
  digest: Buffer;
  /** The canonical value the record is keyed by (hash, URL expression, domain, IP or CIDR). */
  label: string;
  role: CandidateRole;
  /** Set on the MD5/SHA-1 pointer candidate: it names a SHA-256 record rather than holding one. */
  alias?: 'md5' | 'sha1';
}

/** A canonicalised indicator and every record that may decide it, in the order they rank. */
export interface LookupCandidates {
  kind: LookupKind;
  value: string;
  candidates: LookupCandidate[];
  /** The address bytes of an IP lookup or of a URL on an IP host, for range matching. */
  ipBytes?: Uint8Array;
}

/**
 * The Redis key a candidate is read from: its record, or for the MD5/SHA-1 pointer its alias
 * key. Candidates come from {@link lookupCandidates}, whose digests and hashes are already
 * checked, so the key is spelled without checking them again (this runs per candidate on the
 * edge's lookup path).
 */
export function candidateKey(c: LookupCandidate): string {
  return c.alias !== undefined ? `${ALIAS_KEY_PREFIX}${c.alias}:${c.label}` : uncheckedRecordKey(c.kind, c.digest.toString('hex'));
}

const MAX_PARENTS = 8;

/**
 * The domain and its parents up to (and including) its registrable domain: a record for
 * `evil.example` convicts `a.b.evil.example`; public suffixes are never consulted.
 */
export function domainChain(domain: string): string[] {
  const chain = [domain];
  let registrable: string | null;
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

function addDomains(chain: string[], out: LookupCandidate[], firstRole: CandidateRole): void {
  chain.forEach((d, i) => { out.push({ kind: 'domain', digest: sha256(d), label: d, role: i === 0 ? firstRole : 'parent' }); });
}

function addIp(address: string, out: LookupCandidate[]): Uint8Array {
  const ip = parseIp(address);
  out.push({ kind: 'ip', digest: sha256(ip.address), label: ip.address, role: out.length === 0 ? 'exact' : 'ip' });
  const network = ipNetwork(ip.address);
  out.push({ kind: 'ip', digest: sha256(network), label: network, role: 'network' });
  return ip.bytes;
}

// Safe Browsing canonical hosts are dotted-quad IPv4 or bracketed IPv6.
function hostIsIp(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * Canonicalises an indicator and lists the records that may decide it, as the edge consults
 * them and as an agent's filter must probe them: a URL's Safe Browsing expressions and its host
 * (domain chain, or IP and network), a domain's parents up to the registrable domain, an IP's
 * /24 or /64 network, an MD5/SHA-1's pointer to a SHA-256 record and its own record.
 * @throws {IndicatorError} when the value cannot be an indicator of that kind.
 */
export function lookupCandidates(kind: LookupKind, raw: string): LookupCandidates {
  const candidates: LookupCandidate[] = [];
  switch (kind) {
    case 'file': {
      const { algorithm, hex } = parseFileHash(raw);
      if (algorithm === 'sha256') candidates.push({ kind, digest: Buffer.from(hex, 'hex'), label: hex, role: 'exact' });
      else {
        // Two records may decide an MD5/SHA-1, both under the alias digest (one filter probe
        // rules out both, one MGET reads both): the pointer to a SHA-256 record, and the hash's
        // own record, written when a list gave no SHA-256. The pointer comes first so that on
        // equal verdicts the SHA-256 record is the one shown; the worse verdict wins.
        const digest = digestOf('file', hex);
        candidates.push({ kind, digest, label: hex, role: 'alias', alias: algorithm });
        candidates.push({ kind, digest, label: hex, role: 'exact' });
      }
      return { kind, value: hex, candidates };
    }
    case 'url': {
      const value = canonicalizeUrl(raw);
      const expressions = expressionsOfCanonical(value);
      // A host root other than the URL's own page is no candidate (expressionAnswersFor).
      expressions.forEach((e, i) => {
        if (i === 0 || expressionAnswersFor(e, expressions[0]!)) candidates.push({ kind: 'url', digest: sha256(e), label: e, role: i === 0 ? 'exact' : 'expression' });
      });
      const first = expressions[0] ?? '';
      const slash = first.indexOf('/');
      const host = slash === -1 ? first : first.slice(0, slash);
      let ipBytes: Uint8Array | undefined;
      if (hostIsIp(host)) {
        try {
          ipBytes = addIp(host.replace(/^\[|\]$/g, ''), candidates);
        } catch {
          // Not an address records are keyed by: the expressions still apply.
        }
      } else {
        try {
          addDomains(domainChain(canonicalizeDomain(host)), candidates, 'domain');
        } catch {
          // A valid URL host that is not a domain name (rare): the expressions still apply.
        }
      }
      return { kind, value, candidates, ...(ipBytes !== undefined ? { ipBytes } : {}) };
    }
    case 'domain': {
      const value = canonicalizeDomain(raw);
      addDomains(domainChain(value), candidates, 'exact');
      return { kind, value, candidates };
    }
    case 'ip': {
      if (raw.includes('/')) {
        const block = parseIndicator('ip', raw);
        candidates.push({ kind: 'ip', digest: block.digest, label: block.value, role: 'exact' });
        return { kind, value: block.value, candidates };
      }
      assertIpIndicator(raw);
      const ipBytes = addIp(raw, candidates);
      return { kind, value: candidates[0]!.label, candidates, ipBytes };
    }
  }
  // Reached only from untyped callers.
  throw new IndicatorError('REPUTE_INDICATOR_UNKNOWN_KIND', 'indicator kind must be file, url, domain or ip', String(kind));
}
