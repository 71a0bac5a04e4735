import { decode, encode, type Answer, type DecodedPacket, type Question } from 'dns-packet';
import { isIndicatorError, parseDnsListLabels, type LookupKind } from '@repute/core';
import type { ClientNetworks } from '../access/client-networks.ts';
import type { RateLimiter } from '../access/rate-limiter.ts';
import type { ListLookup, ListVerdict, VerdictBasis } from '../records/list-lookup.ts';
import type { Zone, ZoneTable } from '../zone/zone-table.ts';
import { replay, type AnswerCache } from './answer-cache.ts';
import { questionKey } from './question-key.ts';
import { CODE_MALICIOUS, CODE_TENANT_BLOCK, categoryCodes, verdictCode } from './return-codes.ts';
import { listedText, splitStrings } from './txt.ts';
import { CLASSIC_UDP_BYTES, HEADER_BYTES, RCODE, headerOnly, markTruncated, responseFlags } from './wire.ts';

/** Who asked, over what. */
export interface QueryClient {
  transport: 'udp' | 'tcp';
  /** Source address bytes (4 or 16), null when unknown. */
  address: Uint8Array | null;
}

/**
 * Answers one DNS message. The contract both transports rely on: it never throws and never
 * rejects; null means send nothing (no header to answer, a response rather than a query, or a
 * client over its limit with the drop action); a UDP answer is never larger than the client
 * may receive (its EDNS size, else 512 bytes), truncated with TC when it would be.
 */
export interface Responder {
  respond(query: Buffer, client: QueryClient): Buffer | null | Promise<Buffer | null>;
}

/** What the responder counts (wired to prom-client by the plugin; bounded labels only). */
export interface ResponderHooks {
  onAnswer(rcode: number, transport: 'udp' | 'tcp'): void;
  onRateLimited(): void;
  onAnswerCacheHit(): void;
  onError(err: Error): void;
}

export interface ResponderOptions {
  zones: ZoneTable;
  networks: ClientNetworks;
  restrictTenantZones: boolean;
  lookup: ListLookup;
  /** Encoded answers to plain queries, re-served while what decided them stands. */
  answers: AnswerCache;
  limiter: RateLimiter;
  rateLimitAction: 'refuse' | 'drop';
  lookupUrl: string;
  defaultTtl: number;
  negativeTtl: number;
  /** Largest UDP answer whatever EDNS size a client offers. */
  maxUdpBytes: number;
  hooks: ResponderHooks;
}

/** Queries longer than this are refused unread: a question and an OPT with room for padding. */
export const MAX_QUERY_BYTES = 1232;

interface Parsed {
  packet: DecodedPacket;
  question: Question;
  /** The client's EDNS payload size (clamped), or null without EDNS. */
  ednsSize: number | null;
  flags: number;
  /**
   * What the records contributed to the answer: null for answers from the configuration alone
   * (refusals, the zone apex, test entries), the verdict's basis, and undefined when the keys
   * read could not be cached (the answer is not kept either).
   */
  basis: VerdictBasis | null | undefined;
  /** The response code of the answer, once made. */
  rcode: number;
}

const OPCODE_QUERY = 0;
// RFC 8482 4.2: a minimal answer to ANY, a synthesized HINFO.
const RFC8482: Answer = { type: 'HINFO', name: '', ttl: 3600, data: { cpu: 'RFC8482', os: '' } };

/** Answers list queries from the tenant's view of the store, refusing everything else. */
export class ListResponder implements Responder {
  private readonly o: ResponderOptions;

  constructor(options: ResponderOptions) {
    this.o = options;
  }

  respond(query: Buffer, client: QueryClient): Buffer | null | Promise<Buffer | null> {
    try {
      const out = this.answer(query, client);
      if (out instanceof Promise) return out.catch((err: unknown) => this.failed(query, client, err));
      return out;
    } catch (err) {
      return this.failed(query, client, err);
    }
  }

  /** SERVFAIL for a query that could not be answered (Redis away): resolvers retry it. */
  private failed(query: Buffer, client: QueryClient, err: unknown): Buffer {
    this.o.hooks.onError(err as Error);
    return this.finish(headerOnly(query, RCODE.SERVFAIL), RCODE.SERVFAIL, client.transport);
  }

  private finish(out: Buffer, rcode: number, transport: 'udp' | 'tcp'): Buffer {
    this.o.hooks.onAnswer(rcode, transport);
    return out;
  }

  private answer(query: Buffer, client: QueryClient): Buffer | null | Promise<Buffer | null> {
    // No header: nothing to address an answer to.
    if (query.length < HEADER_BYTES) return null;
    // A response (QR set) is never answered: two servers would otherwise echo each other.
    if ((query[2]! & 0x80) !== 0) return null;
    if (!this.o.limiter.take(client.address)) {
      this.o.hooks.onRateLimited();
      // REFUSED header-only is smaller than the query: a spoofed flood reflects nothing larger.
      return this.o.rateLimitAction === 'drop' ? null : this.finish(headerOnly(query, RCODE.REFUSED), RCODE.REFUSED, client.transport);
    }
    if (query.length > MAX_QUERY_BYTES) return this.finish(headerOnly(query, RCODE.FORMERR), RCODE.FORMERR, client.transport);
    if (((query.readUInt16BE(2) >> 11) & 0x0f) !== OPCODE_QUERY) return this.finish(headerOnly(query, RCODE.NOTIMP), RCODE.NOTIMP, client.transport);
    const bound = this.o.networks.tenantOf(client.address);
    const key = questionKey(query, client.transport, bound, this.o.maxUdpBytes);
    if (key !== null) {
      const hit = this.o.answers.get(key.id);
      if (hit !== undefined) {
        if (hit.basis === null || this.o.lookup.holds(hit.basis)) {
          this.o.hooks.onAnswerCacheHit();
          return this.finish(replay(hit, query, key.questionEnd), hit.rcode, client.transport);
        }
        this.o.answers.drop(key.id);
      }
    }
    const parsed = this.parse(query);
    if (parsed === null) return this.finish(headerOnly(query, RCODE.FORMERR), RCODE.FORMERR, client.transport);
    const out = this.decide(parsed, client, bound);
    if (key === null) return out;
    const keep = (response: Buffer): Buffer => {
      if (parsed.basis !== undefined) this.o.answers.set(key.id, query, key.questionEnd, response, parsed.rcode, parsed.basis);
      return response;
    };
    return out instanceof Promise ? out.then(keep) : keep(out);
  }

  /** Decodes a query, null when it is malformed (FORMERR). */
  private parse(query: Buffer): Parsed | null {
    let packet: DecodedPacket;
    try {
      packet = decode(query);
    } catch {
      return null;
    }
    // One question and no answers in a query; authority only in an IXFR (its SOA, RFC 1995);
    // at most one OPT, owned by the root (RFC 6891 6.1.1: more than one OPT is FORMERR).
    const questions = packet.questions ?? [];
    if (questions.length !== 1 || (packet.answers?.length ?? 0) > 0) return null;
    if ((packet.authorities?.length ?? 0) > 0 && (questions[0]!.type as string) !== 'IXFR') return null;
    const opts = (packet.additionals ?? []).filter((a) => a.type === 'OPT');
    if (opts.length > 1) return null;
    const opt = opts[0] as (Answer & { name: string; udpPayloadSize: number }) | undefined;
    if (opt !== undefined && opt.name !== '.' && opt.name !== '') return null;
    const ednsSize = opt === undefined ? null : Math.min(Math.max(opt.udpPayloadSize, CLASSIC_UDP_BYTES), this.o.maxUdpBytes);
    return { packet, question: questions[0]!, ednsSize, flags: query.readUInt16BE(2), basis: null, rcode: RCODE.NOERROR };
  }

  private decide(p: Parsed, client: QueryClient, bound: string | undefined): Buffer | Promise<Buffer> {
    const q = p.question;
    const type: string = q.type;
    const opt = (p.packet.additionals ?? []).find((a) => a.type === 'OPT') as { ednsVersion?: number } | undefined;
    if (opt !== undefined && (opt.ednsVersion ?? 0) > 0) return this.reply(p, client, RCODE.BADVERS, [], [], false);
    if (q.class !== 'IN') return this.reply(p, client, RCODE.REFUSED, [], [], false);
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const match = this.o.zones.match(name);
    // Not one of our zones: we do not recurse, whatever RD says (an open resolver amplifies).
    if (match === null) return this.reply(p, client, RCODE.REFUSED, [], [], false);
    const zone = match.zone;
    if (this.o.restrictTenantZones && !zone.public && bound !== zone.tenant) return this.reply(p, client, RCODE.REFUSED, [], [], false);
    // Zone transfers would hand out the whole list (and there is no zone file to transfer).
    if (type === 'AXFR' || type === 'IXFR') return this.reply(p, client, RCODE.REFUSED, [], [], false);
    if (type === 'ANY') return this.reply(p, client, RCODE.NOERROR, [{ ...RFC8482, name: q.name }], [], true);
    if (match.left === '') {
      if (q.type === 'SOA') return this.reply(p, client, RCODE.NOERROR, [this.soa(zone)], [], true);
      return this.reply(p, client, RCODE.NOERROR, [], [this.soa(zone)], true);
    }
    const listName = parseDnsListLabels(match.left);
    if (listName === null) return this.reply(p, client, RCODE.NXDOMAIN, [], [this.soa(zone)], true);
    if (listName.kind === 'test') {
      if (!listName.listed) return this.reply(p, client, RCODE.NXDOMAIN, [], [this.soa(zone)], true);
      return this.listed(p, client, zone, [CODE_MALICIOUS], splitStrings('listed: the RFC 5782 test entry'), this.o.defaultTtl);
    }
    const tenant = zone.public ? bound : zone.tenant;
    let decided: ListVerdict | Promise<ListVerdict>;
    try {
      decided = this.o.lookup.decide(listName.kind, listName.value, tenant);
    } catch (err) {
      if (isIndicatorError(err)) return this.reply(p, client, RCODE.NXDOMAIN, [], [this.soa(zone)], true);
      throw err;
    }
    const kind = listName.kind;
    if (decided instanceof Promise) return decided.then((v) => this.fromVerdict(p, client, zone, kind, v));
    return this.fromVerdict(p, client, zone, kind, decided);
  }

  private fromVerdict(p: Parsed, client: QueryClient, zone: Zone, kind: LookupKind, v: ListVerdict): Buffer {
    p.basis = v.basis ?? undefined;
    const code = verdictCode(v.verdict);
    if (code === null) return this.reply(p, client, RCODE.NXDOMAIN, [], [this.soa(zone)], true);
    const codes = [code];
    if (v.overlay !== null) codes.push(CODE_TENANT_BLOCK);
    else if (v.facts !== null) for (const c of categoryCodes(v.facts.categories)) if (!codes.includes(c)) codes.push(c);
    const ttl = v.facts !== null && v.facts.ttl > 0 ? v.facts.ttl : this.o.defaultTtl;
    return this.listed(p, client, zone, codes, listedText(v, kind, this.o.lookupUrl), ttl);
  }

  private listed(p: Parsed, client: QueryClient, zone: Zone, codes: number[], text: string[], ttl: number): Buffer {
    const name = p.question.name;
    if (p.question.type === 'A') {
      return this.reply(p, client, RCODE.NOERROR, codes.map((c): Answer => ({ type: 'A', name, ttl, data: `127.0.0.${c}` })), [], true);
    }
    if (p.question.type === 'TXT') return this.reply(p, client, RCODE.NOERROR, [{ type: 'TXT', name, ttl, data: text }], [], true);
    // The name exists with other types only: NODATA, with the SOA for negative caching.
    return this.reply(p, client, RCODE.NOERROR, [], [this.soa(zone)], true);
  }

  /** The zone's SOA, synthesized: serials count seconds, as nothing transfers the zone. */
  private soa(zone: Zone): Answer {
    const ttl = this.o.negativeTtl;
    return {
      type: 'SOA', name: zone.apex, ttl,
      data: { mname: zone.apex, rname: `hostmaster.${zone.apex}`, serial: Math.floor(Date.now() / 1000) >>> 0, refresh: 3600, retry: 600, expire: 86_400, minimum: ttl },
    };
  }

  private reply(p: Parsed, client: QueryClient, rcode: number, answers: Answer[], authorities: Answer[], authoritative: boolean): Buffer {
    const additionals: Answer[] = [];
    if (p.ednsSize !== null) {
      // RFC 6891 7: OPT echoed with our own size; extended rcode carries BADVERS's upper bits.
      additionals.push({ type: 'OPT', name: '.', udpPayloadSize: this.o.maxUdpBytes, extendedRcode: rcode >> 4, ednsVersion: 0, flags: 0, options: [] } as unknown as Answer);
    }
    p.rcode = rcode;
    const flags = responseFlags(p.flags, rcode, authoritative);
    const packet = { type: 'response' as const, id: p.packet.id ?? 0, flags, questions: [p.question], answers, authorities, additionals };
    let out = encode(packet);
    const limit = client.transport === 'udp' ? (p.ednsSize ?? CLASSIC_UDP_BYTES) : 65_535;
    if (out.length > limit) {
      // Too large for the client: the question and OPT only, with TC so it retries over TCP.
      out = markTruncated(encode({ ...packet, answers: [], authorities: [] }));
    }
    return this.finish(out, rcode, client.transport);
  }
}
