import { createHash, verify, type KeyObject } from 'node:crypto';
import { FilterVerificationError } from './client-error.ts';
import { DigestFilter } from './digest-filter.ts';
import type { LookupKind } from './types.ts';

// Snapshot layout (big-endian header, then the bit array as little-endian 32-bit words):
//   0  "RPBF"            4  u16 format version   6  u8 kind   7  u8 k
//   8  u32 m (bits)      12 u32 reserved         16 u64 count
//   24 u64 stream ms     32 u64 stream seq       40 32 B SHA-256 of the bit array
//   72 64 B Ed25519 signature over bytes 0..71 (the header, which binds the bits by their hash)
const HEADER_BYTES = 136;
const FORMAT_VERSION = 1;
const KIND_CODES: Record<LookupKind, number> = { file: 1, url: 2, domain: 3, ip: 4 };

/** A verified snapshot. */
export interface VerifiedSnapshot {
  kind: LookupKind;
  /** Update-stream position the snapshot covers: apply the updates after it. */
  position: string;
  filter: DigestFilter;
}

/**
 * Decodes a snapshot of `kind` and verifies it: the format, the kind (a validly signed snapshot
 * of another kind must not be swapped in), the bits against their hash and the header against
 * its Ed25519 signature.
 * @throws {FilterVerificationError} on any mismatch.
 */
export function verifySnapshot(bytes: Uint8Array, kind: LookupKind, publicKey: KeyObject): VerifiedSnapshot {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 4) !== 'RPBF') {
    throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', 'not a filter snapshot');
  }
  const version = buf.readUInt16BE(4);
  if (version !== FORMAT_VERSION) throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', `snapshot format ${version} is not supported`);
  if (buf.readUInt8(6) !== KIND_CODES[kind]) throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', `snapshot is not of kind ${kind}`);
  const signature = buf.subarray(72, HEADER_BYTES);
  if (!verify(null, buf.subarray(0, 72), publicKey, signature)) {
    throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_SIGNATURE', `${kind} snapshot signature does not verify against the public key`);
  }
  const k = buf.readUInt8(7);
  const m = buf.readUInt32BE(8);
  const bitBytes = buf.subarray(HEADER_BYTES);
  if (bitBytes.length !== Math.ceil(m / 32) * 4) throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', 'snapshot size does not match its header');
  if (!createHash('sha256').update(bitBytes).digest().equals(buf.subarray(40, 72))) {
    throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_CORRUPT', `${kind} snapshot bits do not match their signed hash`);
  }
  // An aligned copy the filter owns: response bodies may be slices of a pooled buffer.
  const words = new Uint32Array(bitBytes.length / 4);
  Buffer.from(words.buffer).set(bitBytes);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) swapWords(words);
  try {
    return { kind, position: `${buf.readBigUInt64BE(24)}-${buf.readBigUInt64BE(32)}`, filter: new DigestFilter(m, k, words, Number(buf.readBigUInt64BE(16))) };
  } catch (err) {
    throw new FilterVerificationError('REPUTE_CLIENT_SNAPSHOT_INVALID', (err as Error).message);
  }
}

// The wire format is little-endian words; a big-endian host reads them swapped.
function swapWords(words: Uint32Array): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    words[i] = (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
  }
}
