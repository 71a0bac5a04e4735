import {
  canonicalizeDomain, canonicalizeUrl, digestOf, IndicatorError, ipNetwork, parseFileHash, parseIndicator, parseIp, registrableDomain, sha256, urlExpressions,
} from '@repute/core';
import type { LookupKind } from './types.ts';

/** One record that may decide a lookup, as the service consults it. */
export interface Candidate {
  kind: LookupKind;
  digest: Buffer;
  /** The canonical value the record is keyed by (hash, URL expression, domain, IP or CIDR). */
  label: string;
  role: 'exact' | 'alias' | 'expression' | 'domain' | 'parent' | 'network' | 'ip';
}

/** A canonicalised indicator and every record that may decide it. */
export interface PreparedIndicator {
  kind: LookupKind;
  value: string;
  candidates: Candidate[];
}

const MAX_PARENTS = 8;

// The domain and its parents up to its registrable domain, as the service walks them: a record
// for `evil.example` convicts `a.b.evil.example`; public suffixes are never consulted.
function domainChain(domain: string): string[] {
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

function addDomains(chain: string[], out: Candidate[], firstRole: Candidate['role']): void {
  chain.forEach((d, i) => out.push({ kind: 'domain', digest: sha256(d), label: d, role: i === 0 ? firstRole : 'parent' }));
}

function addIp(address: string, out: Candidate[]): string {
  const ip = parseIp(address);
  out.push({ kind: 'ip', digest: sha256(ip.address), label: ip.address, role: out.length === 0 ? 'exact' : 'ip' });
  const network = ipNetwork(ip.address);
  out.push({ kind: 'ip', digest: sha256(network), label: network, role: 'network' });
  return ip.address;
}

/**
 * Canonicalises an indicator and lists the records the service would consult for it: a URL's
 * Safe Browsing expressions and its host (domain chain or IP and network), a domain's parents
 * up to the registrable domain, an IP's /24 or /64 network.
 * @throws {IndicatorError} when the value cannot be an indicator of that kind.
 */
export function prepareIndicator(kind: LookupKind, raw: string): PreparedIndicator {
  const candidates: Candidate[] = [];
  switch (kind) {
    case 'file': {
      const { algorithm, hex } = parseFileHash(raw);
      candidates.push({ kind, digest: digestOf('file', hex), label: hex, role: algorithm === 'sha256' ? 'exact' : 'alias' });
      return { kind, value: hex, candidates };
    }
    case 'url': {
      const value = canonicalizeUrl(raw);
      const expressions = urlExpressions(value);
      expressions.forEach((e, i) => candidates.push({ kind: 'url', digest: sha256(e), label: e, role: i === 0 ? 'exact' : 'expression' }));
      const first = expressions[0] ?? '';
      const slash = first.indexOf('/');
      const host = slash === -1 ? first : first.slice(0, slash);
      // Safe Browsing canonical hosts are dotted-quad IPv4 or bracketed IPv6.
      if (host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
        try {
          addIp(host.replace(/^\[|\]$/g, ''), candidates);
        } catch {
          // Not an address the service keys by: the expressions still apply.
        }
      } else {
        try {
          addDomains(domainChain(canonicalizeDomain(host)), candidates, 'domain');
        } catch {
          // A valid URL host that is not a domain name: the expressions still apply.
        }
      }
      return { kind, value, candidates };
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
      return { kind, value: addIp(raw, candidates), candidates };
    }
  }
  // Reached only from untyped callers.
  throw new IndicatorError('REPUTE_INDICATOR_UNKNOWN_KIND', 'indicator kind must be file, url, domain or ip', String(kind));
}
