import { Worker } from 'node:worker_threads';
import { ReputeError } from '@repute/http';
import { unpackMessages } from './packed-messages.ts';
import type { SortReply } from './sort-thread.ts';
import { sortRequest, type SortedRequest, type SortInput } from './sort-request.ts';

/** Reads telemetry requests into bus messages, on the event loop or on threads of its own. */
export interface Sorter {
  sort(input: SortInput): Promise<SortedRequest>;
  close(): Promise<void>;
}

const ENTRY = new URL(`./sort-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

interface Pending {
  resolve: (sorted: SortedRequest) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * A sorter. With `threads` 0 every request is read on the event loop. Otherwise requests go to
 * that many threads, each to the one holding the fewest: reading, validating and encoding a
 * batch of 1,000 events costs the event loop about 5 ms, which every other request (a lookup
 * beside it in the one-process launcher, the bus's acknowledgements) would wait behind, and a
 * second core would stay idle. A thread that dies fails only the requests it held (500, the
 * client resends them) and is replaced.
 */
export function createSorter(threads: number, log: { warn(obj: unknown, msg: string): void }, entry: URL = ENTRY): Sorter {
  if (threads <= 0) return { sort: sortRequest, close: async () => {} };
  let nextId = 0;
  let closing = false;
  const pool: Thread[] = [];

  const start = (slot: number): void => {
    const worker = new Worker(entry);
    const thread: Thread = { worker, pending: new Map() };
    pool[slot] = thread;
    // Idle threads must not keep a process alive that is otherwise done.
    worker.unref();
    worker.on('message', (reply: SortReply) => {
      const p = thread.pending.get(reply.id);
      if (p === undefined) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ('answer' in reply) p.resolve({ accepted: reply.accepted, rejectedReasons: reply.rejectedReasons, answer: reply.answer, messages: unpackMessages(reply.messages) });
      else if ('problem' in reply) p.reject(new ReputeError(reply.problem));
      else p.reject(new Error(`telemetry sorting failed: ${reply.failure}`));
    });
    const fail = (err: Error): void => {
      for (const p of thread.pending.values()) p.reject(err);
      thread.pending.clear();
      if (closing || pool[slot] !== thread) return;
      log.warn({ err }, 'telemetry sorting thread stopped; starting another');
      start(slot);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`telemetry sorting thread exited with code ${code}`)));
  };
  for (let i = 0; i < threads; i++) start(i);

  return {
    sort(input) {
      let thread = pool[0]!;
      for (const t of pool) if (t.pending.size < thread.pending.size) thread = t;
      const id = nextId++;
      return new Promise<SortedRequest>((resolve, reject) => {
        if (thread.pending.size === 0) thread.worker.ref();
        thread.pending.set(id, { resolve, reject });
        thread.worker.postMessage({ id, input });
      });
    },
    async close() {
      closing = true;
      await Promise.all(pool.map((t) => t.worker.terminate()));
    },
  };
}
