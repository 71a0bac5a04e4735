import { createHash } from 'node:crypto';

/**
 * Takes the oldest waiting items whose sizes add up to at most `cap` off the front of `queue`:
 * the first always goes, however large.
 */
export function takeGroup<T>(queue: T[], size: (item: T) => number, cap: number): T[] {
  let total = 0;
  let take = 0;
  while (take < queue.length && (take === 0 || total + size(queue[take]!) <= cap)) total += size(queue[take++]!);
  return queue.splice(0, take);
}

/** Writes one block of rows under a deduplication token. */
export type BlockWriter<Row> = (rows: Row[], token: string) => Promise<void>;

export interface InsertQueue<Row> {
  /** Resolves once the rows are written, alone or together with other batches' rows. */
  insert(rows: Row[], token: string): Promise<void>;
}

interface Waiting<Row> {
  rows: Row[];
  /** Table rows the items stand for (see `rowsOf`). */
  weight: number;
  token: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for ClickHouse inserts: one insert runs at a time, and the rows of every batch
 * that arrives meanwhile go together in the next one. An embedded ClickHouse insert costs
 * 15–30 ms of CPU whatever its size (parts in three tables, two views), and the engine runs one
 * query at a time, so at a steady trickle of small batches one insert per batch queues up and
 * its latency holds every bus slot. A block that carries one batch keeps that batch's token, so
 * an in-process retry of it is dropped by ClickHouse; a combined block's token names all of
 * them, and a retried batch is then inserted again (the raw table collapses it under FINAL).
 */
export function insertQueue<Row>(write: BlockWriter<Row>, options: { maxRows?: number; minIntervalMs?: number; rowsOf?: (item: Row) => number } = {}): InsertQueue<Row> {
  const maxRows = options.maxRows ?? 200_000;
  // An item is a row, unless it says how many it holds (a batch's rows already encoded).
  const rowsOf = options.rowsOf;
  const weigh = (rows: Row[]) => (rowsOf === undefined ? rows.length : rows.reduce((n, r) => n + rowsOf(r), 0));
  const minIntervalMs = options.minIntervalMs ?? 0;
  const waiting: Waiting<Row>[] = [];
  let running = false;
  let lastStart = -Infinity;

  async function drain(): Promise<void> {
    running = true;
    while (waiting.length > 0) {
      // Inserts start at most every minIntervalMs: under a trickle of small batches the rows
      // of several go in one insert, and the engine makes fewer parts to write and merge.
      const wait = lastStart + minIntervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastStart = performance.now();
      const group = takeGroup(waiting, (w) => w.weight, maxRows);
      const block = group.length === 1 ? group[0]!.rows : group.flatMap((g) => g.rows);
      const token = group.length === 1 ? group[0]!.token : createHash('sha256').update(group.map((g) => g.token).join('\n')).digest('hex');
      try {
        await write(block, token);
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    running = false;
  }

  return {
    insert(rows, token) {
      if (rows.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiting.push({ rows, weight: weigh(rows), token, resolve, reject });
        if (!running) void drain();
      });
    },
  };
}
