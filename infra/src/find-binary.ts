import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

/** Finds an executable on PATH (and the usual system folders, which a minimal PATH may lack). */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Installs Debian packages when running as root on a Debian-like system; otherwise throws an
 * error that tells the person exactly what to run.
 */
export function aptInstall(packages: string[], log: (line: string) => void = () => {}): void {
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  if (!isRoot() || findBinary('apt-get') === undefined) {
    throw new Error(`missing ${packages.join(', ')}: install it with \`sudo ${command}\` (Debian/Ubuntu) or your system's package manager, then run again`);
  }
  log(`installing ${packages.join(', ')} with apt-get`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
