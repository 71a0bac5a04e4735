/** Per-client token buckets. */
export interface RateLimiterOptions {
  /** Tokens per second; 0 turns the limiter off. */
  ratePerSecond: number;
  burst: number;
  /** Buckets kept at most; the oldest are forgotten first (a forgotten client starts full). */
  maxClients?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per source: an IPv4 address, or an IPv6 /64 (one host holds a whole /64, so a
 * per-address bucket would let it rotate through 2^64 of them). The table is bounded: a flood
 * of spoofed sources cannot grow it past `maxClients`.
 */
export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxClients: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions) {
    this.rate = options.ratePerSecond;
    this.burst = options.burst;
    this.maxClients = options.maxClients ?? 100_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes one token for the client; false when it has none left. */
  take(client: Uint8Array | null): boolean {
    if (this.rate === 0 || client === null) return true;
    const id = client.length === 4 ? `${client[0]}.${client[1]}.${client[2]}.${client[3]}` : Buffer.from(client.subarray(0, 8)).toString('hex');
    const now = this.now();
    let bucket = this.buckets.get(id);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxClients) {
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(id, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
