import { ClickHouseError, type ClickHouseSettings } from '@clickhouse/client';

/**
 * A message channel to another process: a forked child seen from its parent, or the parent
 * seen from the child. Messages are structured clones (`serialization: 'advanced'`), so Buffers
 * cross as bytes.
 */
export interface EngineChannel {
  readonly connected: boolean;
  /** Sends one message; `done` gets the error when it could not be sent. */
  send(message: unknown, done: (err: Error | null) => void): void;
  /** Listens for every message and for the channel closing; returns the way to stop listening. */
  listen(onMessage: (message: unknown) => void, onClose: () => void): () => void;
}

/** What `ipcChannel` needs of a `ChildProcess` or of `process` in a forked child. */
export interface IpcEndpoint {
  readonly connected: boolean;
  send?(message: unknown, callback: (error: Error | null) => void): boolean;
  on(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
  off(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
}

/** The IPC channel of a forked child (`child_process.fork`), from either end. */
export function ipcChannel(endpoint: IpcEndpoint): EngineChannel {
  return {
    get connected() { return endpoint.connected; },
    send(message, done) {
      if (endpoint.send === undefined || !endpoint.connected) {
        done(new Error('the IPC channel is closed'));
        return;
      }
      // With a callback a failed send is reported there, not as an 'error' event on the endpoint.
      endpoint.send(message, done);
    },
    listen(onMessage, onClose) {
      const message = (m: unknown): void => onMessage(m);
      endpoint.on('message', message);
      endpoint.on('disconnect', onClose);
      return () => {
        endpoint.off('message', message);
        endpoint.off('disconnect', onClose);
      };
    },
  };
}

/** Tags this module's messages on a channel that carries others too (a launcher's readiness and metrics). */
export const ENGINE_MESSAGE = 'repute.clickhouse';

export type EngineOperation = 'query' | 'insert' | 'command' | 'exec' | 'ping';

/**
 * The parameters of a call that can cross a process boundary: no abort signal (a `cancel`
 * message stands for it), no HTTP-only fields, and insert or exec values as one Buffer.
 */
export interface EngineParams {
  query?: string;
  clickhouse_settings?: ClickHouseSettings;
  query_params?: Record<string, unknown>;
  query_id?: string;
  session_id?: string;
  ignore_error_response?: boolean;
  select?: boolean;
  values?: Uint8Array;
}

export interface EngineRequest {
  kind: typeof ENGINE_MESSAGE;
  id: number;
  op: EngineOperation | 'cancel' | 'release';
  /**
   * The forwarding connection that asks. Each has an engine session of its own on the serving
   * side, as each embedded client has in-process: chDB applies a call's settings with `SET`,
   * which lasts for the session, so a read-only client's `readonly = 1` must never reach a
   * writer's session.
   */
  conn?: string;
  params?: EngineParams;
}

export interface EngineResult {
  query_id?: string;
  response_headers?: Record<string, unknown>;
  http_status_code?: number;
  summary?: Record<string, unknown>;
  /** The whole answer of a query or exec. */
  body?: Uint8Array;
  /** A ping that failed reports its error here, as the Connection contract wants. */
  pingError?: EncodedError;
}

export interface EngineReply {
  kind: typeof ENGINE_MESSAGE;
  id: number;
  result?: EngineResult;
  error?: EncodedError;
}

export interface EncodedError {
  name: string;
  message: string;
  /** ClickHouse's error code and type, when the engine raised it. */
  code?: string;
  type?: string;
}

export function isEngineMessage(message: unknown): message is { kind: typeof ENGINE_MESSAGE; id: number } {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === ENGINE_MESSAGE && typeof (message as { id?: unknown }).id === 'number';
}

// A structured clone keeps an Error's message but not ClickHouse's code and type, which callers
// match on (UNKNOWN_DATABASE, TIMEOUT_EXCEEDED), so errors cross as plain fields.
export function encodeError(err: unknown): EncodedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const encoded: EncodedError = { name: err.name, message: err.message };
  // By shape: chdb raises the ClickHouseError of @clickhouse/client-common, a class apart from
  // the one @clickhouse/client exports.
  const { code, type } = err as { code?: unknown; type?: unknown };
  if (typeof code === 'string' && 'type' in err) {
    encoded.code = code;
    if (typeof type === 'string') encoded.type = type;
  }
  return encoded;
}

export function decodeError(encoded: EncodedError): Error {
  if (encoded.code !== undefined) return new ClickHouseError({ message: encoded.message, code: encoded.code, type: encoded.type });
  const err = new Error(encoded.message);
  err.name = encoded.name;
  return err;
}
