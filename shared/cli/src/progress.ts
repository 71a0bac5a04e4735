import { SingleBar, Presets } from 'cli-progress';

/** A progress display that is silent unless it should show. */
export interface Progress {
  start(total: number, label: string): void;
  update(done: number): void;
  increment(by?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

const SILENT: Progress = { start() {}, update() {}, increment() {}, setTotal() {}, stop() {} };

/** A bar on stderr when it is a terminal or `--progress` asks for one; stdout stays for results. */
export function createProgress(options: { force?: boolean; unit?: string } = {}): Progress {
  if (!(options.force === true || process.stderr.isTTY)) return SILENT;
  const bar = new SingleBar({
    stream: process.stderr,
    format: `{label} [{bar}] {percentage}% | {value}/{total} ${options.unit ?? ''} | {eta_formatted} left`,
    hideCursor: process.stderr.isTTY,
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 1000,
    etaBuffer: 50,
  }, Presets.shades_classic);
  return {
    start: (total, label) => bar.start(total, 0, { label }),
    update: (done) => bar.update(done),
    increment: (by = 1) => bar.increment(by),
    setTotal: (total) => bar.setTotal(total),
    stop: () => bar.stop(),
  };
}
