// Whether a process still runs, for tests that stop servers and their workers by pid.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
