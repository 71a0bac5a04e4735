import { createServer, type Server, type Socket } from 'node:net';
import type { Responder } from '../answer/responder.ts';
import { clientAddress } from './client-address.ts';

export interface TcpServerOptions {
  host: string;
  port: number;
  responder: Responder;
  idleMs: number;
  maxConnections: number;
  onError(err: Error): void;
}

const LENGTH_BYTES = 2;
// A message shorter than a header cannot be a query: the stream is not DNS, so close it.
const MIN_MESSAGE = 12;
// Pipelined queries answered at once per connection (RFC 7766 6.2.1.1 allows pipelining;
// the bound keeps one client from holding unbounded work).
const MAX_PENDING = 64;

/**
 * A TCP listener (RFC 7766): two-byte length-prefixed messages, pipelined and answered in any
 * order, idle connections closed, the number of connections bounded.
 */
export class TcpServer {
  private readonly o: TcpServerOptions;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(options: TcpServerOptions) {
    this.o = options;
  }

  async listen(): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = this.o.maxConnections;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.o.onError(err));
        resolve();
      });
    });
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : this.o.port;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setTimeout(this.o.idleMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    const address = clientAddress(socket.remoteAddress);
    let buffered = Buffer.alloc(0);
    let pending = 0;
    const send = (out: Buffer | null): void => {
      pending--;
      if (out === null || socket.destroyed) return;
      const frame = Buffer.allocUnsafe(LENGTH_BYTES + out.length);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, LENGTH_BYTES);
      socket.write(frame);
    };
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= LENGTH_BYTES) {
        const length = buffered.readUInt16BE(0);
        if (length < MIN_MESSAGE || pending >= MAX_PENDING) {
          socket.destroy();
          return;
        }
        if (buffered.length < LENGTH_BYTES + length) break;
        const message = buffered.subarray(LENGTH_BYTES, LENGTH_BYTES + length);
        buffered = buffered.subarray(LENGTH_BYTES + length);
        pending++;
        const out = this.o.responder.respond(message, { transport: 'tcp', address });
        if (out instanceof Promise) out.then(send, (err: unknown) => { pending--; this.o.onError(err as Error); });
        else send(out);
      }
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
