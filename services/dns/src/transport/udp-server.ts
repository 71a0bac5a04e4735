import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Responder } from '../answer/responder.ts';
import { clientAddress } from './client-address.ts';

export interface UdpServerOptions {
  host: string;
  port: number;
  responder: Responder;
  onError(err: Error): void;
}

/** A UDP listener: one datagram in, at most one out; nothing a client sends can stop it. */
export class UdpServer {
  private readonly o: UdpServerOptions;
  private socket: Socket | undefined;

  constructor(options: UdpServerOptions) {
    this.o = options;
  }

  async listen(): Promise<number> {
    const socket = createSocket({ type: isIPv6(this.o.host) ? 'udp6' : 'udp4' });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      const reply = (out: Buffer | null): void => {
        // An answer finished after close() has nowhere to go.
        if (out === null || this.socket !== socket) return;
        // No callback: a failed send is reported on 'error' (below), and a closure per answer
        // is measurable at tens of thousands of answers a second.
        socket.send(out, rinfo.port, rinfo.address);
      };
      const out = this.o.responder.respond(msg, { transport: 'udp', address: clientAddress(rinfo.address) });
      if (out instanceof Promise) out.then(reply, (err: unknown) => this.o.onError(err as Error));
      else reply(out);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.o.port, this.o.host, () => {
        socket.off('error', reject);
        // After binding, a send error (ICMP unreachable, buffer full) is one lost answer, not fatal.
        socket.on('error', (err) => this.o.onError(err));
        resolve();
      });
    });
    return socket.address().port;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
