import { canonicalizeDomain, parseIp, type LookupKind } from '@repute/core';

/** What the labels left of a zone apex ask about. */
export type ListName =
  | { kind: LookupKind; value: string }
  /** RFC 5782 section 5 test entries: always listed, or never. */
  | { kind: 'test'; listed: boolean; value: string };

const OCTET = /^(0|[1-9]\d{0,2})$/;
const NIBBLE = /^[0-9a-f]$/;
const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40})$/;
const HALF_SHA256 = /^[0-9a-f]{32}$/;

/**
 * Reads the labels before the apex (lower case) as RFC 5782 spells them: four decimal octets
 * reversed (IPv4), 32 hex nibbles reversed (IPv6), one label of 32 or 40 hex digits (an MD5
 * or SHA-1) or two labels of 32 (a SHA-256 in order, first half first: its 64 digits exceed
 * the 63-octet label limit of RFC 1035 2.3.4), or else a domain name (domain lists). Null when
 * the name can be none of them (NXDOMAIN).
 */
export function parseListName(left: string): ListName | null {
  if (left === '') return null;
  const labels = left.split('.');
  if (labels.length === 4 && labels.every((l) => OCTET.test(l) && Number(l) <= 255)) {
    const address = `${labels[3]}.${labels[2]}.${labels[1]}.${labels[0]}`;
    // RFC 5782 5: 127.0.0.2 is always listed and 127.0.0.1 never, so clients can test a list.
    if (address === '127.0.0.2') return { kind: 'test', listed: true, value: address };
    if (address === '127.0.0.1') return { kind: 'test', listed: false, value: address };
    return { kind: 'ip', value: address };
  }
  if (labels.length === 32 && labels.every((l) => NIBBLE.test(l))) {
    const hex = labels.reverse().join('');
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
    let address: string;
    try {
      address = parseIp(groups.join(':')).address;
    } catch {
      return null;
    }
    // ::ffff:7f00:2 and ::ffff:7f00:1 are the IPv6 spellings of the test entries (RFC 5782 5).
    if (address === '127.0.0.2') return { kind: 'test', listed: true, value: address };
    if (address === '127.0.0.1') return { kind: 'test', listed: false, value: address };
    return { kind: 'ip', value: address };
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
