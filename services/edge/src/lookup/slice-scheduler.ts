/**
 * Runs `work(from, to)` over consecutive ranges covering [0, n), in order. Returns undefined when
 * every range has run, or a promise that settles once they have (rejecting with what `work`
 * threw, after which no further range runs).
 */
export type Slicer = (n: number, work: (from: number, to: number) => void) => Promise<void> | undefined;

/** The whole loop at once, for callers that do not slice. */
export const wholeLoop: Slicer = (n, work) => {
  if (n > 0) work(0, n);
  return undefined;
};

export interface SliceSchedulerOptions {
  /** How long one slice may run before the event loop gets a turn; checked after each chunk. */
  sliceMs: number;
  /** Items per chunk: the work done between two looks at the clock. */
  chunkItems: number;
}

interface Task {
  /** The slicer the task came from: tasks of older slicers run first. */
  order: number;
  n: number;
  next: number;
  work: (from: number, to: number) => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Shares the event loop between long loops (a batch of 1000 indicators) and everything else.
 * Each request takes a slicer of its own; its loops run at once while they fit in one slice
 * and nothing is queued, otherwise they queue, and each turn of the event loop (one
 * setImmediate) runs one slice of the queued loop whose request came first. Sockets are read
 * between turns, so a request that arrives behind any number of batches waits for about one
 * slice. Run back to back, batches held it for every batch ready at that moment: with 50
 * connections posting 1000-indicator batches (bench:edge, four runs each), single lookups at
 * 200/s waited 113-202 ms (p50) and 184-317 ms (p99), and the event loop stalled for up to
 * 114-204 ms; sliced, 1.0-1.1 ms and 5.5-10 ms, with stalls of 23-34 ms.
 *
 * Oldest request first, rather than turn by turn, finishes batches in the order they came and
 * keeps one batch's intermediate objects alive at a time; taking turns cost about 10 % more
 * CPU per batch (garbage collection), measured side by side.
 */
export class SliceScheduler {
  private readonly queue: Task[] = [];
  private armed = false;
  private issued = 0;
  /** When the slice running now, or the last one, ends (a performance.now() time). */
  private sliceEnd = 0;
  private readonly sliceMs: number;
  private readonly chunkItems: number;

  constructor(options: SliceSchedulerOptions) {
    this.sliceMs = options.sliceMs;
    this.chunkItems = Math.max(1, Math.floor(options.chunkItems));
  }

  /** A slicer for one request's loops, ordered after those of every slicer made before. */
  slicer(): Slicer {
    const order = ++this.issued;
    return (n, work) => this.run(order, n, work);
  }

  /** Loops waiting for a turn. */
  get waiting(): number {
    return this.queue.length;
  }

  private run(order: number, n: number, work: (from: number, to: number) => void): Promise<void> | undefined {
    const task: Task = { order, n, next: 0, work, resolve: noop, reject: noop };
    // At once when nothing waits. A loop of a request older than every waiting one may also use
    // what is left of the slice that just ran: a batch's next step (answering, after preparing)
    // then needs no turn of its own.
    const now = performance.now();
    const head = this.queue[0];
    const until = head === undefined ? now + this.sliceMs : order < head.order && now < this.sliceEnd ? this.sliceEnd : undefined;
    if (until !== undefined && this.slice(task, until)) return undefined;
    return new Promise<void>((resolve, reject) => {
      task.resolve = resolve;
      task.reject = reject;
      let at = this.queue.length;
      while (at > 0 && this.queue[at - 1]!.order > order) at--;
      this.queue.splice(at, 0, task);
      this.arm();
    });
  }

  /** Runs chunks of `task` until it is done (true) or `deadline` has passed (false). */
  private slice(task: Task, deadline: number): boolean {
    this.sliceEnd = deadline;
    while (task.next < task.n) {
      const to = Math.min(task.n, task.next + this.chunkItems);
      task.work(task.next, to);
      task.next = to;
      if (performance.now() >= deadline) break;
    }
    return task.next >= task.n;
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.armed = false;
    const task = this.queue[0];
    if (task === undefined) return;
    try {
      if (this.slice(task, performance.now() + this.sliceMs)) {
        this.queue.shift();
        task.resolve();
      }
    } catch (err) {
      this.queue.shift();
      task.reject(err);
    }
    if (this.queue.length > 0) this.arm();
  };
}

function noop(): void {}
