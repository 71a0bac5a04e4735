import { canonicalizeDomain, parseFileHash, parseIp } from '@repute/core';
import type { Detected } from './detect-kind.ts';

/**
 * The name a DNS list is asked under for an indicator (RFC 5782): IPv4 octets reversed, IPv6
 * nibbles reversed, a domain as it is, an MD5 or SHA-1 as one label and a SHA-256 as two (its
 * 64 digits exceed a label's 63 octets), followed by the zone. The DNS front end
 * (services/dns, zone/list-name.ts) reads names the other way round.
 * @throws {Error} for kinds no list answers (URLs, e-mail addresses, CIDR blocks).
 */
export function dnsListName(detected: Exclude<Detected, { reason: string }>, zone: string): string {
  const apex = zone.replace(/^\.+|\.+$/g, '');
  switch (detected.kind) {
    case 'ip': {
      if (detected.value.includes('/')) throw new Error('DNS lists answer single addresses, not CIDR blocks');
      const ip = parseIp(detected.value);
      if (ip.version === 4) return `${ip.address.split('.').reverse().join('.')}.${apex}`;
      const hex = Buffer.from(ip.bytes).toString('hex');
      return `${[...hex].reverse().join('.')}.${apex}`;
    }
    case 'domain':
      return `${canonicalizeDomain(detected.value)}.${apex}`;
    case 'file': {
      const { hex, algorithm } = parseFileHash(detected.value);
      return algorithm === 'sha256' ? `${hex.slice(0, 32)}.${hex.slice(32)}.${apex}` : `${hex}.${apex}`;
    }
    default:
      throw new Error(`DNS lists answer IPs, domains and file hashes, not ${detected.kind}s`);
  }
}
