import { isIP } from 'node:net';
import { digestAndKey, type IndicatorKind } from '@repute/core';
import type { TelemetryEnvelope } from '@repute/telemetry';
import type { TelemetryRow } from '@repute/analytics';
import type { SourceClass, WordCategory } from '@repute/verdicts';

/** An indicator an event mentions, with the relations it carries from this event. */
export interface Mention {
  role: string;
  kind: IndicatorKind;
  value: string;
  digest: string;
  key: string;
  relations: { rel: string; kind: IndicatorKind; value: string; digest: string }[];
  /** The event's detection is about it too (the subject, and the page behind a subject URL's query). */
  detected?: true;
}

/** What the correlator takes from one event. */
export interface Observation {
  eventId: string;
  tenant: string;
  sensor: string;
  host: string;
  time: number;
  receivedAt: number;
  type: string;
  /** The first mention is the event's subject. */
  mentions: Mention[];
  detection?: { source: SourceClass; engine: string; category: WordCategory; name: string };
  signed: boolean;
  /** What the sensor reported of the event's own file (the subject when there is one). */
  file?: { name: string; size: number; signer: string };
  /** Sent with a key the operator marked trusted (its own sandboxes, a vendor feed). */
  trusted: boolean;
  /** Set once the state script has applied it to an indicator; left unset, it was a replay. */
  applied?: boolean;
  /** Set when the state script refused its values for an indicator (see observe-script.ts): why. */
  refused?: string;
}

/** Digests and keys already computed, by `<kind>:<value>` (a URL's costs a parse and canonicalisation). */
export type DigestCache = Map<string, { digest: string; key: string }>;

function digestKey(kind: IndicatorKind, value: string, cache?: DigestCache): { digest: string; key: string } {
  // A file hash is its own digest: looking it up would cost more than computing it.
  if (cache === undefined || kind === 'file') return digestAndKey(kind, value);
  const id = `${kind}:${value}`;
  let known = cache.get(id);
  if (known === undefined) {
    known = digestAndKey(kind, value);
    cache.set(id, known);
  }
  return known;
}

/** The host of a URL as an indicator: a domain, or an IP (brackets of an IPv6 literal removed). */
export function hostOf(url: string): { kind: IndicatorKind; value: string } | undefined {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (host === '') return undefined;
    return { kind: isIP(host) !== 0 ? 'ip' : 'domain', value: host };
  } catch {
    return undefined;
  }
}

/**
 * The page a URL with a query string shows (`https://site/login` for `https://site/login?e=…`), or
 * undefined without a query. Per-recipient tokens and tracking parameters make every lure a URL
 * of its own; a verdict on one of them is a verdict on the page they all open, which a lookup
 * of any of them reaches through its Safe Browsing expressions.
 */
export function pageOf(url: string): string | undefined {
  const q = url.indexOf('?');
  return q < 0 ? undefined : url.slice(0, q);
}

/**
 * The class of source a verdict comes from, by the event that carries it: a sandbox report, a
 * web filter's verdict on a visit, a mail gateway's on a message, a DNS firewall's on a
 * resolution, an IPS's on a connection; anything else is an endpoint engine's.
 */
const SOURCE_OF_TYPE: Partial<Record<string, SourceClass>> = {
  sandbox_report: 'sandbox',
  url_visit: 'webfilter',
  email_received: 'mailgw',
  dns_resolve: 'dnsfw',
  net_conn: 'ips',
};

/**
 * The indicators of an event and how they relate: file ← URL (downloaded_from), URL → host
 * (hosted_on), domain → IP (resolves_to), file/URL → sender (sent_by), file → parent file
 * (parent), file → IP or domain it connected to (connected_to). Values are canonical already
 * (ingest canonicalised them); digests follow `@repute/core`. A detection of a URL with a query
 * also names its page (`pageOf`) when `tokenised` says the query there is a token, not the
 * content's name.
 */
export function observe(envelope: TelemetryEnvelope, cache?: DigestCache, tokenised: (url: string) => boolean = () => true): Observation {
  const e = envelope.event;
  // An event names a handful of indicators: a scan of an array costs less than a map per event.
  const mentions: Mention[] = [];
  const mention = (role: string, kind: IndicatorKind, value: string): Mention => {
    const { digest, key } = digestKey(kind, value, cache);
    let m = mentions.find((x) => x.key === key);
    if (m === undefined) {
      m = { role, kind, value, digest, key, relations: [] };
      mentions.push(m);
    }
    return m;
  };
  const relate = (from: Mention, rel: string, kind: IndicatorKind, value: string) => {
    const to = mention(rel, kind, value);
    if (to.key !== from.key && !from.relations.some((r) => r.rel === rel && r.digest === to.digest)) {
      from.relations.push({ rel, kind, value, digest: to.digest });
    }
    return to;
  };
  const withHost = (url: Mention) => {
    const host = hostOf(url.value);
    if (host !== undefined) relate(url, 'hosted_on', host.kind, host.value);
  };

  const file = e.file === undefined ? undefined : mention('subject', 'file', e.file.sha256);
  const url = e.url === undefined ? undefined : mention(file ? 'url' : 'subject', 'url', e.url);
  const domain = e.domain === undefined ? undefined : mention(file || url ? 'domain' : 'subject', 'domain', e.domain);
  const ip = e.ip === undefined ? undefined : mention(file || url || domain ? 'ip' : 'subject', 'ip', e.ip);
  const sender = e.sender === undefined ? undefined : mention(file || url || domain || ip ? 'sender' : 'subject', 'email', e.sender);

  if (url !== undefined) withHost(url);
  const subject = mentions[0];
  if (subject !== undefined) subject.detected = true;
  // A detection of a URL with a query is a detection of its page as well: two tenants' sandboxes
  // detonating two recipients' tokens of one phishing page are two witnesses of that page.
  if (e.verdict !== undefined && subject?.kind === 'url') {
    const page = pageOf(subject.value);
    if (page !== undefined && tokenised(subject.value)) {
      const m = mention('page', 'url', page);
      m.detected = true;
      withHost(m);
    }
  }
  if (file !== undefined) {
    if (e.relations?.downloadedFrom !== undefined) withHost(relate(file, 'downloaded_from', 'url', e.relations.downloadedFrom));
    if (e.relations?.parentFile !== undefined) relate(file, 'parent', 'file', e.relations.parentFile.sha256);
    if (url !== undefined && e.relations?.downloadedFrom === undefined) relate(file, 'downloaded_from', 'url', url.value);
    if (ip !== undefined) relate(file, 'connected_to', 'ip', ip.value);
    if (domain !== undefined) relate(file, 'connected_to', 'domain', domain.value);
    if (sender !== undefined) relate(file, 'sent_by', 'email', sender.value);
  }
  if (domain !== undefined) {
    for (const address of e.relations?.resolvedIps ?? []) relate(domain, 'resolves_to', 'ip', address);
    if (ip !== undefined && file === undefined) relate(domain, 'resolves_to', 'ip', ip.value);
  }
  for (const carried of e.relations?.carriedUrls ?? []) {
    const u = mention('carried_url', 'url', carried);
    withHost(u);
    if (sender !== undefined) relate(u, 'sent_by', 'email', sender.value);
  }
  for (const attachment of e.relations?.attachments ?? []) {
    const f = mention('attachment', 'file', attachment.sha256);
    if (sender !== undefined) relate(f, 'sent_by', 'email', sender.value);
  }

  const v = e.verdict;
  const detection = v === undefined || v.category === 'unknown'
    ? undefined
    : { source: SOURCE_OF_TYPE[e.type] ?? 'engine', engine: v.engine, category: v.category, name: v.name ?? '' };
  return {
    eventId: e.id,
    tenant: envelope.tenant,
    sensor: e.sensor,
    host: e.host,
    time: e.time,
    receivedAt: envelope.receivedAt,
    type: e.type,
    mentions,
    ...(detection !== undefined ? { detection } : {}),
    signed: e.file?.signer !== undefined && e.file.signer !== '',
    ...(e.file !== undefined ? { file: { name: e.file.name ?? '', size: e.file.size ?? 0, signer: e.file.signer ?? '' } } : {}),
    trusted: envelope.trusted === true,
  };
}

/** The `telemetry_raw` rows of an observation: one per indicator it mentions. */
export function telemetryRows(o: Observation): TelemetryRow[] {
  return o.mentions.map((m, i) => {
    const subject = i === 0;
    return {
      event_id: o.eventId,
      tenant: o.tenant,
      sensor: o.sensor,
      host: o.host,
      time: o.time,
      received_at: o.receivedAt,
      event_type: o.type,
      role: subject ? 'subject' : m.role,
      kind: m.kind,
      digest: m.digest,
      value: m.value,
      engines: subject && o.detection !== undefined && o.detection.category !== 'clean' ? [o.detection.engine] : [],
      detection_names: subject && o.detection !== undefined && o.detection.name !== '' ? [o.detection.name] : [],
      sandbox: subject && o.detection?.source === 'sandbox' ? o.detection.category : '',
      verdict_source: subject && o.detection !== undefined ? o.detection.source : '',
      verdict_engine: subject && o.detection !== undefined ? o.detection.engine : '',
      verdict_category: subject && o.detection !== undefined ? o.detection.category : '',
      signed: subject && o.signed ? 1 : 0,
      // The event's own file is its subject: the first mention whenever it names one.
      file_name: subject && o.file !== undefined ? o.file.name : '',
      file_size: subject && o.file !== undefined ? o.file.size : 0,
      file_signer: subject && o.file !== undefined ? o.file.signer : '',
      rel_type: m.relations.map((r) => r.rel),
      rel_kind: m.relations.map((r) => r.kind),
      rel_digest: m.relations.map((r) => r.digest),
      rel_value: m.relations.map((r) => r.value),
    };
  });
}
