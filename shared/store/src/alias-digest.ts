import { createHash } from 'node:crypto';

/** Digest of an MD5/SHA-1 alias: sha256("<algorithm>:<hex>"), as in contracts.md. */
export function aliasDigest(algorithm: string, hex: string): Buffer {
  return createHash('sha256').update(`${algorithm}:${hex.toLowerCase()}`).digest();
}
