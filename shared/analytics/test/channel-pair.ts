import type { EngineChannel } from '../src/index.ts';

/** Two ends of an in-process channel that clones each message, as IPC does; `close()` closes both. */
export interface ChannelPair {
  client: EngineChannel;
  server: EngineChannel;
  /** Messages the client end sent, in order. */
  sent: unknown[];
  close(): void;
}

export function channelPair(): ChannelPair {
  let open = true;
  const ends = [0, 1].map(() => ({ messages: new Set<(m: unknown) => void>(), closes: new Set<() => void>() }));
  const sent: unknown[] = [];
  const end = (self: number): EngineChannel => ({
    get connected() { return open; },
    send(message, done) {
      if (!open) {
        queueMicrotask(() => done(new Error('channel closed')));
        return;
      }
      if (self === 0) sent.push(message);
      const copy = structuredClone(message);
      setImmediate(() => { if (open) for (const l of ends[1 - self]!.messages) l(copy); });
      queueMicrotask(() => done(null));
    },
    listen(onMessage, onClose) {
      ends[self]!.messages.add(onMessage);
      ends[self]!.closes.add(onClose);
      return () => {
        ends[self]!.messages.delete(onMessage);
        ends[self]!.closes.delete(onClose);
      };
    },
  });
  return {
    client: end(0),
    server: end(1),
    sent,
    close() {
      if (!open) return;
      open = false;
      for (const e of ends) for (const l of [...e.closes]) l();
    },
  };
}
