// The Python clients of the sharing and delegation tests (imaplib and smtplib, real clients beside
// imapflow and nodemailer), and the reading of the server's JSON audit lines they leave behind.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../harness.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const IMAP_STEPS = join(here, 'imaplib-steps.py');
const SMTP_SEND = join(here, 'smtplib-send.py');

/** One imaplib step's outcome: [typ, data lines]. */
export type ImaplibResult = [string, string[]];

/**
 * Runs imaplib steps as `user` ("authcid:authzid" for an authorization identity; a password of
 * "bearer:TOKEN" logs in with OAUTHBEARER); one [typ, data] per step. Rejects when the login fails.
 */
export async function imaplibSteps(port: number, user: string, password: string, steps: unknown[][]): Promise<ImaplibResult[]> {
  const { stdout } = await withTimeout(run('python3', [IMAP_STEPS, String(port), user, password, JSON.stringify(steps)]), 30_000, 'python imaplib');
  return JSON.parse(stdout) as ImaplibResult[];
}

export interface SmtpOutcome {
  auth: [number, string];
  send?: [number, string];
}

/** Submits one message with smtplib, authenticated as `authcid` acting as `authzid`. */
export async function smtplibSend(port: number, who: { authcid: string; authzid: string; password: string }, from: string, to: string): Promise<SmtpOutcome> {
  const { stdout } = await withTimeout(run('python3', [SMTP_SEND, String(port), who.authcid, who.authzid, who.password, from, to]), 30_000, 'python smtplib');
  return JSON.parse(stdout) as SmtpOutcome;
}

/** The JSON log lines of one audit event kind ("auth", "delegated-action"). */
export function auditLines<T>(logText: string, event: string): T[] {
  return logText
    .split('\n')
    .filter((l) => l.includes(`"event":"${event}"`))
    .map((l) => JSON.parse(l) as T);
}
