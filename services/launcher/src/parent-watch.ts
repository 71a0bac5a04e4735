const INTERVAL_MS = 250;

/**
 * Calls `onGone` once when the process that started this one exits (this process is then
 * handed to init or a subreaper, so its parent pid changes). Polling getppid() costs one system
 * call a tick; Node offers no parent-death signal.
 */
export function watchParent(onGone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, INTERVAL_MS);
  // Watching must not keep a finished process alive.
  timer.unref();
}
