import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import { LatencyHistogram, type HistogramSeries } from './latency-histogram.ts';

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
  const duration = new LatencyHistogram({
    name: 'repute_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern, method and status class.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  registry.registerMetric(duration as unknown as Metric);
  fastify.decorate('metrics', registry);
  fastify.decorate('readiness', createReadiness(options.checkTimeoutMs ?? 2_000));

  // Series are resolved once per (route, method) and indexed by status class, with no string
  // built per request: prom-client's observe() validated and hashed the label set each time
  // even through a cached child. The hook takes a callback rather than returning a promise
  // for the same reason.
  const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
  const byRoute = new Map<string, Map<string, (HistogramSeries | undefined)[]>>();
  const seriesOf = (route: string, method: string, cls: number): HistogramSeries => {
    let byMethod = byRoute.get(route);
    if (byMethod === undefined) byRoute.set(route, (byMethod = new Map()));
    let byClass = byMethod.get(method);
    if (byClass === undefined) byMethod.set(method, (byClass = []));
    // Created on first use, so classes a route never answers with stay out of /metrics.
    let series = byClass[cls];
    if (series === undefined) byClass[cls] = series = duration.child({ route, method, status: CLASSES[cls]! });
    return series;
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: labels must stay bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    const code = reply.statusCode;
    seriesOf(route, request.method, code < 200 ? 0 : code < 300 ? 1 : code < 400 ? 2 : code < 500 ? 3 : 4).observe(reply.elapsedTime / 1000);
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
