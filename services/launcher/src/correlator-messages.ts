import type { LauncherConfig } from './config.ts';

// What the launcher and its correlator process say to each other over the IPC channel, beside
// the ClickHouse calls that @repute/analytics tags as its own.

/** Launcher to correlator process. */
export type ToCorrelator =
  /** The configuration the launcher parsed, with its private Redis filled in. */
  | { type: 'start'; config: LauncherConfig }
  | { type: 'readiness'; id: number }
  | { type: 'metrics'; id: number }
  /** Stop in order: the batch in hand finished and acknowledged, the engine closed. */
  | { type: 'stop' };

/** Correlator process to launcher. */
export type FromCorrelator =
  | { type: 'started' }
  | { type: 'start-failed'; message: string }
  | { type: 'readiness'; id: number; ready: boolean; detail?: string }
  | { type: 'metrics'; id: number; text: string };

export function isMessage<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}
