import type { Rng } from '@repute/simulator';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The scenario window; every event falls inside it. */
export interface Clock {
  start: number;
  end: number;
  /** Whole or partial days the window covers. */
  days: number;
}

export function createClock(start: number, durationMs: number): Clock {
  return { start, end: start + durationMs, days: Math.max(1, Math.ceil(durationMs / DAY)) };
}

/** Whether `time` falls on a Saturday or Sunday in a place `tzHours` from UTC. */
export function isWeekend(time: number, tzHours: number): boolean {
  const day = new Date(time + tzHours * HOUR).getUTCDay();
  return day === 0 || day === 6;
}

/** Local midnight of day `day` of the window for a place `tzHours` from UTC. */
function localMidnight(clock: Clock, day: number, tzHours: number): number {
  const local = clock.start + day * DAY + tzHours * HOUR;
  return local - (local % DAY) - tzHours * HOUR;
}

/**
 * A moment on day `day` when people of a place `tzHours` from UTC are at work: most activity
 * sits in office hours, the rest is spread over the evening and night (laptops at home,
 * scheduled jobs), which is what gives real telemetry its daily rhythm.
 */
export function workMoment(rng: Rng, clock: Clock, day: number, tzHours: number): number {
  const midnight = localMidnight(clock, day, tzHours);
  const offset = rng.chance(0.85) ? 8 * HOUR + rng.float() * 10 * HOUR : rng.float() * DAY;
  return Math.round(midnight + offset);
}

/** Standard normal draw (Box-Muller) from the seeded source. */
export function normal(rng: Rng): number {
  const u = 1 - rng.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
}

/**
 * A log-normal delay: most reactions (a click, a signature release, a retro-scan) come soon,
 * a few come very late, which a fixed delay would never show.
 */
export function delay(rng: Rng, medianMs: number, sigma = 1): number {
  return Math.round(medianMs * Math.exp(sigma * normal(rng)));
}

export const inWindow = (clock: Clock, time: number): boolean => time >= clock.start && time <= clock.end;
