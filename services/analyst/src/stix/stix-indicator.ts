import { createHash, randomUUID } from 'node:crypto';
import type { FeedItem } from '../queries/feed-queries.ts';

/** The STIX 2.1 indicator SDO fields this service emits. */
export interface StixIndicator {
  type: 'indicator';
  spec_version: '2.1';
  id: string;
  created: string;
  modified: string;
  name: string;
  indicator_types: string[];
  pattern: string;
  pattern_type: 'stix';
  pattern_version: '2.1';
  valid_from: string;
  confidence?: number;
  revoked?: boolean;
}

// Fixed namespace so an indicator keeps its STIX id across feeds, TAXII pages and restarts.
const NAMESPACE = Buffer.from('6f0c1c5e8a4b4d2f9a1e3b7c5d9e0f12', 'hex');

/** RFC 9562 UUIDv5 (SHA-1, namespaced): a stable id from a stable name. */
export function uuidV5(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A STIX pattern string literal: backslash and quote escaped (STIX 2.1 §9.2). */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The STIX pattern matching one indicator. */
export function stixPattern(kind: string, value: string): string {
  switch (kind) {
    case 'file': return `[file:hashes.'SHA-256' = ${literal(value)}]`;
    case 'url': return `[url:value = ${literal(value)}]`;
    case 'domain': return `[domain-name:value = ${literal(value)}]`;
    case 'ip': return `[${value.includes(':') ? 'ipv6-addr' : 'ipv4-addr'}:value = ${literal(value)}]`;
    case 'email': return `[email-addr:value = ${literal(value)}]`;
    default: throw new Error(`no STIX pattern for kind ${kind}`);
  }
}

/** STIX timestamps carry milliseconds and a Z (RFC 3339, UTC). */
export const stixTime = (ms: number): string => new Date(ms).toISOString();

export function stixIndicatorId(kind: string, digest: string): string {
  return `indicator--${uuidV5(`${kind}:${digest}`)}`;
}

/** The SDO of a feed item; its `modified` is the latest verdict change. */
export function toStixIndicator(item: FeedItem): StixIndicator {
  const created = item.created > 0 ? item.created : item.modified;
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: stixIndicatorId(item.kind, item.digest),
    created: stixTime(created),
    modified: stixTime(Math.max(created, item.modified)),
    name: `${item.kind} ${item.value}`.slice(0, 256),
    indicator_types: ['malicious-activity'],
    pattern: stixPattern(item.kind, item.value),
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: stixTime(created),
    confidence: Math.max(0, Math.min(100, Math.round(item.score))),
    ...(item.revoked ? { revoked: true } : {}),
  };
}

export function stixBundle(objects: StixIndicator[]): { type: 'bundle'; id: string; objects: StixIndicator[] } {
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects };
}
