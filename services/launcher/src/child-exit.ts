import type { ChildProcess } from 'node:child_process';

/** How a child process the launcher started ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its last words, for the reason of an exit ('' when it has none to give). */
  output: string;
}

/**
 * Follows a child the launcher started (redis-server, the correlator): a launcher that exits
 * without stopping it (a second Ctrl-C, a crash) still stops it, and `exited` settles once it
 * ended, however it ended — `error` without `exit` means it could not be run at all.
 * `endEvent` is `close` when its last output says why it stopped (after its streams closed).
 */
export function followChild(child: ChildProcess, endEvent: 'exit' | 'close', output: () => string): { exited: Promise<ChildExit>; ended(): ChildExit | undefined } {
  const stopOnExit = (): void => { child.kill('SIGTERM'); };
  process.once('exit', stopOnExit);
  let ended: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    const end = (exit: ChildExit): void => {
      process.removeListener('exit', stopOnExit);
      ended ??= exit;
      resolve(ended);
    };
    child.once('error', (err) => end({ code: null, signal: null, output: `${output()}${err.message}` }));
    child.once(endEvent, (code: number | null, signal: NodeJS.Signals | null) => end({ code, signal, output: output() }));
  });
  return { exited, ended: () => ended };
}
