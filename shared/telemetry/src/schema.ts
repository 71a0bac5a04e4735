import Type, { type Static } from 'typebox';

/** The event types a sensor may report. */
export const EVENT_TYPES = [
  'file_seen',
  'process_start',
  'url_visit',
  'dns_resolve',
  'net_conn',
  'email_received',
  'detection',
  'sandbox_report',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

// Bounds are generous for real sensors and small enough that one event can never cost much:
// a URL is capped near the longest that browsers and proxies accept in practice.
const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@/+=-]+$' });
const Hash = (maxLength: number) => Type.String({ minLength: 1, maxLength });
const Url = Type.String({ minLength: 1, maxLength: 4096 });
const Domain = Type.String({ minLength: 1, maxLength: 255 });
const Ip = Type.String({ minLength: 1, maxLength: 64 });
const Email = Type.String({ minLength: 3, maxLength: 320 });

/** A file as the sensor saw it; SHA-256 is its identity, MD5/SHA-1 are aliases. */
export const FileRefSchema = Type.Object(
  {
    sha256: Hash(80),
    md5: Type.Optional(Hash(64)),
    sha1: Type.Optional(Hash(64)),
    name: Type.Optional(Type.String({ maxLength: 1024 })),
    size: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    signer: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

/** How the indicators of one event relate to each other and to others. */
export const RelationsSchema = Type.Object(
  {
    /** The file was downloaded from this URL. */
    downloadedFrom: Type.Optional(Url),
    /** The process was started by this file (the parent process image). */
    parentFile: Type.Optional(FileRefSchema),
    /** The domain resolved to these addresses. */
    resolvedIps: Type.Optional(Type.Array(Ip, { maxItems: 32 })),
    /** The e-mail carried these URLs. */
    carriedUrls: Type.Optional(Type.Array(Url, { maxItems: 64 })),
    /** The e-mail carried these attachments. */
    attachments: Type.Optional(Type.Array(FileRefSchema, { maxItems: 32 })),
  },
  { additionalProperties: false },
);

/** What the sensor's local engine said, when it said something. */
export const LocalVerdictSchema = Type.Object(
  {
    engine: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    category: Type.Union([
      Type.Literal('malicious'),
      Type.Literal('suspicious'),
      Type.Literal('pua'),
      Type.Literal('clean'),
      Type.Literal('unknown'),
    ]),
  },
  { additionalProperties: false },
);

/**
 * Telemetry event, schema v1, as a sensor sends it. The tenant is never part of the body: it
 * comes from the API key.
 */
export const TelemetryEventV1Schema = Type.Object(
  {
    v: Type.Optional(Type.Literal(1)),
    /** Chosen by the client, unique per sensor; downstream deduplicates on it. */
    id: Id,
    sensor: Type.String({ minLength: 1, maxLength: 128 }),
    /** Pseudonymous host identifier. */
    host: Type.String({ minLength: 1, maxLength: 128 }),
    /** ISO 8601 or epoch milliseconds. */
    time: Type.Union([Type.String({ minLength: 10, maxLength: 40 }), Type.Integer({ minimum: 0, maximum: 8.64e15 })]),
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    file: Type.Optional(FileRefSchema),
    url: Type.Optional(Url),
    domain: Type.Optional(Domain),
    ip: Type.Optional(Ip),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    sender: Type.Optional(Email),
    relations: Type.Optional(RelationsSchema),
    verdict: Type.Optional(LocalVerdictSchema),
  },
  { additionalProperties: false },
);

/** An event as received, before canonicalisation. */
export type TelemetryEventInput = Static<typeof TelemetryEventV1Schema>;
export type FileRefInput = Static<typeof FileRefSchema>;
export type LocalVerdict = Static<typeof LocalVerdictSchema>;

/** A file reference after canonicalisation: lowercase hex hashes. */
export interface FileRef {
  sha256: string;
  md5?: string;
  sha1?: string;
  name?: string;
  size?: number;
  signer?: string;
}

/**
 * An event after validation and canonicalisation: every indicator in its canonical form, the
 * time as epoch milliseconds. This is what travels on the bus.
 */
export interface TelemetryEvent {
  v: 1;
  id: string;
  sensor: string;
  host: string;
  time: number;
  type: EventType;
  file?: FileRef;
  url?: string;
  domain?: string;
  ip?: string;
  port?: number;
  sender?: string;
  relations?: {
    downloadedFrom?: string;
    parentFile?: FileRef;
    resolvedIps?: string[];
    carriedUrls?: string[];
    attachments?: FileRef[];
  };
  verdict?: LocalVerdict;
}
