import type { FastifyInstance } from 'fastify';

export interface RunServerOptions {
  host: string;
  port: number;
  /** Time between turning not-ready and closing, so load balancers stop sending first; requests in flight then finish before close returns. */
  drainMs: number;
  /** Hard limit of the whole shutdown; the process exits non-zero past it. */
  shutdownTimeoutMs?: number;
}

/**
 * Listens, then owns the process signals: on SIGINT/SIGTERM it marks the instance not ready
 * (load balancers stop sending), waits for the drain period, closes the app (clients close in
 * their onClose hooks) and exits, all bounded in time.
 */
export async function runServer(app: FastifyInstance, options: RunServerOptions): Promise<string> {
  const address = await app.listen({ host: options.host, port: options.port });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const hardLimit = setTimeout(() => {
      app.log.error('shutdown took too long, exiting');
      process.exit(1);
    }, (options.shutdownTimeoutMs ?? options.drainMs + 15_000)).unref();
    if (app.hasDecorator('readiness')) app.readiness.markShuttingDown();
    if (options.drainMs > 0) await new Promise((resolve) => setTimeout(resolve, options.drainMs).unref());
    try {
      await app.close();
      clearTimeout(hardLimit);
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error while closing');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return address;
}
