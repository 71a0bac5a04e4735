import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { problemType } from './repute-error.ts';
import { sendProblem } from './problem-plugin.ts';
import { buildValidator } from './body-validation.ts';

/**
 * Longest path parameter the servers accept, in encoded characters. The contract takes URLs of
 * up to 4096 characters (UTF-16 units); percent-encoded, a unit takes at most 9 characters (a
 * three-byte UTF-8 character; a four-byte one is two units and 12 characters). Fastify's default
 * (100) refused most real phishing URLs on the path routes with 414.
 */
export const MAX_PARAM_LENGTH = 4096 * 9;

/**
 * Largest request head (request line and headers) Node's parser reads, in bytes; more is a 431.
 * The largest URL of the contract, percent-encoded (MAX_PARAM_LENGTH, about 37 KB), fits with
 * room for the other headers; Node's default (16 KiB) refused it before any route could answer.
 */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * How long a connection refused by the parser stays open after its answer: reading what the
 * client is still sending lets the answer arrive; closing at once would reset the connection
 * (the kernel answers unread data with RST) and the client could lose the answer.
 */
const REFUSED_LINGER_MS = 2000;
const refused = new WeakSet<Socket>();

const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; title: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'REPUTE_HTTP_BAD_URL', title: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'REPUTE_HTTP_URI_TOO_LONG', title: 'Path parameter too long' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'REPUTE_HTTP_BAD_REQUEST', title: 'Bad request' },
};

/**
 * Errors the router raises before any route or error handler runs (a malformed URL, an
 * over-long path parameter): problem+json like every other error.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = FRAMEWORK_ERRORS[error.code] ?? { status: error.statusCode ?? 400, code: 'REPUTE_HTTP_BAD_REQUEST', title: 'Bad request' };
  void sendProblem(reply, { type: problemType(known.code), title: known.title, status: known.status, code: known.code, detail: error.message, retriable: false, instance: String(request.id) });
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers over the size limit,
 * a malformed request line or Content-Length, a request timeout): written straight to the
 * socket, as problem+json, and the connection closed once the client has had the answer.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // The parser reports every later chunk of a refused request again: it was answered already.
  if (err.code === 'ECONNRESET' || socket.destroyed || refused.has(socket)) return;
  const [status, code, title] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'REPUTE_HTTP_TIMEOUT', 'Request timeout']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'REPUTE_HTTP_HEADERS_TOO_LARGE', 'Request headers too large']
      : err.code === 'HPE_INVALID_CONTENT_LENGTH' || err.code === 'HPE_UNEXPECTED_CONTENT_LENGTH' ? [400, 'REPUTE_HTTP_BAD_CONTENT_LENGTH', 'Invalid Content-Length']
        : [400, 'REPUTE_HTTP_BAD_REQUEST', 'Malformed request'];
  const body = JSON.stringify({ type: problemType(code), title, status, code, detail: `the request could not be read (${err.code ?? 'parse error'})`, retriable: status === 408 });
  if (!socket.writable) {
    socket.destroy(err);
    return;
  }
  refused.add(socket);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/problem+json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  // Closed when the client closes its side after reading the answer, at the latest after the linger.
  const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  socket.once('close', () => clearTimeout(linger));
}

/** Options every Repute HTTP server is created with (beside its logger and body limit). */
export const SERVER_OPTIONS = {
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH }, http: { maxHeaderSize: MAX_HEADER_BYTES }, frameworkErrors, clientErrorHandler,
  schemaController: { compilersFactory: { buildValidator } },
} as const;
