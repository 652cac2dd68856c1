// Real ManageSieve clients for the tests: sieve-connect (Debian package, Perl) and a raw Python socket
// session (sasl-session.py).
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./sasl-session.py', import.meta.url));
const CLIENT_DEADLINE_MS = 20_000;

export interface ClientRun {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * sieve-connect with a password read from its standard input (--passwordfd 0), TLS required
 * (--noclearchan: it must do STARTTLS), the server's self-signed certificate accepted.
 */
export function sieveConnect(port: number, user: string, password: string, args: string[]): Promise<ClientRun> {
  return new Promise((resolve) => {
    const child = spawn(
      'sieve-connect',
      ['--server', '127.0.0.1', '--port', String(port), '--user', user, '--passwordfd', '0', '--notlsverify', '--noclearchan', ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_DEADLINE_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? -1 });
    });
    child.stdin.end(`${password}\n`);
  });
}

export interface PythonSieveResult {
  greeting: string[];
  greetingStatus: string;
  starttls: string;
  capabilities: string[];
  authenticate: string;
  /** The OAUTHBEARER error challenge of a refused token. */
  challenge?: string;
  putscript?: string;
  setactive?: string;
  list?: string[];
  getscript?: string;
  logout: string;
}

export function pythonSieveSession(spec: { port: number; mechanism: string; initial: string; name: string; script: string }): Promise<PythonSieveResult> {
  return new Promise((resolve, reject) => {
    execFile('python3', [SCRIPT, JSON.stringify(spec)], { timeout: CLIENT_DEADLINE_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`python ManageSieve session failed: ${stderr || error.message}`));
      resolve(JSON.parse(stdout) as PythonSieveResult);
    });
  });
}
