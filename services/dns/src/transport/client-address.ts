import { isIP } from 'node:net';
import { parseIp } from '@repute/core';

/** A socket's remote address as bytes (IPv4-mapped IPv6 as the IPv4 it carries), null when unreadable. */
export function clientAddress(address: string | undefined): Uint8Array | null {
  if (address === undefined || isIP(address) === 0) return null;
  try {
    return parseIp(address).bytes;
  } catch {
    return null;
  }
}
