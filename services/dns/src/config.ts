import { httpConfig, loadConfig, redisConfig, Type, type ConfigProblem, type LoadConfigOptions, type Static } from '@repute/config';
import { ClientNetworks } from './access/client-networks.ts';
import { ZoneTable } from './zone/zone-table.ts';

/**
 * The DNS front end's own variables (DNS_*). The launcher reads these beside its own schema;
 * the standalone server adds the shared HTTP (admin: health and metrics) and Redis fragments.
 */
export const dnsOwnConfigSchema = {
  DNS_HOST: Type.String({ default: '127.0.0.1', description: 'Address the DNS front end listens on (UDP and TCP).' }),
  DNS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 5353, description: 'UDP and TCP port of the DNS front end; 0 turns it off. Port 53 needs CAP_NET_BIND_SERVICE (the chart maps 53 to this port instead).' }),
  DNS_ZONES: Type.String({ default: '', pattern: '^[^\\s]*$', description: 'Tenant list zones, comma-separated `zone=tenant` (e.g. `bl.acme.example=acme`): each zone answers with that tenant’s views and overlay.' }),
  DNS_PUBLIC_ZONE: Type.String({ default: '', description: 'A list zone answering the global view to any client (empty: none). Clients in DNS_CLIENT_NETWORKS get their tenant’s view in it.' }),
  DNS_CLIENT_NETWORKS: Type.String({ default: '', pattern: '^[^\\s]*$', description: 'Client networks bound to tenants, comma-separated `cidr=tenant` (e.g. `10.1.0.0/16=acme`): their queries in the public zone are answered with that tenant’s view.' }),
  DNS_RESTRICT_TENANT_ZONES: Type.Boolean({ default: false, description: 'When true, a tenant’s zone answers only clients in the networks DNS_CLIENT_NETWORKS binds to that tenant (others get REFUSED).' }),
  DNS_LOOKUP_URL: Type.String({ default: 'http://127.0.0.1:8080', description: 'Base URL of the lookup API, quoted in TXT answers (`<base>/v1/reputation/<kind>/<value>`).' }),
  DNS_NEGATIVE_TTL_S: Type.Integer({ minimum: 0, maximum: 86_400, default: 60, description: 'TTL of NXDOMAIN answers (the SOA minimum, RFC 2308).' }),
  DNS_DEFAULT_TTL_S: Type.Integer({ minimum: 0, maximum: 86_400, default: 300, description: 'TTL of listed answers whose record carries none (and of overlay blocks).' }),
  DNS_MAX_UDP_BYTES: Type.Integer({ minimum: 512, maximum: 4096, default: 1232, description: 'Largest UDP answer, whatever the EDNS size a client offers (1232: the DNS Flag Day 2020 size that avoids IP fragmentation).' }),
  DNS_RATE_LIMIT_QPS: Type.Number({ minimum: 0, default: 2000, description: 'Queries per second per client address (IPv6 by /64); 0 turns the limit off.' }),
  DNS_RATE_LIMIT_BURST: Type.Integer({ minimum: 1, default: 4000, description: 'Token-bucket depth per client address: queries above the rate allowed at once.' }),
  DNS_RATE_LIMIT_ACTION: Type.Union([Type.Literal('refuse'), Type.Literal('drop')], { default: 'refuse', description: 'What a client over its limit gets: REFUSED (no larger than its query) or no answer at all.' }),
  DNS_TCP_IDLE_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'A TCP connection idle this long is closed (RFC 7766 suggests seconds, not minutes).' }),
  DNS_TCP_MAX_CONNECTIONS: Type.Integer({ minimum: 1, default: 1024, description: 'Open TCP connections at most; further ones are closed at once.' }),
  DNS_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 0, default: 1_000_000, description: 'Records kept in process, as the DNS answers need them (LRU, invalidated by the update stream); 0 turns the cache off.' }),
  DNS_ANSWER_CACHE_MAX_ENTRIES: Type.Integer({ minimum: 0, default: 500_000, description: 'Encoded answers kept in process by question, each re-served only while the records it was decided from are unchanged; 0 turns it off.' }),
  DNS_REDIS_TIMEOUT_MS: Type.Integer({ minimum: 10, default: 500, description: 'Redis command timeout: past it a query gets SERVFAIL instead of waiting (resolvers retry).' }),
};

/** The standalone DNS service's schema: admin HTTP server, Redis, and its own variables. */
export const dnsConfigSchema = {
  ...httpConfig,
  ...redisConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9053, description: 'TCP port of the admin HTTP server (health and metrics; 0 picks a free one).' }),
  ...dnsOwnConfigSchema,
};

export type DnsOwnConfig = Static<ReturnType<typeof Type.Object<typeof dnsOwnConfigSchema>>>;
export type DnsConfig = Static<ReturnType<typeof Type.Object<typeof dnsConfigSchema>>>;
/** What the DNS plugin needs: its own variables and the Redis connection. */
export type DnsAppConfig = DnsOwnConfig & Pick<DnsConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_KEY_PREFIX' | 'REDIS_PASSWORD'>;

/** Parses the standalone DNS configuration (environment, then REPUTE_CONFIG_FILE), listing every problem at once. */
export function loadDnsConfig(options: LoadConfigOptions<typeof dnsConfigSchema> = {}): DnsConfig {
  return loadConfig(dnsConfigSchema, { ...options, refine: dnsBindingProblems });
}

/** Zone and network bindings that do not parse, each named by its variable (the launcher checks them with its own). */
export function dnsBindingProblems(c: DnsOwnConfig): ConfigProblem[] {
  const zones = ZoneTable.parse(c.DNS_ZONES, c.DNS_PUBLIC_ZONE).problems;
  const networks = ClientNetworks.parse(c.DNS_CLIENT_NETWORKS).problems;
  return [...zones, ...networks];
}

/**
 * Parses only the DNS_* variables from the environment (the launcher's case: it owns the rest
 * of the configuration, and its config file holds variables this schema does not know).
 */
export function loadDnsOwnConfig(env: Record<string, string | undefined>): DnsOwnConfig {
  return loadConfig(dnsOwnConfigSchema, { env, file: '', refine: dnsBindingProblems });
}
