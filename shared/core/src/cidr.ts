import { IndicatorError } from './indicator-error.ts';
import { formatIpBytes, maskBytes } from './ip.ts';
import { embeddedIpv4, ipv6Bytes, parseIpv6 } from './ipv6.ts';

/** A parsed CIDR block: `network` is the address with host bits cleared, `cidr` the whole text. */
export interface Cidr {
  version: 4 | 6;
  network: string;
  prefix: number;
  cidr: string;
}

function invalid(raw: string, problem: string): IndicatorError {
  return new IndicatorError('REPUTE_INDICATOR_INVALID_IP', problem, raw, { kind: 'ip' });
}

// CIDR notation reads IPv4 the way routing tools do (inet_net_pton): decimal parts, missing
// trailing parts are zero, so `10/8` is 10.0.0.0/8. The browser reading (`10` = 0.0.0.10)
// would silently turn such a block into a different one.
function parseCidrIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.length === 0 || part.length > 3 || !/^[0-9]+$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

/**
 * Parses a CIDR block (`10.0.0.0/8`, `2001:db8::/32`), clearing host bits
 * (`192.168.1.77/24` → `192.168.1.0/24`). Without a `/prefix` it is a single address (/32,
 * /128). IPv4-mapped and NAT64 blocks of /96 or longer become the IPv4 block they carry.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_IP`.
 */
export function parseCidr(raw: string): Cidr {
  if (typeof raw !== 'string') throw invalid(String(raw), 'CIDR block is not a string');
  const text = raw.trim();
  if (text.length === 0 || text.length > 128) throw invalid(raw, 'CIDR block is empty or too long');
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  let prefix = -1;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(prefixText)) throw invalid(raw, 'CIDR prefix length is not a number');
    prefix = Number(prefixText);
  }
  let bytes: Uint8Array;
  if (addressText.includes(':')) {
    const pieces = parseIpv6(addressText);
    if (pieces === null) throw invalid(raw, 'CIDR block does not start with an IPv6 address');
    if (prefix === -1) prefix = 128;
    if (prefix > 128) throw invalid(raw, 'IPv6 prefix length is above 128');
    const v4 = embeddedIpv4(pieces);
    if (v4 >= 0 && prefix >= 96) {
      bytes = Uint8Array.of((v4 >>> 24) & 255, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255);
      prefix -= 96;
    } else {
      bytes = ipv6Bytes(pieces);
    }
  } else {
    const v4 = parseCidrIpv4(addressText);
    if (v4 === null) throw invalid(raw, 'CIDR block does not start with an IPv4 address');
    if (prefix === -1) prefix = 32;
    if (prefix > 32) throw invalid(raw, 'IPv4 prefix length is above 32');
    bytes = v4;
  }
  const network = formatIpBytes(maskBytes(bytes, prefix));
  const version = bytes.length === 4 ? 4 : 6;
  return { version, network, prefix, cidr: `${network}/${prefix}` };
}
