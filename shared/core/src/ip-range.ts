import { parseIp } from './ip.ts';

/** What kind of address space an IP address lies in. */
export type IpRange =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'documentation'
  | 'unspecified'
  | 'broadcast'
  | 'reserved';

type Block = readonly [bytes: readonly number[], prefix: number, range: IpRange];

// Most specific blocks first: the first match wins. Sources: the IANA IPv4 and IPv6
// Special-Purpose Address Registries (RFC 6890 and successors).
const V4_BLOCKS: readonly Block[] = [
  [[0, 0, 0, 0], 32, 'unspecified'],
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[0], 8, 'reserved'], // "this network" (RFC 791)
  [[10], 8, 'private'],
  [[100, 64], 10, 'cgnat'], // RFC 6598
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'link-local'],
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2], 24, 'documentation'], // TEST-NET-1
  [[192, 88, 99], 24, 'reserved'], // deprecated 6to4 relay anycast (RFC 7526)
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'reserved'], // benchmarking (RFC 2544)
  [[198, 51, 100], 24, 'documentation'], // TEST-NET-2
  [[203, 0, 113], 24, 'documentation'], // TEST-NET-3
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'], // future use (RFC 1112)
];

const V6_BLOCKS: readonly Block[] = [
  [[], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'reserved'], // local-use NAT64 (RFC 8215)
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only (RFC 6666)
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'], // RFC 3849
  [[0x20, 0x01, 0x00, 0x00], 23, 'reserved'], // IETF protocol assignments (Teredo, ORCHIDv2, ...)
  [[0x3f, 0xff, 0x00], 20, 'documentation'], // RFC 9637
  [[0x20], 3, 'public'], // global unicast
  [[0xfc], 7, 'private'], // unique local (RFC 4193)
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xff], 8, 'multicast'],
];

function matches(bytes: Uint8Array, block: readonly number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const i = bit >>> 3;
    const take = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i]! ^ (block[i] ?? 0)) & mask) !== 0) return false;
  }
  return true;
}

/**
 * Classifies an address: RFC 1918 and unique-local (fc00::/7) are `private`, 100.64.0.0/10 is
 * `cgnat`, and so on; IPv6 outside the global unicast 2000::/3 and the named blocks is
 * `reserved`. Mapped and NAT64 addresses are classified as the IPv4 address they carry.
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_IP`.
 */
export function ipRange(address: string): IpRange {
  const ip = parseIp(address);
  const blocks = ip.version === 4 ? V4_BLOCKS : V6_BLOCKS;
  for (const [block, prefix, range] of blocks) {
    if (matches(ip.bytes, block, prefix)) return range;
  }
  return ip.version === 4 ? 'public' : 'reserved';
}
