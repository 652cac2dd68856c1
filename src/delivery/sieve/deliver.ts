// One local recipient's copy when Sieve is on: run their active script (./filter.ts) and carry out
// what it decided for the store — keep and fileinto (with :create and imap4flags flags), discard,
// reject, editheader on this user's copy. Redirects and the vacation reply are returned for the
// delivery service to send once every copy is stored (it owns routing and the outbound queue).
// Anything that cannot be done as the script said falls back to a copy in INBOX, never to a loss.
import type { Logger } from '../../log/logger.js';
import type { RawHeader } from '../../mime/types.js';
import type { RecipientOutcome } from '../../core/delivery.js';
import type { SpooledMessage } from '../../store/types.js';
import { spoolWithPrefix } from '../../store/index.js';
import type { SieveAction, VacationAction } from '../../sieve/index.js';
import { headerBlock } from '../dsn.js';
import type { LocalDelivery, Placement } from '../local.js';
import { SieveFilter, type SieveFilterStore } from './filter.js';
import { MailboxNotFoundError, resolveMailbox } from './mailboxes.js';
import { hasLoopMarker, RedirectBudget } from './redirect.js';

/** Body tests read at most this much of a message (the rest is not searched). */
const MAX_BODY_READ = 8 * 1024 * 1024;
/** IMAP flag or keyword (RFC 3501 flag-keyword / system flag); others are dropped, not stored. */
const FLAG = /^\\?[^\s(){%*"\\\]\x00-\x1f\x7f]+$/;

export interface SieveCopy {
  user: string;
  address: string;
  sender: string;
  /** The stored form: our Return-Path and Received on top of the message. */
  bytes: Buffer | SpooledMessage;
  /** Header fields of `bytes`, read when the recipient has an active script. */
  headers: () => Promise<RawHeader[]>;
  receivedAt: Date;
  /** DMARC quarantine: the implicit keep of a copy without a (working) script goes to Junk. */
  quarantine?: boolean;
}

export interface SieveDecision {
  outcome: RecipientOutcome;
  /** Addresses to send a copy to, in script order (loop and rate checks already passed). */
  redirects: string[];
  /** The script's vacation action; 'default' = the JMAP VacationResponse applies; null = no reply. */
  vacation: VacationAction | 'default' | null;
}

export interface SieveDeliveryOptions {
  store: SieveFilterStore;
  local: LocalDelivery;
  logger: Logger;
  redirectsPerHour: number;
  filter?: SieveFilter;
}

export class SieveDelivery {
  private readonly filter: SieveFilter;
  private readonly budget: RedirectBudget;

  constructor(private readonly options: SieveDeliveryOptions) {
    this.filter = options.filter ?? new SieveFilter({ store: options.store, logger: options.logger });
    this.budget = new RedirectBudget(options.redirectsPerHour);
  }

  async deliver(copy: SieveCopy): Promise<SieveDecision> {
    const { local, logger } = this.options;
    const size = Buffer.isBuffer(copy.bytes) ? copy.bytes.length : copy.bytes.size;
    const run = await this.filter.run({
      user: copy.user,
      address: copy.address,
      sender: copy.sender,
      headers: copy.headers,
      size,
      bytes: () => readBounded(copy.bytes, MAX_BODY_READ),
      now: copy.receivedAt,
    });
    if (run.kind !== 'actions') {
      return { outcome: await local.deliver(copy.user, copy.address, copy.bytes, copy.receivedAt, undefined, copy.quarantine === true), redirects: [], vacation: 'default' };
    }
    const actions = run.result.actions;
    const reject = actions.find((a): a is Extract<SieveAction, { type: 'reject' }> => a.type === 'reject');
    if (reject) {
      logger.info({ user: copy.user, script: run.script }, 'sieve rejected the message');
      return { outcome: { address: copy.address, status: 'failed', reason: 'rejected', message: reject.reason }, redirects: [], vacation: null };
    }
    // keep (explicit, implicit, or a failed fileinto/redirect) honours a DMARC quarantine like the plain path.
    const inbox = await local.keepTarget(copy.user, copy.quarantine === true);
    const placements = new Map<string, Placement>();
    const place = (mailboxId: string, flags: string[]): void => {
      const valid = flags.filter((f) => FLAG.test(f));
      const key = valid.map((f) => f.toLowerCase()).sort().join(' ');
      const p = placements.get(key) ?? { mailboxIds: [], flags: valid };
      if (!p.mailboxIds.includes(mailboxId)) p.mailboxIds.push(mailboxId);
      placements.set(key, p);
    };
    const redirects: string[] = [];
    for (const a of actions) {
      if (a.type === 'keep') place(inbox, a.flags);
      else if (a.type === 'fileinto') {
        try {
          place(await resolveMailbox(this.options.store, copy.user, a.mailbox, a.create), a.flags);
        } catch (err) {
          if (!(err instanceof MailboxNotFoundError)) throw err;
          logger.warn({ user: copy.user, script: run.script, reason: err.message }, 'sieve fileinto failed; copy kept in INBOX');
          place(inbox, a.flags);
        }
      } else if (a.type === 'redirect') {
        if (hasLoopMarker(run.headers, [copy.address, copy.user])) {
          logger.warn({ user: copy.user, script: run.script }, 'sieve redirect refused: the message already passed this address (loop); kept in INBOX');
          place(inbox, []);
        } else if (!this.budget.take(copy.user, copy.receivedAt)) {
          logger.warn({ user: copy.user, script: run.script }, 'sieve redirect refused: hourly redirect limit reached; kept in INBOX');
          place(inbox, []);
        } else {
          redirects.push(a.address);
        }
      }
    }
    const vacation = actions.find((a): a is VacationAction => a.type === 'vacation') ?? null;
    if (placements.size === 0) {
      // discard, or redirect only: done as the user asked; nothing stored, nothing to answer from.
      return { outcome: { address: copy.address, status: 'delivered' }, redirects, vacation };
    }
    const bytes = run.result.editedHeaders ? await withHeaders(copy.bytes, run.result.editedHeaders) : copy.bytes;
    let outcome: RecipientOutcome;
    try {
      outcome = await local.deliver(copy.user, copy.address, bytes, copy.receivedAt, [...placements.values()]);
    } finally {
      // An edited copy spooled here (the store renames what it keeps; discard leaves that alone).
      if (bytes !== copy.bytes && !Buffer.isBuffer(bytes)) await bytes.discard();
    }
    return { outcome, redirects: outcome.status === 'delivered' ? redirects : [], vacation: outcome.status === 'delivered' ? (vacation ?? 'default') : null };
  }
}

async function readBounded(bytes: Buffer | SpooledMessage, max: number): Promise<Buffer> {
  if (Buffer.isBuffer(bytes)) return bytes.length > max ? bytes.subarray(0, max) : bytes;
  return bytes.size > max ? bytes.head(max) : bytes.read();
}

/**
 * The message with its header block replaced by `headers` (editheader's result for this copy). A
 * spooled message gives a spooled copy, written a chunk at a time: never the whole message in memory.
 */
async function withHeaders(bytes: Buffer | SpooledMessage, headers: RawHeader[]): Promise<Buffer | SpooledMessage> {
  const fields = Buffer.from(headers.map((h) => `${h.name}:${h.value}\r\n`).join(''), 'utf8');
  const held = Buffer.isBuffer(bytes) ? bytes : bytes.heldBytes;
  if (held) {
    const body = held.subarray(headerBlock(held).length);
    return Buffer.concat([fields, body.subarray(0, 2).toString() === '\r\n' ? body : Buffer.concat([CRLF, body])]);
  }
  const spooled = bytes as SpooledMessage;
  const end = await headerEnd(spooled);
  // The body keeps its blank line; a message without one (no body) gets it after the new fields.
  return spoolWithPrefix(end < spooled.size ? fields : Buffer.concat([fields, CRLF]), spooled, [{ start: 0, end }]);
}

const CRLF = Buffer.from('\r\n');
const BLANK_LINE = Buffer.from('\r\n\r\n');

/** Length of a spooled message's header block as headerBlock() counts it, found reading chunk by chunk. */
async function headerEnd(message: SpooledMessage): Promise<number> {
  let offset = 0;
  let carry = Buffer.alloc(0);
  for await (const chunk of message.stream()) {
    const window = Buffer.concat([carry, chunk as Buffer]);
    const at = window.indexOf(BLANK_LINE);
    if (at >= 0) return offset - carry.length + at + 2;
    offset += (chunk as Buffer).length;
    carry = window.subarray(Math.max(0, window.length - 3));
  }
  return message.size;
}
