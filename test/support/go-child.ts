// Child processes that race at one moment: each loads its modules, prints READY, and starts its work
// when the parent writes a line to its stdin. Waiting for every READY before writing "go" makes the
// children's work really overlap (module loading alone takes longer than the work).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface GoChild {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves once the child printed READY (or exited). */
  ready: Promise<void>;
  /** The child's stdout once it exited with 0; rejects with its stderr otherwise. */
  done: Promise<string>;
}

/** Starts `script` (TypeScript, through tsx) with `args`; killed if it runs longer than a minute. */
export function startGoChild(script: string, args: string[]): GoChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root });
  let out = '';
  let err = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY\n')) markReady();
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      markReady();
      if (code === 0) resolve(out);
      else reject(new Error(`child exited with ${code}: ${err}${out}`));
    });
  });
  return { proc, ready, done };
}

/** Starts every child, waits until all are READY, then lets them go together; resolves with their outputs. */
export async function raceChildren(children: GoChild[]): Promise<string[]> {
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.proc.stdin.write('go\n');
  return Promise.all(children.map((c) => c.done));
}
