/**
 * The clock of a replayed week. The correlator scores with `Date.now()` (evidence decays with a
 * 24-hour half-life for URLs, "new and rare" lasts a day), and its worker takes no clock of
 * its own; a week replayed in minutes against the wall clock would age the first day's
 * evidence by the whole week before it is even scored. Installed, this clock is `Date.now`
 * for the process running the pipeline: it stands at the replay's newest event and otherwise
 * moves at wall-clock pace (so timeouts written against `Date.now` still expire).
 */
export interface VirtualClock {
  now(): number;
  /** Moves the clock forward to `time` (never back). */
  advanceTo(time: number): void;
  /** Makes `Date.now` this clock; install before the pipeline starts (some parts keep the function). */
  install(): void;
  /** Gives `Date.now` back. */
  uninstall(): void;
}

// The real clock, kept at load so that a clock created while another is installed still reads it.
const wall = Date.now;

/** A clock standing at `start` (epoch ms). */
export function createVirtualClock(start: number): VirtualClock {
  let base = start;
  let wallBase = wall();
  const now = (): number => base + (wall() - wallBase);
  let installed = false;
  return {
    now,
    advanceTo(time) {
      if (time <= now()) return;
      base = time;
      wallBase = wall();
    },
    install() {
      if (installed) return;
      installed = true;
      Date.now = now;
    },
    uninstall() {
      if (!installed) return;
      installed = false;
      Date.now = wall;
    },
  };
}
