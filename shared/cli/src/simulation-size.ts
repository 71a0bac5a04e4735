/** How close `simulate --events N` gets to N: the help promises 10%, the search aims at half that. */
export const EVENTS_TOLERANCE = 0.1;
const AIM = EVENTS_TOLERANCE / 2;
const MAX_TRIES = 10;

/** The `events` option to hand the simulator, and the events it then sends. */
export interface SimulationSize {
  events: number;
  count: number;
}

/**
 * Finds the `events` option for which the simulator generates about `target` events in all.
 * The simulator reads the option as a scale on benign activity only (visits per host, the
 * software catalogue as its square root), so what it sends is a floor (campaigns, the fleet's
 * baseline) plus a part that grows with it: measured at the defaults, `--events 100000` sent
 * 30 557 events and `--events 100` 2 551. `count(events)` generates the scenario and counts;
 * the search brackets the target and interpolates, a handful of generations in all.
 * When even the smallest activity sends more than the target allows, returns that floor.
 */
export function sizeSimulation(target: number, smallest: number, count: (events: number) => number): SimulationSize | { floor: number } {
  const low: SimulationSize = { events: smallest, count: count(smallest) };
  if (low.count > target * (1 + EVENTS_TOLERANCE)) return { floor: low.count };
  let best = low;
  const closer = (s: SimulationSize): void => {
    if (Math.abs(s.count - target) < Math.abs(best.count - target)) best = s;
  };
  const near = (s: SimulationSize): boolean => Math.abs(s.count - target) <= target * AIM;
  if (near(low)) return low;
  // Bracket: below.count <= target <= above.count once `above` is found.
  let below = low;
  let above: SimulationSize | undefined;
  let guess = Math.max(smallest + 1, target);
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const tried: SimulationSize = { events: guess, count: count(guess) };
    closer(tried);
    if (near(tried)) return tried;
    if (tried.count < target) below = tried;
    else above = tried;
    if (above === undefined) {
      // Still short of the target: extrapolate along the line from the floor, a fifth further at least.
      const slope = (below.count - low.count) / Math.max(1, below.events - low.events);
      const line = slope > 0 ? below.events + (target - below.count) / slope : below.events * 2;
      guess = Math.round(Math.max(below.events * 1.2, line * 1.05));
    } else {
      // Interpolate inside the bracket; the middle when the line lands on an end.
      const span = above.count - below.count;
      const line = span > 0 ? below.events + ((target - below.count) / span) * (above.events - below.events) : (below.events + above.events) / 2;
      guess = Math.round(line > below.events && line < above.events ? line : (below.events + above.events) / 2);
      if (guess === below.events || guess === above.events) break;
    }
  }
  return best;
}
