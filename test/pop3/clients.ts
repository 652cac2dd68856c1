// Real POP3 clients for the tests: Python's poplib (through poplib-session.py) and curl.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./poplib-session.py', import.meta.url));
const CLIENT_DEADLINE_MS = 20_000;

export type PoplibOp = ['stat'] | ['list'] | ['uidl'] | ['retr', number] | ['top', number, number] | ['dele', number] | ['rset'];

export interface PoplibResult {
  capa: string[];
  stat?: Array<[number, number]>;
  list?: string[][];
  uidl?: string[][];
  retr?: Array<{ lines: string[]; octets: number }>;
  top?: string[][];
  dele?: string[];
  quit: string;
}

function run(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: CLIENT_DEADLINE_MS, maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

export async function poplib(spec: { port: number; tls: 'stls' | 'implicit'; user: string; password: string; ops: PoplibOp[] }): Promise<PoplibResult> {
  const r = await run('python3', [SCRIPT, JSON.stringify(spec)]);
  if (r.code !== 0) throw new Error(`poplib session failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PoplibResult;
}

/** curl against a pop3/pop3s URL; `args` add the login options. Returns stdout (the listing or message). */
export async function curlPop3(url: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return run('curl', ['--silent', '--show-error', '--insecure', '--max-time', '15', ...args, url]);
}
