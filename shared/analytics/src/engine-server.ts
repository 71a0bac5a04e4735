import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { openEngine } from './clickhouse.ts';
import { encodeError, ENGINE_MESSAGE, isEngineMessage, type EngineChannel, type EngineReply, type EngineRequest, type EngineResult } from './engine-channel.ts';
import type { Connection } from './forwarding-connection.ts';

export interface EngineServerOptions {
  /** The channel the calls come in on (the parent, seen from a forked child). */
  channel: EngineChannel;
  /** Folder of the embedded engine's data; this process opens the engine there. */
  dataDir: string;
}

/** Answers a forwarding connection's calls until `close()`. */
export interface EngineServer {
  /** Stops taking calls, waits for those in hand, and releases the engine. */
  close(): Promise<void>;
}

async function drain(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

const bytes = (values: Uint8Array | undefined): Buffer =>
  values === undefined ? Buffer.alloc(0) : Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/**
 * The other end of `createForwardingConnection`: runs each call that arrives on `channel` on
 * this process's embedded engine and sends the whole answer back. Query results are buffered
 * (bounded analyst queries, not exports).
 */
export function serveEngine(options: EngineServerOptions): EngineServer {
  const path = resolve(options.dataDir);
  // One engine session per forwarding connection (see EngineRequest.conn), opened on its first
  // call and released when it closes; all share the one engine of this process.
  const sessions = new Map<string, { engine: ReturnType<typeof openEngine>; connection: Connection }>();
  const sessionOf = (conn: string): Connection => {
    let session = sessions.get(conn);
    if (session === undefined) {
      const engine = openEngine(path);
      // The same cast as createClickHouse's: chdb names the contract from its own copy of the types.
      session = { engine, connection: engine.connection as unknown as Connection };
      sessions.set(conn, session);
    }
    return session.connection;
  };
  const release = async (conn: string): Promise<void> => {
    const session = sessions.get(conn);
    if (session === undefined) return;
    sessions.delete(conn);
    await session.connection.close();
    session.engine.release();
  };
  // Opened at once, so that a data folder the engine cannot open fails the start, not a call.
  sessionOf('');
  const inFlight = new Map<number, { abort: AbortController; done: Promise<void> }>();
  let closed = false;

  const reply = (message: EngineReply): void => {
    // The asker may be gone; its calls fail on its side when the channel closes.
    if (options.channel.connected) options.channel.send(message, () => {});
  };

  const run = async (request: EngineRequest, signal: AbortSignal): Promise<EngineResult> => {
    const connection = sessionOf(request.conn ?? '');
    const params = { ...request.params, abort_signal: signal };
    const { values, select, ...query } = params;
    switch (request.op) {
      case 'query': {
        const r = await connection.query({ ...query, query: query.query ?? '' });
        return { query_id: r.query_id, response_headers: r.response_headers, http_status_code: r.http_status_code, body: await drain(r.stream) };
      }
      case 'exec': {
        const r = await connection.exec({ ...query, query: query.query ?? '', ...(values !== undefined ? { values: Readable.from([bytes(values)]) } : {}) });
        return { query_id: r.query_id, response_headers: r.response_headers, http_status_code: r.http_status_code, summary: { ...r.summary }, body: await drain(r.stream) };
      }
      case 'insert': {
        const r = await connection.insert({ ...query, query: query.query ?? '', values: bytes(values).toString('utf8') });
        return { query_id: r.query_id, response_headers: r.response_headers, http_status_code: r.http_status_code, summary: { ...r.summary } };
      }
      case 'command': {
        const r = await connection.command({ ...query, query: query.query ?? '' });
        return { query_id: r.query_id, response_headers: r.response_headers, http_status_code: r.http_status_code, summary: { ...r.summary } };
      }
      case 'ping': {
        const r = await connection.ping({ select: select ?? true, abort_signal: signal });
        return r.success ? {} : { pingError: encodeError(r.error) };
      }
      default:
        throw new Error(`unknown operation ${String(request.op)}`);
    }
  };

  const stopListening = options.channel.listen((message) => {
    if (!isEngineMessage(message)) return;
    const request = message as EngineRequest;
    if (request.op === 'cancel') {
      inFlight.get(request.id)?.abort.abort();
      return;
    }
    if (request.op === 'release') {
      // Its calls were answered before it closed; a session of '' (the first) stays open.
      if (request.conn !== undefined && request.conn !== '') void release(request.conn).catch(() => {});
      return;
    }
    if (closed) {
      reply({ kind: ENGINE_MESSAGE, id: request.id, error: { name: 'AnalyticsError', message: 'the embedded ClickHouse engine is shutting down' } });
      return;
    }
    const abort = new AbortController();
    const done = run(request, abort.signal).then(
      (result) => reply({ kind: ENGINE_MESSAGE, id: request.id, result }),
      (err: unknown) => reply({ kind: ENGINE_MESSAGE, id: request.id, error: encodeError(err) }),
    ).finally(() => inFlight.delete(request.id));
    inFlight.set(request.id, { abort, done });
  }, () => {
    // The asker went away: nobody reads the answers of the calls in hand any more.
    for (const call of inFlight.values()) call.abort.abort();
  });

  return {
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inFlight.values()].map((call) => call.done));
      stopListening();
      for (const conn of [...sessions.keys()]) await release(conn);
    },
  };
}
