import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<boolean | { ok: boolean; detail?: string }> | boolean;

export interface Readiness {
  /** Registers a dependency this process cannot serve without. */
  add(name: string, check: ReadinessCheck): void;
  /** Marks the process as stopping: /readyz answers 503 from now on. */
  markShuttingDown(): void;
  readonly shuttingDown: boolean;
  /** Runs every check (each bounded in time) and reports them. */
  evaluate(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> }>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
    readiness: Readiness;
  }
}

export interface ObservabilityOptions {
  /** Process-wide labels on every metric (service name, for example). */
  defaultLabels?: Record<string, string>;
  /** Bound of each readiness check. */
  checkTimeoutMs?: number;
}

function createReadiness(timeoutMs: number): Readiness {
  const checks = new Map<string, ReadinessCheck>();
  let shuttingDown = false;
  const runOne = async (check: ReadinessCheck): Promise<{ ok: boolean; detail?: string }> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
      });
      const result = await Promise.race([Promise.resolve(check()), timeout]);
      return typeof result === 'boolean' ? { ok: result } : result;
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    add: (name, check) => { checks.set(name, check); },
    markShuttingDown: () => { shuttingDown = true; },
    get shuttingDown() { return shuttingDown; },
    evaluate: async () => {
      const entries = await Promise.all([...checks].map(async ([name, check]) => [name, await runOne(check)] as const));
      const results: Record<string, { ok: boolean; detail?: string }> = Object.fromEntries(entries);
      if (shuttingDown) results['shutdown'] = { ok: false, detail: 'shutting down' };
      return { ready: !shuttingDown && entries.every(([, r]) => r.ok), checks: results };
    },
  };
}

/**
 * One metrics registry per process (prom-client), request latency by route pattern, and the
 * operations endpoints: /metrics, /healthz (shallow: the event loop answers) and /readyz
 * (every registered dependency check, and not shutting down). Registered once per process;
 * services mounted side by side share it.
 */
async function observabilityPlugin(fastify: FastifyInstance, options: ObservabilityOptions): Promise<void> {
  if (fastify.hasDecorator('metrics')) return;
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels(options.defaultLabels);
  collectDefaultMetrics({ register: registry, prefix: 'repute_process_' });
  const duration = new Histogram({
    name: 'repute_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status class.',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  fastify.decorate('metrics', registry);
  fastify.decorate('readiness', createReadiness(options.checkTimeoutMs ?? 2_000));

  // Label children are cached per (route, method, status class): prom-client hashes the label
  // set on every observe otherwise, which showed up in the edge's per-request profile. The hook
  // takes a callback rather than returning a promise for the same reason.
  const children = new Map<string, ReturnType<typeof duration.labels>>();
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: labels must stay bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode < 200 ? '1xx' : reply.statusCode < 300 ? '2xx' : reply.statusCode < 400 ? '3xx' : reply.statusCode < 500 ? '4xx' : '5xx';
    const key = `${route}\u0000${request.method}\u0000${status}`;
    let child = children.get(key);
    if (child === undefined) {
      child = duration.labels({ route, method: request.method, status });
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });

  fastify.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  fastify.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const { ready, checks } = await fastify.readiness.evaluate();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  fastify.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

export default fp(observabilityPlugin, { name: 'repute-observability', fastify: '5.x' });
