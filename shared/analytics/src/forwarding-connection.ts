import { Readable } from 'node:stream';
import type { ClickHouseClientConfigOptions, ClickHouseSettings } from '@clickhouse/client';
import { AnalyticsError } from './analytics-error.ts';
import { decodeError, ENGINE_MESSAGE, isEngineMessage, type EngineChannel, type EngineOperation, type EngineParams, type EngineReply, type EngineRequest, type EngineResult } from './engine-channel.ts';

/** `@clickhouse/client`'s Connection contract, as `createClient({ connection })` takes it. */
export type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;
type Params<K extends keyof Connection> = Connection[K] extends (params: infer P) => unknown ? P : never;

export interface ForwardingConnectionOptions {
  /**
   * The channel to the process that owns the engine as it is now; undefined while that process
   * is being started again. Asked on every call, so a restarted process is picked up by itself.
   */
  channel(): EngineChannel | undefined;
}

interface Pending {
  op: EngineOperation;
  channel: EngineChannel;
  resolve(result: EngineResult): void;
  reject(err: Error): void;
}

/** A result stream over bytes already in hand, as the embedded connection gives it. */
function readableOf(bytes: Uint8Array | undefined): Readable {
  const body = bytes === undefined ? Buffer.alloc(0) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stream = Readable.from([body], { objectMode: false });
  // ResultSet.close() destroys an unread stream with an error; nothing else can fail here, and
  // without a listener that teardown would be an uncaught exception.
  stream.on('error', () => {});
  return stream;
}

async function bytesOf(values: unknown): Promise<Buffer> {
  if (typeof values === 'string') return Buffer.from(values);
  if (Buffer.isBuffer(values)) return values;
  const chunks: Buffer[] = [];
  for await (const chunk of values as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    else throw new AnalyticsError('REPUTE_ANALYTICS_INSERT_VALUES', `insert values must be text or bytes (got ${typeof chunk}); encode them first`);
  }
  return Buffer.concat(chunks);
}

/** The fields that mean something to the engine and survive a structured clone. */
function wireParams(params: { query?: string; clickhouse_settings?: ClickHouseSettings; query_params?: Record<string, unknown>; query_id?: string; session_id?: string; ignore_error_response?: boolean; select?: boolean }): EngineParams {
  const wire: EngineParams = {};
  if (params.query !== undefined) wire.query = params.query;
  if (params.clickhouse_settings !== undefined) wire.clickhouse_settings = params.clickhouse_settings;
  if (params.query_params !== undefined) wire.query_params = params.query_params;
  if (params.query_id !== undefined) wire.query_id = params.query_id;
  if (params.session_id !== undefined) wire.session_id = params.session_id;
  if (params.ignore_error_response !== undefined) wire.ignore_error_response = params.ignore_error_response;
  if (params.select !== undefined) wire.select = params.select;
  return wire;
}

// Every connection of a process listens on the same channel and sees every answer, so ids are
// unique across them, not per connection.
let nextId = 1;
// Names each connection of this process to the serving side, which keeps a session per name.
let nextConnection = 1;

const unreachable = (): AnalyticsError =>
  new AnalyticsError('REPUTE_ANALYTICS_ENGINE_UNREACHABLE', 'the process that owns the embedded ClickHouse engine is not running (it may be starting again)', { retriable: true });

/**
 * A `@clickhouse/client` Connection for a process that does not own the embedded engine: each
 * call crosses a channel to the process that does (`serveEngine` there) and its whole answer
 * comes back. Results are buffered, which suits bounded queries, not exports; insert and exec
 * values are read into one Buffer before they are sent. A call in flight when the channel
 * closes fails with a retriable AnalyticsError; the next call uses whatever channel
 * `options.channel()` gives then.
 */
export function createForwardingConnection(options: ForwardingConnectionOptions): Connection {
  const pending = new Map<number, Pending>();
  const conn = `${process.pid}:${nextConnection++}`;
  let attached: { channel: EngineChannel; stop: () => void } | undefined;
  let closed = false;

  const onReply = (message: unknown): void => {
    if (!isEngineMessage(message)) return;
    const reply = message as EngineReply;
    const call = pending.get(reply.id);
    if (call === undefined) return;
    pending.delete(reply.id);
    if (reply.error !== undefined) call.reject(decodeError(reply.error));
    else call.resolve(reply.result ?? {});
  };

  const onClose = (channel: EngineChannel): void => {
    if (attached?.channel === channel) {
      attached.stop();
      attached = undefined;
    }
    for (const [id, call] of pending) {
      // A wrapper made afresh over the same process is another object: its state says it is gone.
      if (call.channel !== channel && call.channel.connected) continue;
      pending.delete(id);
      call.reject(new AnalyticsError('REPUTE_ANALYTICS_ENGINE_CHANNEL_CLOSED', `the process that owns the embedded ClickHouse engine went away before answering a ${call.op}`, { retriable: true }));
    }
  };

  const channelNow = (): EngineChannel => {
    if (closed) throw new AnalyticsError('REPUTE_ANALYTICS_CONNECTION_CLOSED', 'this ClickHouse client is closed');
    const channel = options.channel();
    if (channel === undefined || !channel.connected) throw unreachable();
    if (attached?.channel !== channel) {
      if (attached !== undefined && !attached.channel.connected) onClose(attached.channel);
      attached?.stop();
      const stop = channel.listen(onReply, () => onClose(channel));
      attached = { channel, stop };
    }
    return channel;
  };

  const call = async (op: EngineOperation, params: EngineParams, signal: AbortSignal | undefined): Promise<EngineResult> => {
    const channel = channelNow();
    signal?.throwIfAborted();
    const id = nextId++;
    return await new Promise<EngineResult>((resolve, reject) => {
      const onAbort = (): void => {
        if (!pending.delete(id)) return;
        channel.send({ kind: ENGINE_MESSAGE, id, op: 'cancel' } satisfies EngineRequest, () => {});
        reject(signal!.reason as Error);
      };
      const settle = <T>(fn: (value: T) => void) => (value: T): void => {
        signal?.removeEventListener('abort', onAbort);
        fn(value);
      };
      pending.set(id, { op, channel, resolve: settle(resolve), reject: settle(reject) });
      signal?.addEventListener('abort', onAbort, { once: true });
      channel.send({ kind: ENGINE_MESSAGE, id, op, conn, params } satisfies EngineRequest, (err) => {
        if (err === null) return;
        const waiting = pending.get(id);
        if (waiting === undefined) return;
        pending.delete(id);
        waiting.reject(new AnalyticsError('REPUTE_ANALYTICS_ENGINE_CHANNEL_CLOSED', `cannot reach the process that owns the embedded ClickHouse engine: ${err.message}`, { cause: err, retriable: true }));
      });
    });
  };

  const base = (result: EngineResult, queryId: string | undefined) => ({
    query_id: result.query_id ?? queryId ?? '',
    response_headers: (result.response_headers ?? {}) as Record<string, string>,
    http_status_code: result.http_status_code ?? 200,
  });
  const summaryOf = (result: EngineResult) => result.summary as Awaited<ReturnType<Connection['command']>>['summary'];

  const connection: Connection = {
    async query(params: Params<'query'>) {
      const result = await call('query', wireParams(params), params.abort_signal);
      return { ...base(result, params.query_id), stream: readableOf(result.body) };
    },
    async exec(params: Params<'exec'>) {
      const wire = wireParams(params);
      if (params.values !== undefined) wire.values = await bytesOf(params.values);
      const result = await call('exec', wire, params.abort_signal);
      return { ...base(result, params.query_id), stream: readableOf(result.body), summary: summaryOf(result) };
    },
    async insert(params: Params<'insert'>) {
      const wire = wireParams(params);
      wire.values = await bytesOf(params.values);
      const result = await call('insert', wire, params.abort_signal);
      return { ...base(result, params.query_id), summary: summaryOf(result) };
    },
    async command(params: Params<'command'>) {
      const result = await call('command', wireParams(params), params.abort_signal);
      return { ...base(result, params.query_id), summary: summaryOf(result) };
    },
    async ping(params: Params<'ping'>) {
      try {
        const result = await call('ping', wireParams(params), params.abort_signal);
        return result.pingError === undefined ? { success: true } : { success: false, error: decodeError(result.pingError) };
      } catch (err) {
        return { success: false, error: err as Error };
      }
    },
    async close() {
      // The engine belongs to the other process: closing releases this connection's session
      // there and forgets the channel.
      const channel = attached?.channel ?? options.channel();
      if (!closed && channel !== undefined && channel.connected) channel.send({ kind: ENGINE_MESSAGE, id: nextId++, op: 'release', conn } satisfies EngineRequest, () => {});
      closed = true;
      attached?.stop();
      attached = undefined;
      for (const [id, waiting] of pending) {
        pending.delete(id);
        waiting.reject(new AnalyticsError('REPUTE_ANALYTICS_CONNECTION_CLOSED', `this ClickHouse client was closed before a ${waiting.op} was answered`));
      }
    },
  };
  return connection;
}
