import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { Responder } from '../answer/responder.ts';
import { clientAddress } from './client-address.ts';

export interface UdpServerOptions {
  host: string;
  port: number;
  responder: Responder;
  onError(err: Error): void;
}

// dgram asks with the socket's family (4 or 6) for the bound host and each send's address; a
// name (a DNS_HOST such as localhost) still goes to the resolver.
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  if (isIP(address) !== 0) callback(null, address, family === 6 ? 6 : 4);
  else lookup(address, { family: family === 6 ? 6 : 4 }, (err, found, foundFamily) => callback(err, found, foundFamily));
}

/** A UDP listener: one datagram in, at most one out; nothing a client sends can stop it. */
export class UdpServer {
  private readonly o: UdpServerOptions;
  private socket: Socket | undefined;

  constructor(options: UdpServerOptions) {
    this.o = options;
  }

  async listen(): Promise<number> {
    // Answers go back to the address a query came from, always a literal: the default lookup
    // would defer every send by a tick to "resolve" it.
    const socket = createSocket({ type: isIPv6(this.o.host) ? 'udp6' : 'udp4', lookup: literalLookup });
    this.socket = socket;
    // Queries come in bursts from a few resolvers: the last sender's address is parsed once.
    let lastAddress = '';
    let lastBytes: Uint8Array | null = null;
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== lastAddress) {
        lastAddress = rinfo.address;
        lastBytes = clientAddress(rinfo.address);
      }
      const reply = (out: Buffer | null): void => {
        // An answer finished after close() has nowhere to go.
        if (out === null || this.socket !== socket) return;
        // No callback: a failed send is reported on 'error' (below), and a closure per answer
        // is measurable at tens of thousands of answers a second.
        socket.send(out, rinfo.port, rinfo.address);
      };
      const out = this.o.responder.respond(msg, { transport: 'udp', address: lastBytes });
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
