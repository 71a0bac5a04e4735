import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@repute/store';

export type DisputeStatus = 'open' | 'accepted' | 'rejected';

export interface Dispute {
  id: string;
  tenant: string;
  filed_by: string;
  kind: string;
  value: string;
  digest: string;
  requested_verdict: string;
  reason: string;
  verdict_at_filing: string;
  status: DisputeStatus;
  created_at: string;
  resolved_at?: string;
  resolved_by?: string;
  resolver_tenant?: string;
  note?: string;
}

export type NewDispute = Omit<Dispute, 'id' | 'status' | 'created_at'>;

/**
 * Disputes live in Redis: they are few, mutable (open → accepted | rejected) and must be read
 * back at once, which suits a key per dispute better than the append-only analytics tables. A
 * sorted set per tenant (and one for all) lists them by filing time.
 */
export interface DisputeStore {
  create(input: NewDispute): Promise<Dispute>;
  get(id: string): Promise<Dispute | null>;
  list(tenant: string | null, status: DisputeStatus | null, page: { limit: number; offset: number }): Promise<Dispute[]>;
  /** Moves an open dispute to its outcome; null when it was not open any more (someone else resolved it). */
  resolve(id: string, outcome: { status: 'accepted' | 'rejected'; by: string; tenant: string; note: string }): Promise<Dispute | null>;
}

const ID = /^dsp_[0-9a-f]{16}$/;

export function isDisputeId(id: string): boolean {
  return ID.test(id);
}

// Compare-and-set on the status, so two analysts resolving at once cannot both win.
const RESOLVE = `
local current = redis.call('GET', KEYS[1])
if not current then return false end
local d = cjson.decode(current)
if d['status'] ~= 'open' then return false end
d['status'] = ARGV[1]
d['resolved_by'] = ARGV[2]
d['resolver_tenant'] = ARGV[3]
d['note'] = ARGV[4]
d['resolved_at'] = ARGV[5]
local out = cjson.encode(d)
redis.call('SET', KEYS[1], out)
return out`;

export function createDisputeStore(redis: RedisClient, prefix: string): DisputeStore {
  const key = (id: string) => `${prefix}analyst:dispute:${id}`;
  const byTenant = (tenant: string) => `${prefix}analyst:disputes:t:${encodeURIComponent(tenant)}`;
  const all = `${prefix}analyst:disputes:all`;
  const parse = (text: string | null): Dispute | null => (text === null ? null : (JSON.parse(text) as Dispute));

  return {
    async create(input) {
      const dispute: Dispute = { ...input, id: `dsp_${randomBytes(8).toString('hex')}`, status: 'open', created_at: new Date().toISOString() };
      const score = Date.now();
      await redis.set(key(dispute.id), JSON.stringify(dispute));
      await redis.zadd(byTenant(dispute.tenant), score, dispute.id);
      await redis.zadd(all, score, dispute.id);
      return dispute;
    },
    async get(id) {
      return isDisputeId(id) ? parse(await redis.get(key(id))) : null;
    },
    async list(tenant, status, page) {
      const index = tenant === null ? all : byTenant(tenant);
      // Status filtering happens after the read, so read ahead in bounded chunks.
      const out: Dispute[] = [];
      let skipped = 0;
      for (let start = 0; out.length < page.limit; start += 500) {
        const ids = await redis.zrevrange(index, start, start + 499);
        if (ids.length === 0) break;
        const texts = await Promise.all(ids.map((id) => redis.get(key(id))));
        for (const t of texts) {
          const d = parse(t);
          if (d === null || (status !== null && d.status !== status)) continue;
          if (skipped < page.offset) { skipped++; continue; }
          out.push(d);
          if (out.length >= page.limit) break;
        }
        if (start > 50_000) break;
      }
      return out;
    },
    async resolve(id, outcome) {
      const result = await redis.eval(RESOLVE, 1, key(id), outcome.status, outcome.by, outcome.tenant, outcome.note, new Date().toISOString());
      return typeof result === 'string' ? parse(result) : null;
    },
  };
}
