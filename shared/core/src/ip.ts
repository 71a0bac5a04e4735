import { IndicatorError } from './indicator-error.ts';
import { formatIpv4, ipv4Bytes, parseIpv4 } from './ipv4.ts';
import { embeddedIpv4, formatIpv6, ipv6Bytes, parseIpv6 } from './ipv6.ts';

/** A parsed IP address: its version, canonical text and network-order bytes. */
export interface IpAddress {
  version: 4 | 6;
  address: string;
  bytes: Uint8Array;
}

// Longer than any textual IPv6 address with a zone id worth keeping.
const MAX_IP_TEXT = 128;

function invalid(raw: string, problem: string): IndicatorError {
  return new IndicatorError('REPUTE_INDICATOR_INVALID_IP', problem, raw, { kind: 'ip' });
}

/**
 * Parses an IP address in any form a browser accepts: IPv4 as one to four decimal, octal or
 * hex parts (`3279880203`, `0300.0250.0.1`, `0xc0.0xa8.0.1`, `192.168.1`), IPv6 compressed or
 * expanded, bracketed or not, with a zone id (dropped). IPv4-mapped (`::ffff:1.2.3.4`) and
 * NAT64 (`64:ff9b::1.2.3.4`) addresses become the IPv4 address they carry. The address is
 * dotted-quad for IPv4 and RFC 5952 text for IPv6.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_IP`.
 */
export function parseIp(raw: string): IpAddress {
  if (typeof raw !== 'string') throw invalid(String(raw), 'IP address is not a string');
  let text = raw.trim();
  if (text.length === 0) throw invalid(raw, 'IP address is empty');
  if (text.length > MAX_IP_TEXT) throw new IndicatorError('REPUTE_INDICATOR_TOO_LONG', 'IP address is too long', raw, { kind: 'ip' });
  const bracketed = text.charCodeAt(0) === 91;
  if (bracketed) {
    if (text.charCodeAt(text.length - 1) !== 93) throw invalid(raw, 'IP address has an unclosed bracket');
    text = text.slice(1, -1);
  }
  if (bracketed || text.includes(':')) {
    const zone = text.indexOf('%');
    if (zone !== -1) {
      if (zone === text.length - 1) throw invalid(raw, 'IPv6 zone id is empty');
      text = text.slice(0, zone);
    }
    const pieces = parseIpv6(text);
    if (pieces === null) throw invalid(raw, 'not an IPv6 address');
    return fromIpv6(pieces);
  }
  const v4 = parseIpv4(text);
  if (v4 < 0) throw invalid(raw, 'not an IP address');
  return { version: 4, address: formatIpv4(v4), bytes: ipv4Bytes(v4) };
}

/** IPv6 pieces as an {@link IpAddress}, unwrapping IPv4-mapped and NAT64 addresses. */
export function fromIpv6(pieces: Uint16Array): IpAddress {
  const v4 = embeddedIpv4(pieces);
  if (v4 >= 0) return { version: 4, address: formatIpv4(v4), bytes: ipv4Bytes(v4) };
  return { version: 6, address: formatIpv6(pieces), bytes: ipv6Bytes(pieces) };
}

/** Canonical text of network-order bytes (4 or 16 of them), without unwrapping. */
export function formatIpBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const pieces = new Uint16Array(8);
  for (let i = 0; i < 8; i++) pieces[i] = (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!;
  return formatIpv6(pieces);
}

/** Zeroes every bit after the first `prefix` bits, in place. */
export function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const keep = prefix - i * 8;
    if (keep >= 8) continue;
    bytes[i] = keep <= 0 ? 0 : bytes[i]! & (0xff << (8 - keep));
  }
  return bytes;
}

/**
 * The network an address belongs to for network reputation, as CIDR text: /24 for IPv4 and
 * /64 for IPv6 unless `prefix` says otherwise (`198.51.100.7` → `198.51.100.0/24`).
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_IP`.
 */
export function ipNetwork(address: string, prefix?: number): string {
  const ip = parseIp(address);
  const max = ip.version === 4 ? 32 : 128;
  const bits = prefix ?? (ip.version === 4 ? 24 : 64);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw invalid(address, `network prefix must be an integer from 0 to ${max}`);
  return `${formatIpBytes(maskBytes(ip.bytes.slice(), bits))}/${bits}`;
}
