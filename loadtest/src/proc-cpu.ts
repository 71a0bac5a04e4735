import { readFileSync } from 'node:fs';

// Linux reports a process's CPU time in clock ticks of 10 ms (USER_HZ = 100 on every
// distribution this runs on).
const TICKS_PER_S = 100;

/** CPU seconds (user + system) a process and its reaped children have used, from /proc; undefined when it is gone. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine has spent busy (not idle or iowait), from /proc/stat. */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return (cpu.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_S;
}
