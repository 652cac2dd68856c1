// Runs a recipient's active Sieve script at local delivery. What comes out is either "no script"
// (deliver as before), the script's actions, or a failure: a script that does not compile, exceeds a
// limit or fails at run time delivers to INBOX (implicit keep, RFC 5228 §2.10.6) and is logged with
// the reason and the line, never with the message's contents.
import type { Logger } from '../../log/logger.js';
import type { RawHeader } from '../../mime/types.js';
import type { SieveScript, SieveScriptStore } from '../../store/api/sieve-scripts.js';
import type { AccountStore, MailboxStore, SettingsStore } from '../../store/types.js';
import { executeSieve, SieveRuntimeError, type SieveLimits, type SieveResult } from '../../sieve/index.js';
import { CompiledScripts } from './scripts.js';
import { DuplicateTracker } from './duplicates.js';

export type SieveFilterStore = Pick<SieveScriptStore, 'getActiveSieveScript' | 'getSieveScript' | 'sieveScriptState'> & AccountStore & MailboxStore & SettingsStore;

/** Users whose active script is remembered between deliveries; the least recently used go first. */
const MAX_REMEMBERED_USERS = 10_000;

export interface SieveInput {
  user: string;
  /** The address this copy was delivered for (envelope "to"). */
  address: string;
  /** Envelope sender ('' for the null sender). */
  sender: string;
  /** Header fields of the stored form; read only when the user has an active script. */
  headers: () => Promise<RawHeader[]>;
  size: number;
  /** The whole message as stored (body tests); read at most once per execution. */
  bytes: () => Promise<Buffer>;
  now: Date;
}

export type SieveOutcome =
  | { kind: 'none' }
  | { kind: 'actions'; result: SieveResult; script: string; headers: RawHeader[] }
  | { kind: 'failed'; script: string; reason: string };

export interface SieveFilterOptions {
  store: SieveFilterStore;
  logger: Logger;
  limits?: Partial<SieveLimits>;
}

export class SieveFilter {
  private readonly compiled = new CompiledScripts();
  /** user → their active script as of a SieveScript state: re-read only when the state moves. */
  private readonly active = new Map<string, { state: string; script: SieveScript | null }>();
  private readonly duplicates: DuplicateTracker;

  constructor(private readonly options: SieveFilterOptions) {
    this.duplicates = new DuplicateTracker(options.store);
  }

  async run(input: SieveInput): Promise<SieveOutcome> {
    const { store, logger } = this.options;
    const active = await this.activeScript(input.user);
    if (!active) return { kind: 'none' };
    const compiled = this.compiled.get(active.content);
    if (!compiled.ok) {
      const e = compiled.errors[0]!;
      return this.failed(input, active.name, `script does not compile: line ${e.line}: ${e.message}`);
    }
    const headers = await input.headers();
    try {
      const result = await executeSieve(
        compiled.script,
        { headers, size: input.size, envelope: { from: input.sender, to: input.address }, bytes: input.bytes },
        {
          now: input.now,
          ...(this.options.limits ? { limits: this.options.limits } : {}),
          // RFC 6609: personal scripts are the user's other scripts; there are no global ones.
          loadScript: async (name, location) => (location === 'personal' ? ((await store.getSieveScript(input.user, name))?.content ?? null) : null),
          mailboxExists: async (name) =>
            name.toUpperCase() === 'INBOX' || (await store.findMailboxByPath(input.user, name)) !== null,
          duplicate: (check) => this.duplicates.check(input.user, check, input.now),
        },
      );
      logger.debug({ user: input.user, script: active.name, steps: result.steps, actions: result.actions.map((a) => a.type) }, 'sieve script ran');
      return { kind: 'actions', result, script: active.name, headers };
    } catch (err) {
      if (!(err instanceof SieveRuntimeError)) throw err;
      return this.failed(input, active.name, `${err.message}${err.line !== undefined ? ` (line ${err.line})` : ''}`);
    }
  }

  /**
   * The user's active script. Every script write moves the account's SieveScript state (a cheap
   * read), so the script's text (a blob read) is fetched again only after a change, by any node.
   */
  private async activeScript(user: string): Promise<SieveScript | null> {
    const { store } = this.options;
    const state = await store.sieveScriptState(user);
    const known = this.active.get(user);
    if (known && known.state === state) {
      this.active.delete(user);
      this.active.set(user, known);
      return known.script;
    }
    // Read after the state: a write in between leaves a newer script under an older state, which
    // the next delivery (seeing the newer state) reads again.
    const script = await store.getActiveSieveScript(user);
    this.active.set(user, { state, script });
    if (this.active.size > MAX_REMEMBERED_USERS) this.active.delete(this.active.keys().next().value!);
    return script;
  }

  private failed(input: SieveInput, script: string, reason: string): SieveOutcome {
    this.options.logger.warn({ user: input.user, script, reason }, 'sieve script failed; message kept in INBOX');
    return { kind: 'failed', script, reason };
  }
}
