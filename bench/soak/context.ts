// What every client loop of the soak shares: the server's addresses and users, the statistics, the
// pacing settings, how many connections of each kind are open, and a stop that wakes every loop.
import { randomBytes } from 'node:crypto';
import type { SoakServerReady } from './server-child.js';
import type { SoakStats } from './stats.js';

/** Seconds, chosen uniformly between the two bounds each time. */
export type Range = readonly [number, number];

export interface Pacing {
  /** How long an IMAP connection stays in IDLE before its next round of commands. */
  idle: Range;
  /** Rounds (IDLE, FETCH, maybe APPEND) before an IMAP connection logs out and logs in again. */
  imapRounds: Range;
  /** Share of IMAP rounds that APPEND a message. */
  appendShare: number;
  /** Pause between two SMTP sessions of one client. */
  smtpPause: Range;
  /** Messages per SMTP session. */
  smtpMessages: Range;
  /** Pause between JMAP API calls of an EventSource client. */
  apiPause: Range;
  /** API calls before an EventSource client reconnects its stream. */
  apiCalls: Range;
}

export const DEFAULT_PACING: Pacing = {
  idle: [20, 60],
  imapRounds: [3, 8],
  appendShare: 0.25,
  smtpPause: [10, 30],
  smtpMessages: [1, 3],
  apiPause: [20, 60],
  apiCalls: [3, 8],
};

/**
 * Past MAILBOX_TRIM_AT messages an IMAP client expunges the oldest, down to MAILBOX_KEEP: mailboxes
 * stay bounded. The server child seeds each INBOX with a size drawn evenly from this band, so the
 * soak starts where it stays (mail arrives, clients trim) instead of with empty mailboxes that grow
 * for the whole run: what the server holds per selected mailbox then does not grow with the clock.
 */
export const MAILBOX_KEEP = 50;
export const MAILBOX_TRIM_AT = 100;

/** No operation may take longer: past this it counts as an error (a hang). */
export const OP_TIMEOUT_MS = 60_000;

export class SoakContext {
  stopping = false;
  readonly open = { imap: 0, idling: 0, smtp: 0, eventSource: 0 };
  /** Clients of each kind that have been through their first login (the soak's load is whole when all have). */
  readonly established = { imap: 0, smtp: 0, eventSource: 0 };
  private readonly sleepers = new Set<() => void>();

  constructor(
    readonly server: SoakServerReady,
    readonly password: string,
    readonly stats: SoakStats,
    readonly pacing: Pacing,
  ) {}

  /** Seconds from `range`, as milliseconds. */
  pick(range: Range): number {
    return (range[0] + Math.random() * (range[1] - range[0])) * 1000;
  }

  pickInt(range: Range): number {
    return Math.floor(range[0] + Math.random() * (range[1] - range[0] + 1));
  }

  user(i: number): string {
    return this.server.users[i % this.server.users.length]!;
  }

  /**
   * The loopback address user `i`'s clients connect from: each user a host of its own, as in real
   * life, rather than thousands of connections from one address (which the login throttle treats as
   * one very busy NAT).
   */
  userAddress(i: number): string {
    const n = i % this.server.users.length;
    return `127.1.${(n >> 8) & 255}.${(n & 255) + 1}`;
  }

  randomUser(): string {
    return this.server.users[Math.floor(Math.random() * this.server.users.length)]!;
  }

  /** Waits `ms`, or less when the soak stops or `wake` is called (a connection lost meanwhile). */
  sleep(ms: number): { done: Promise<void>; wake: () => void } {
    let wake: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      wake = () => {
        this.sleepers.delete(wake);
        finish();
      };
      this.sleepers.add(wake);
    });
    return { done: done.then(() => void this.sleepers.delete(wake)), wake };
  }

  stop(): void {
    this.stopping = true;
    for (const wake of [...this.sleepers]) wake();
  }
}

/** A plain-text message of a few kilobytes from `from` to `to`, CRLF line ends, no leading dots. */
export function soakMessage(from: string, to: string, subject: string): Buffer {
  const lines = [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@soak.client>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
  ];
  const paragraphs = 20 + Math.floor(Math.random() * 60);
  for (let i = 0; i < paragraphs; i++) lines.push(`Line ${i} of a soak message: ${randomBytes(24).toString('base64')}`);
  return Buffer.from(lines.join('\r\n'));
}
