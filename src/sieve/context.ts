// What the executor is given (the message, its envelope, callbacks for what needs I/O) and what it
// returns (actions). Delivery builds the first and carries out the second; the interpreter itself
// reads nothing.
import type { RawHeader } from '../mime/types.js';
import type { SieveLimits } from './limits.js';

export interface SieveMessage {
  /** Top-level header fields, raw, in message order (our Return-Path and Received included). */
  headers: RawHeader[];
  /** Size in octets (the size test). */
  size: number;
  /** SMTP envelope: MAIL FROM ('' for the null sender) and the RCPT TO this copy was delivered for. */
  envelope: { from: string; to: string };
  /** The whole message, read only when a body test runs (delivery may cut a huge one). */
  bytes(): Promise<Buffer>;
}

export interface SieveEnvironment {
  now: Date;
  /** The zone date tests use without :zone, in minutes east of UTC (default 0). */
  zoneOffsetMinutes?: number;
  /** RFC 6609 include: the text of a script, or null when there is no such script. */
  loadScript?(name: string, location: 'personal' | 'global'): Promise<string | null>;
  /** RFC 5490 mailboxexists. Without it, no mailbox exists. */
  mailboxExists?(name: string): Promise<boolean>;
  /**
   * RFC 7352 duplicate: true when `id` was seen under `handle` within `seconds` (null: the site
   * default); records it as seen unless this is only a check (the callback decides how long).
   */
  duplicate?(check: { handle: string; id: string; seconds: number | null; last: boolean }): Promise<boolean>;
  limits?: Partial<SieveLimits>;
}

export interface VacationAction {
  type: 'vacation';
  /** The reply text (a MIME entity when `mime`). */
  reason: string;
  mime: boolean;
  subject: string | null;
  from: string | null;
  /** Extra addresses that count as the user's (RFC 5230 :addresses). */
  addresses: string[];
  /** Identifies the response for replied-tracking (RFC 5230 :handle; default derived from the arguments). */
  handle: string;
  /** Minimum interval between replies to one sender, in seconds (:days × 86400, or :seconds). */
  seconds: number;
}

export type SieveAction =
  | { type: 'keep'; flags: string[]; implicit: boolean }
  | { type: 'fileinto'; mailbox: string; flags: string[]; create: boolean }
  | { type: 'redirect'; address: string }
  | { type: 'discard' }
  | { type: 'reject'; reason: string; extended: boolean }
  | VacationAction;

export interface SieveResult {
  /** In script order, the implicit keep (when not cancelled) last. */
  actions: SieveAction[];
  /** The header fields after editheader, or null when the script changed none. */
  editedHeaders: RawHeader[] | null;
  /** Steps the execution used (for logs and the benchmark). */
  steps: number;
}
