import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { lazyChildLogger } from '../src/http/lazy-child-logger.ts';

test('the child logger is made on first use, once, with the bindings and options Fastify gave', () => {
  const made: unknown[][] = [];
  const lines: unknown[][] = [];
  const child = { level: 'info', info: (...args: unknown[]) => { lines.push(args); } } as unknown as FastifyBaseLogger;
  const parent = { child: (...args: unknown[]) => { made.push(args); return child; } } as unknown as FastifyBaseLogger;
  const app = Fastify();
  const logger = lazyChildLogger.call(app, parent, { reqId: 'req-1' }, { level: 'debug' }, {} as never);
  assert.equal(made.length, 0);
  logger.info({ a: 1 }, 'hello %s', 'there');
  logger.info('again');
  assert.deepEqual(made, [[{ reqId: 'req-1' }, { level: 'debug' }]]);
  assert.deepEqual(lines, [[{ a: 1 }, 'hello %s', 'there'], ['again']]);
  assert.equal(logger.level, 'info');
  logger.level = 'warn';
  assert.equal(child.level, 'warn');
});

test('request log lines are the same as with the default factory', async () => {
  async function logOf(lazy: boolean): Promise<Record<string, unknown>[]> {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
    const app = Fastify({ logger: { level: 'info', stream } });
    if (lazy) app.setChildLoggerFactory(lazyChildLogger);
    app.get('/quiet', { logLevel: 'warn' }, async () => ({ ok: true }));
    app.get('/loud', async (request) => {
      request.log.info({ detail: 'x' }, 'looked up');
      return { ok: true };
    });
    await app.inject({ url: '/quiet' });
    await app.inject({ url: '/loud' });
    await app.close();
    // Times differ from run to run; everything else must not.
    return lines.map(({ time: _time, responseTime: _responseTime, ...rest }) => rest);
  }
  const lazy = await logOf(true);
  assert.deepEqual(lazy, await logOf(false));
  const logged = lazy.find((l) => l['msg'] === 'looked up');
  assert.equal(logged?.['reqId'], 'req-2');
  assert.equal(logged?.['detail'], 'x');
  assert.ok(!lazy.some((l) => l['reqId'] === 'req-1'), 'a route at level warn logs nothing at info');
});
