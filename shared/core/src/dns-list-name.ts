import { canonicalizeDomain } from './domain.ts';
import { parseFileHash } from './file-hash.ts';
import { parseIp } from './ip.ts';
import type { LookupKind } from './lookup-candidates.ts';

/**
 * DNS list names (RFC 5782), both ways: the labels an indicator is asked under, left of a list
 * zone's apex, and what such labels ask about. IPv4 is its four octets reversed, IPv6 its 32 hex
 * nibbles reversed, a domain is itself, an MD5 or SHA-1 is one label and a SHA-256 two labels
 * of 32 digits, first half first (its 64 digits exceed the 63-octet label limit of RFC 1035
 * 2.3.4). The DNS front end reads them; the CLI and the benchmarks write them.
 */

/** What the labels left of a zone apex ask about. */
export type DnsListName =
  | { kind: LookupKind; value: string }
  /** RFC 5782 section 5 test entries: always listed, or never. */
  | { kind: 'test'; listed: boolean; value: string };

/** The kinds a DNS list answers for. */
export type DnsListKind = 'ip' | 'domain' | 'file';

const OCTET = /^(0|[1-9]\d{0,2})$/;
const NIBBLE = /^[0-9a-f]$/;
const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40})$/;
const HALF_SHA256 = /^[0-9a-f]{32}$/;

/**
 * The labels (no zone, no trailing dot) an IP address, domain or file hash is asked under.
 * @throws {IndicatorError} when the value is no indicator of the kind.
 */
export function dnsListLabels(kind: DnsListKind, value: string): string {
  switch (kind) {
    case 'ip': {
      const ip = parseIp(value);
      if (ip.version === 4) return ip.address.split('.').reverse().join('.');
      return [...Buffer.from(ip.bytes).toString('hex')].reverse().join('.');
    }
    case 'domain':
      return canonicalizeDomain(value);
    case 'file': {
      const { hex, algorithm } = parseFileHash(value);
      return algorithm === 'sha256' ? `${hex.slice(0, 32)}.${hex.slice(32)}` : hex;
    }
  }
}

/**
 * Reads the labels before the apex (lower case). Null when they can be none of the list
 * spellings (NXDOMAIN).
 */
export function parseDnsListLabels(left: string): DnsListName | null {
  if (left === '') return null;
  const labels = left.split('.');
  if (labels.length === 4 && labels.every((l) => OCTET.test(l) && Number(l) <= 255)) {
    return ipName(`${labels[3]}.${labels[2]}.${labels[1]}.${labels[0]}`);
  }
  if (labels.length === 32 && labels.every((l) => NIBBLE.test(l))) {
    const hex = labels.reverse().join('');
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
    try {
      // ::ffff:7f00:2 and ::ffff:7f00:1 read as the IPv4 test entries (RFC 5782 5).
      return ipName(parseIp(groups.join(':')).address);
    } catch {
      return null;
    }
  }
  if (labels.length === 1 && HASH.test(left)) return { kind: 'file', value: left };
  if (labels.length === 2 && HALF_SHA256.test(labels[0]!) && HALF_SHA256.test(labels[1]!)) return { kind: 'file', value: labels[0]! + labels[1]! };
  // RFC 5782 5: domain lists list "test" and never "invalid".
  if (left === 'test') return { kind: 'test', listed: true, value: left };
  if (left === 'invalid') return { kind: 'test', listed: false, value: left };
  try {
    return { kind: 'domain', value: canonicalizeDomain(left) };
  } catch {
    return null;
  }
}

function ipName(address: string): DnsListName {
  // RFC 5782 5: 127.0.0.2 is always listed and 127.0.0.1 never, so clients can test a list.
  if (address === '127.0.0.2') return { kind: 'test', listed: true, value: address };
  if (address === '127.0.0.1') return { kind: 'test', listed: false, value: address };
  return { kind: 'ip', value: address };
}
