import { createHash } from 'node:crypto';
import type { IndicatorKind } from './indicator-kind.ts';

/*
 * The filter snapshot the service signs and the SDK verifies (a wire contract, so one layout):
 * a big-endian header, then the filter's bit array as little-endian 32-bit words.
 *   0  "RPBF"            4  u16 format version   6  u8 kind   7  u8 k
 *   8  u32 m (bits)      12 u32 reserved         16 u64 count
 *   24 u64 stream ms     32 u64 stream seq       40 32 B SHA-256 of the bit array
 *   72 64 B Ed25519 signature over bytes 0..71 (the header, which binds the bits by their hash)
 * Only the layout is here: signing, verifying and what each side calls a bad snapshot stay
 * with the side (the SDK checks the signature before it hashes the bits; the server, reading
 * its own snapshots, checks the hash first and the signature only when given a key).
 */

/** Version written in, and required of, every snapshot. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** Bytes before the bit array. */
export const SNAPSHOT_HEADER_BYTES = 136;
/** Bytes the signature covers (the header up to the signature). */
export const SNAPSHOT_SIGNED_BYTES = 72;

const MAGIC = 'RPBF';
const KIND_CODES: Readonly<Record<IndicatorKind, number>> = Object.freeze({ file: 1, url: 2, domain: 3, ip: 4, email: 5 });
const KINDS_BY_CODE: ReadonlyMap<number, IndicatorKind> = new Map(Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as IndicatorKind]));

// Typed arrays use the host's byte order; the wire's words are little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What a snapshot header says. */
export interface SnapshotFields {
  kind: IndicatorKind;
  /** Probes per digest. */
  k: number;
  /** Bits. */
  m: number;
  /** Digests the filter holds. */
  count: number;
  /** Update-stream position (`<ms>-<seq>`) the snapshot covers. */
  position: string;
}

/** A snapshot split into its parts, nothing checked but the magic and the header length. */
export interface SnapshotParts {
  version: number;
  /** The kind code as written. */
  kindCode: number;
  /** Undefined when the code names no kind. */
  kind: IndicatorKind | undefined;
  k: number;
  m: number;
  count: number;
  position: string;
  /** The SHA-256 of the bit array the header claims. */
  contentHash: Buffer;
  /** The bytes the signature covers. */
  signed: Buffer;
  signature: Buffer;
  /** The bit array as sent (little-endian words). */
  bits: Buffer;
}

/** The code a kind is written as in the header. */
export function snapshotKindCode(kind: IndicatorKind): number {
  return KIND_CODES[kind];
}

/** Bytes the bit array of an `m`-bit filter takes. */
export function snapshotBitBytes(m: number): number {
  return Math.ceil(m / 32) * 4;
}

/** SHA-256 of a bit array as sent, which the header carries and the signature binds. */
export function snapshotContentHash(bits: Uint8Array): Buffer {
  return createHash('sha256').update(bits).digest();
}

/**
 * Lays out a snapshot of the filter words `words`, the signature bytes left for the caller to
 * fill with a signature over the first {@link SNAPSHOT_SIGNED_BYTES}.
 * @throws {SyntaxError} when the position is not `<ms>-<seq>` digits.
 */
export function layOutSnapshot(fields: SnapshotFields, words: Uint32Array): Buffer {
  const bits = wireBits(words);
  const out = Buffer.allocUnsafe(SNAPSHOT_HEADER_BYTES + bits.length);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt16BE(SNAPSHOT_FORMAT_VERSION, 4);
  out.writeUInt8(KIND_CODES[fields.kind], 6);
  out.writeUInt8(fields.k, 7);
  out.writeUInt32BE(fields.m, 8);
  out.writeUInt32BE(0, 12);
  out.writeBigUInt64BE(BigInt(fields.count), 16);
  const [ms = '0', seq = '0'] = fields.position.split('-');
  out.writeBigUInt64BE(BigInt(ms), 24);
  out.writeBigUInt64BE(BigInt(seq), 32);
  snapshotContentHash(bits).copy(out, 40);
  out.fill(0, SNAPSHOT_SIGNED_BYTES, SNAPSHOT_HEADER_BYTES);
  bits.copy(out, SNAPSHOT_HEADER_BYTES);
  return out;
}

/** Splits a snapshot into its parts; null when it is too short or does not start with the magic. */
export function readSnapshot(bytes: Uint8Array): SnapshotParts | null {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < SNAPSHOT_HEADER_BYTES || buf.toString('latin1', 0, 4) !== MAGIC) return null;
  const kindCode = buf.readUInt8(6);
  return {
    version: buf.readUInt16BE(4),
    kindCode,
    kind: KINDS_BY_CODE.get(kindCode),
    k: buf.readUInt8(7),
    m: buf.readUInt32BE(8),
    count: Number(buf.readBigUInt64BE(16)),
    position: `${buf.readBigUInt64BE(24)}-${buf.readBigUInt64BE(32)}`,
    contentHash: buf.subarray(40, SNAPSHOT_SIGNED_BYTES),
    signed: buf.subarray(0, SNAPSHOT_SIGNED_BYTES),
    signature: buf.subarray(SNAPSHOT_SIGNED_BYTES, SNAPSHOT_HEADER_BYTES),
    bits: buf.subarray(SNAPSHOT_HEADER_BYTES),
  };
}

/**
 * The filter words of a bit array as sent, in an aligned copy the filter owns (response bodies
 * and Redis replies may be slices of a pooled buffer), in host order.
 */
export function snapshotWords(bits: Uint8Array): Uint32Array {
  const words = new Uint32Array(Math.floor(bits.length / 4));
  new Uint8Array(words.buffer).set(bits.subarray(0, words.length * 4));
  if (!LITTLE_ENDIAN) swapWords(words);
  return words;
}

// The filter's words as little-endian bytes: a view on a little-endian host, a copy otherwise.
function wireBits(words: Uint32Array): Buffer {
  const view = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  if (LITTLE_ENDIAN) return view;
  const copy = new Uint32Array(words);
  swapWords(copy);
  return Buffer.from(copy.buffer);
}

function swapWords(words: Uint32Array): void {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    words[i] = (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
  }
}
