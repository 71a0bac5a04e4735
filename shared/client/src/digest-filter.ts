/**
 * The reading side of the service's bloom filter over SHA-256 digests (the same probe scheme
 * as `@repute/store`'s DigestFilter, kept here so the SDK carries no Redis client). Digest bits
 * are already uniform, so the first eight probes are the digest's eight little-endian 32-bit
 * words and further probes use double hashing over two of them; positions map to [0, m) by
 * multiply-shift.
 */
export class DigestFilter {
  /** Number of bits. */
  readonly m: number;
  /** Number of probes per digest. */
  readonly k: number;
  /** The bit array. */
  readonly bits: Uint32Array;
  /** Digests added (the snapshot's count plus additions applied since). */
  count: number;

  /**
   * @param m bits, as in the snapshot header
   * @param k probes per digest
   * @param bits the bit array (`ceil(m / 32)` words)
   * @param count digests the snapshot says it holds
   */
  constructor(m: number, k: number, bits: Uint32Array, count: number) {
    if (!Number.isInteger(m) || m < 64 || m > 0xffff_ffff) throw new RangeError(`filter size ${m} bits is out of range`);
    if (!Number.isInteger(k) || k < 1 || k > 32) throw new RangeError(`probe count ${k} is out of range`);
    if (bits.length !== Math.ceil(m / 32)) throw new RangeError(`bit array holds ${bits.length} words, expected ${Math.ceil(m / 32)}`);
    this.m = m;
    this.k = k;
    this.bits = bits;
    this.count = count;
  }

  /** False means the digest was certainly never added; true means it probably was. */
  has(digest: Uint8Array): boolean {
    for (let i = 0; i < this.k; i++) {
      const p = probe(digest, i, this.m);
      if ((this.bits[p >>> 5]! & (1 << (p & 31))) === 0) return false;
    }
    return true;
  }

  /** Adds a 32-byte digest (from the delta updates). */
  add(digest: Uint8Array): void {
    for (let i = 0; i < this.k; i++) {
      const p = probe(digest, i, this.m);
      this.bits[p >>> 5]! |= 1 << (p & 31);
    }
    this.count++;
  }
}

function word(d: Uint8Array, i: number): number {
  const o = (i & 7) << 2;
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

function probe(d: Uint8Array, i: number, m: number): number {
  // Every intermediate stays an unsigned 32-bit integer: a signed step gives false negatives.
  const h = i < 8 ? word(d, i) : (word(d, i) + Math.imul(i, word(d, i + 3) | 1)) >>> 0;
  return Math.floor((h * m) / 4294967296);
}
