// Runs the real `tessera` command (bin/tessera.js, from the TypeScript sources) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tessera.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TesseraResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnTessera(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const base: NodeJS.ProcessEnv = { ...process.env };
  // The child must not inherit settings of the developer's shell.
  for (const k of ['TESSERA_CONF', 'TESSERA_DATA_DIR', 'TESSERA_LOG_LEVEL']) delete base[k];
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...base, TESSERA_FROM_SOURCE: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs to completion; `input` is written to stdin, which is then closed (a pipe, never a TTY). */
export function runTessera(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TesseraResult> {
  const child = spawnTessera(args, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.on('error', () => {});
  child.stdin!.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
