// A Tessera IMAP server in its own process (./restart-child.ts) over a given data directory, for
// tests that restart it, cleanly or with SIGKILL, so that whatever lived only in memory is gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface Running {
  port: number;
  /** Shuts the server down (closing its store) and waits for its process to end. */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL: nothing is closed or flushed) and waits for it to end. */
  kill(): Promise<void>;
}

/** Starts a Tessera IMAP server process (./restart-child.ts) over the store in `dir`, with one user. */
export function startServerProcess(dir: string, user: string, password: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'restart-child.ts'), dir, user, password], {
    cwd: resolve(here, '../..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`server did not start: ${stderr}`));
    }, 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)\n/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      res({
        port: Number(m[1]),
        async stop() {
          child.stdin.end();
          const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const code = await exited;
          clearTimeout(kill);
          assert.equal(code, 0, `server exited with ${code}: ${stderr}`);
        },
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code} before listening: ${stderr}`));
    });
  });
}
