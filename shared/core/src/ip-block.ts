import { parseCidr } from './cidr.ts';
import { parseIp } from './ip.ts';

/**
 * A CIDR block as bytes to match addresses against. Tenant overlays hold such blocks; the
 * service matches them on every IP lookup and the SDK on the blocks it is sent, and the two
 * must agree on which addresses a block covers.
 */
export interface IpBlock {
  /** Network-order bytes of the network address (4 or 16). */
  bytes: Uint8Array;
  prefix: number;
}

/**
 * Reads a CIDR block as {@link parseCidr} does (IPv4-mapped and NAT64 blocks become the IPv4
 * block they carry, so they match the addresses `parseIp` returns).
 * @throws {IndicatorError} `REPUTE_INDICATOR_INVALID_IP`.
 */
export function parseIpBlock(cidr: string): IpBlock {
  const c = parseCidr(cidr);
  return { bytes: parseIp(c.network).bytes, prefix: c.prefix };
}

/** True when an address (bytes from `parseIp`) lies in the block; never across IP versions. */
export function inIpBlock(address: Uint8Array, block: IpBlock): boolean {
  const network = block.bytes;
  if (network.length !== address.length) return false;
  let bits = block.prefix;
  for (let i = 0; i < network.length && bits > 0; i++) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i]! & mask) !== (network[i]! & mask)) return false;
    bits -= 8;
  }
  return true;
}
