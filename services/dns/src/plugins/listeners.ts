import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ClientNetworks } from '../access/client-networks.ts';
import { RateLimiter } from '../access/rate-limiter.ts';
import { AnswerCache } from '../answer/answer-cache.ts';
import { ListResponder } from '../answer/responder.ts';
import type { DnsAppConfig } from '../config.ts';
import { TcpServer } from '../transport/tcp-server.ts';
import { UdpServer } from '../transport/udp-server.ts';
import { ZoneTable } from '../zone/zone-table.ts';
import { rcodeName } from './metrics.ts';

/** Where the DNS front end listens once the app is ready (port 0 when off). */
export interface DnsListening {
  host: string;
  udpPort: number;
  tcpPort: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    dnsListening: DnsListening;
  }
}

export interface ListenersOptions {
  config: DnsAppConfig;
  /**
   * When the port is taken, log and serve without DNS instead of failing (the one-machine
   * launcher: DNS is one extra beside the HTTP APIs, and 5353 may be another program's).
   */
  optionalBind?: boolean;
}

/** The UDP and TCP listeners, bound when the app is ready and closed first on close. */
async function listenersPlugin(fastify: FastifyInstance, opts: ListenersOptions): Promise<void> {
  const config = opts.config;
  const { table: zones } = ZoneTable.parse(config.DNS_ZONES, config.DNS_PUBLIC_ZONE);
  const { networks } = ClientNetworks.parse(config.DNS_CLIENT_NETWORKS);
  const counts = fastify.dnsMetrics.counts;
  // Counter ids by transport and response code, spelled once rather than per answer.
  const answerIds = {
    udp: Array.from({ length: 17 }, (_, rcode) => `${rcodeName(rcode)}|udp`),
    tcp: Array.from({ length: 17 }, (_, rcode) => `${rcodeName(rcode)}|tcp`),
  };
  const errors = fastify.dnsMetrics.errors;
  const responder = new ListResponder({
    zones,
    networks,
    restrictTenantZones: config.DNS_RESTRICT_TENANT_ZONES,
    lookup: fastify.dnsLookup,
    answers: new AnswerCache(config.DNS_ANSWER_CACHE_MAX_ENTRIES),
    limiter: new RateLimiter({ ratePerSecond: config.DNS_RATE_LIMIT_QPS, burst: config.DNS_RATE_LIMIT_BURST }),
    rateLimitAction: config.DNS_RATE_LIMIT_ACTION,
    lookupUrl: config.DNS_LOOKUP_URL,
    defaultTtl: config.DNS_DEFAULT_TTL_S,
    negativeTtl: config.DNS_NEGATIVE_TTL_S,
    maxUdpBytes: config.DNS_MAX_UDP_BYTES,
    hooks: {
      onAnswer(rcode, transport) {
        const id = answerIds[transport][rcode] ?? `${rcodeName(rcode)}|${transport}`;
        counts.answers.set(id, (counts.answers.get(id) ?? 0) + 1);
      },
      onRateLimited() { counts.rateLimited++; },
      onAnswerCacheHit() { counts.answerCacheHits++; },
      onError(err) {
        errors.inc({ area: 'redis' });
        fastify.log.debug({ err }, 'query failed, answered SERVFAIL');
      },
    },
  });
  const onSocketError = (err: Error): void => {
    errors.inc({ area: 'socket' });
    fastify.log.debug({ err }, 'dns socket error');
  };
  const udp = new UdpServer({ host: config.DNS_HOST, port: config.DNS_PORT, responder, onError: onSocketError });
  const tcp = new TcpServer({ host: config.DNS_HOST, port: config.DNS_PORT, responder, idleMs: config.DNS_TCP_IDLE_MS, maxConnections: config.DNS_TCP_MAX_CONNECTIONS, onError: onSocketError });
  const listening: DnsListening = { host: config.DNS_HOST, udpPort: 0, tcpPort: 0 };
  fastify.decorate('dnsListening', listening);

  fastify.addHook('onReady', async () => {
    if (config.DNS_PORT === 0) return;
    // Without a zone every query would be REFUSED: nothing to serve, and no port to hold (two
    // launchers on one machine would otherwise contend for 5353).
    if (zones.zones.length === 0) {
      fastify.log.info('no DNS zones configured (DNS_PUBLIC_ZONE, DNS_ZONES): the DNS front end is not listening');
      return;
    }
    try {
      listening.udpPort = await udp.listen();
      listening.tcpPort = await tcp.listen();
      fastify.log.info({ host: config.DNS_HOST, port: listening.udpPort, zones: zones.zones.map((z) => z.apex) }, 'dns front end listening');
    } catch (err) {
      await udp.close();
      await tcp.close();
      listening.udpPort = 0;
      listening.tcpPort = 0;
      if (opts.optionalBind !== true) throw err;
      fastify.log.warn({ err, port: config.DNS_PORT }, 'dns port unavailable: serving without the DNS front end');
    }
  });
  fastify.addHook('preClose', async () => {
    await udp.close();
    await tcp.close();
  });
}

export default fp(listenersPlugin, { name: 'repute-dns-listeners', dependencies: ['repute-dns-records'] });
