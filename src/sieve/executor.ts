// Runs a compiled script against one message (RFC 5228 §2.10, §4, §5 and the extensions of
// ./extensions.ts) and returns the actions; it carries out none of them. Every command and test
// evaluated costs a step, matching costs in proportion to its work, and the limits of ./limits.ts
// bound steps, actions, redirects, includes and variables: exceeding one throws SieveLimitError, and
// any SieveRuntimeError means "implicit keep" to the caller.
import type { RawHeader } from '../mime/types.js';
import { headerValues, unfold } from '../mime/headers.js';
import { decodeWords } from '../mime/decode.js';
import { parseAddresses, type ParsedMailbox } from '../mime/addresses.js';
import { parseMessageDate } from '../mime/date.js';
import { splitSubaddress } from '../mime/subaddress.js';
import type { CompiledSieve, Node, Value } from './compiled.js';
import type { SieveAction, SieveEnvironment, SieveMessage, SieveResult, VacationAction } from './context.js';
import { SieveLimitError, SieveRuntimeError } from './errors.js';
import { DEFAULT_LIMITS, type SieveLimits } from './limits.js';
import { matchAny, matchSpecOf, type MatchContext, type MatchSpec } from './match.js';
import { applyModifiers, expandVariables, VariableScope } from './variables.js';
import { datePart, parseZone } from './date-parts.js';
import { bodyTexts, type BodyTransform } from './body.js';
import type { CompiledRegex } from './regex.js';
import { parseScript } from './parser.js';
import { validate } from './validator.js';
import { SieveSyntaxError } from './ast.js';
import { PROTECTED_HEADERS } from './protected.js';


const ADDRESS = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+$/;
const IMPLICIT_FLAGS = '\u0000imap4flags';

class StopSignal {}
class ReturnSignal {}

interface Frame {
  script: CompiledSieve;
  scope: VariableScope;
  depth: number;
}

export async function executeSieve(script: CompiledSieve, message: SieveMessage, env: SieveEnvironment): Promise<SieveResult> {
  return new Execution(message, env).run(script);
}

class Execution {
  private readonly limits: SieveLimits;
  private steps = 0;
  private readonly actions: SieveAction[] = [];
  private keepCancelled = false;
  private redirects = 0;
  private includes = 0;
  private readonly included = new Set<string>();
  private readonly globals = new Map<string, string>();
  private matchVars: string[] = [];
  private headers: RawHeader[];
  private edited = false;
  private added = 0;
  private readonly regexCache = new Map<string, CompiledRegex>();
  private readonly matchContext: MatchContext;
  private bodyBytes: Promise<Buffer> | undefined;
  private readonly bodyCache = new Map<string, string[]>();
  /** Field values by lowercased name (raw and decoded), dropped whenever editheader changes the fields. */
  private fieldCache = new Map<string, { raw: string[]; decoded?: string[] }>();

  constructor(
    private readonly message: SieveMessage,
    private readonly env: SieveEnvironment,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...env.limits };
    this.headers = message.headers;
    this.matchContext = { charge: (units) => this.charge(units), regexCache: this.regexCache };
  }

  private charge(units: number, line?: number): void {
    this.steps += units;
    if (this.steps > this.limits.maxSteps) throw new SieveLimitError(`more than ${this.limits.maxSteps} steps`, line);
  }

  async run(script: CompiledSieve): Promise<SieveResult> {
    const frame: Frame = { script, scope: this.newScope(), depth: 0 };
    try {
      await this.block(script.commands, frame);
    } catch (err) {
      if (!(err instanceof StopSignal) && !(err instanceof ReturnSignal)) throw err;
    }
    this.checkConflicts();
    if (!this.keepCancelled && !this.actions.some((a) => a.type === 'keep')) {
      this.actions.push({ type: 'keep', flags: this.flagsOf(frame, null), implicit: true });
    }
    return { actions: this.actions, editedHeaders: this.edited ? this.headers : null, steps: this.steps };
  }

  private newScope(): VariableScope {
    return new VariableScope(this.globals, this.limits.maxVariableLength, this.limits.maxVariables);
  }

  // ---- strings and arguments ----

  private expand(frame: Frame, s: string): string {
    if (!frame.script.capabilities.has('variables') || !s.includes('${')) return s;
    this.charge(1 + (s.length >> 8));
    return expandVariables(s, frame.scope, this.matchVars, this.limits.maxVariableLength);
  }

  private strings(frame: Frame, v: Value | true | undefined): string[] {
    if (v === undefined || v === true || v.kind !== 'strings') return [];
    return v.values.map((s) => this.expand(frame, s));
  }

  private string(frame: Frame, v: Value | true | undefined): string {
    return this.strings(frame, v)[0] ?? '';
  }

  private number(v: Value | true | undefined): number | null {
    return v !== undefined && v !== true && v.kind === 'number' ? v.value : null;
  }

  // ---- commands ----

  private async block(commands: Node[], frame: Frame): Promise<void> {
    for (const c of commands) await this.command(c, frame);
  }

  private addAction(action: SieveAction, node: Node): void {
    if (this.actions.length >= this.limits.maxActions) throw new SieveLimitError(`more than ${this.limits.maxActions} actions`, node.line);
    this.actions.push(action);
  }

  private async command(node: Node, frame: Frame): Promise<void> {
    this.charge(1, node.line);
    switch (node.name) {
      case 'if':
        for (const branch of node.branches!) {
          if (branch.test === null || (await this.test(branch.test, frame))) {
            await this.block(branch.block, frame);
            return;
          }
        }
        return;
      case 'stop':
        throw new StopSignal();
      case 'keep':
        this.addAction({ type: 'keep', flags: this.flagsOf(frame, node), implicit: false }, node);
        return;
      case 'discard':
        this.keepCancelled = true;
        this.addAction({ type: 'discard' }, node);
        return;
      case 'fileinto': {
        const mailbox = this.string(frame, node.args[0]);
        if (mailbox === '') throw new SieveRuntimeError('fileinto: empty mailbox name', node.line);
        if (!node.tags.has('copy')) this.keepCancelled = true;
        this.addAction({ type: 'fileinto', mailbox, flags: this.flagsOf(frame, node), create: node.tags.has('create') }, node);
        return;
      }
      case 'redirect': {
        const address = this.string(frame, node.args[0]).trim();
        if (!ADDRESS.test(address)) throw new SieveRuntimeError(`redirect: "${address.slice(0, 80)}" is not an address`, node.line);
        if (++this.redirects > this.limits.maxRedirects) throw new SieveLimitError(`more than ${this.limits.maxRedirects} redirects`, node.line);
        if (!node.tags.has('copy')) this.keepCancelled = true;
        this.addAction({ type: 'redirect', address }, node);
        return;
      }
      case 'reject':
      case 'ereject':
        this.keepCancelled = true;
        this.addAction({ type: 'reject', reason: this.string(frame, node.args[0]), extended: node.name === 'ereject' }, node);
        return;
      case 'vacation':
        this.addAction(this.vacation(node, frame), node);
        return;
      case 'set': {
        const name = this.string(frame, node.args[0]);
        const value = applyModifiers(this.string(frame, node.args[1]), node.tags);
        frame.scope.set(name, value);
        return;
      }
      case 'setflag':
      case 'addflag':
      case 'removeflag':
        this.flagCommand(node, frame);
        return;
      case 'include':
        await this.include(node, frame);
        return;
      case 'return':
        throw new ReturnSignal();
      case 'global':
        for (const name of this.strings(frame, node.args[0])) frame.scope.declareGlobal(name);
        return;
      case 'addheader':
        this.addHeader(node, frame);
        return;
      case 'deleteheader':
        this.deleteHeader(node, frame);
        return;
      default:
        // The validator admits only known commands; a compiled script from elsewhere is refused here.
        throw new SieveRuntimeError(`unknown command "${node.name}"`, node.line);
    }
  }

  private vacation(node: Node, frame: Frame): VacationAction {
    const days = this.number(node.tags.get('days'));
    const seconds = this.number(node.tags.get('seconds'));
    // RFC 5230 §4.1: default 7 days, at least 1; RFC 6131: :seconds may be 0 (always reply).
    const interval = seconds !== null ? seconds : Math.max(1, days ?? 7) * 86_400;
    const reason = this.string(frame, node.args[0]);
    const subject = node.tags.has('subject') ? this.string(frame, node.tags.get('subject')) : null;
    const from = node.tags.has('from') ? this.string(frame, node.tags.get('from')) : null;
    const explicit = node.tags.has('handle') ? this.string(frame, node.tags.get('handle')) : null;
    // RFC 5230 §4.2: without :handle, the response is identified by its arguments, so a changed
    // text is a new response that everyone gets again.
    const handle = explicit ?? `${subject ?? ''}\u0000${from ?? ''}\u0000${node.tags.has('mime') ? 'm' : ''}\u0000${reason}`;
    return {
      type: 'vacation',
      reason,
      mime: node.tags.has('mime'),
      subject,
      from,
      addresses: this.strings(frame, node.tags.get('addresses')),
      handle,
      seconds: interval,
    };
  }

  private async include(node: Node, frame: Frame): Promise<void> {
    const name = this.string(frame, node.args[0]);
    const location = node.tags.has('global') ? 'global' : 'personal';
    const key = `${location}:${name}`;
    if (node.tags.has('once') && this.included.has(key)) return;
    if (frame.depth + 1 > this.limits.maxIncludeDepth) throw new SieveLimitError(`include nested deeper than ${this.limits.maxIncludeDepth}`, node.line);
    if (++this.includes > this.limits.maxIncludes) throw new SieveLimitError(`more than ${this.limits.maxIncludes} includes`, node.line);
    const text = this.env.loadScript ? await this.env.loadScript(name, location) : null;
    if (text === null) {
      if (node.tags.has('optional')) return;
      throw new SieveRuntimeError(`include: no ${location} script "${name}"`, node.line);
    }
    this.charge(1 + (text.length >> 6), node.line);
    let compiled: CompiledSieve;
    try {
      const result = validate(parseScript(text), text.length);
      if (!result.ok) throw new SieveRuntimeError(`include "${name}": line ${result.errors[0]!.line}: ${result.errors[0]!.message}`, node.line);
      compiled = result.script;
    } catch (err) {
      if (err instanceof SieveSyntaxError) throw new SieveRuntimeError(`include "${name}": line ${err.line}: ${err.message}`, node.line);
      throw err;
    }
    this.included.add(key);
    try {
      await this.block(compiled.commands, { script: compiled, scope: this.newScope(), depth: frame.depth + 1 });
    } catch (err) {
      if (!(err instanceof ReturnSignal)) throw err;
    }
  }

  // ---- imap4flags (RFC 5232) ----

  private flagVariable(node: Node, frame: Frame): string {
    return node.args.length === 2 ? this.string(frame, node.args[0]) : IMPLICIT_FLAGS;
  }

  private readFlags(frame: Frame, variable: string): string[] {
    const raw = variable === IMPLICIT_FLAGS ? (this.globals.get(IMPLICIT_FLAGS) ?? '') : frame.scope.get(variable);
    return splitFlags([raw]);
  }

  private writeFlags(frame: Frame, variable: string, flags: string[]): void {
    const value = flags.join(' ');
    if (variable === IMPLICIT_FLAGS) this.globals.set(IMPLICIT_FLAGS, value);
    else frame.scope.set(variable, value);
  }

  private flagCommand(node: Node, frame: Frame): void {
    const variable = this.flagVariable(node, frame);
    const given = splitFlags(this.strings(frame, node.args[node.args.length - 1]));
    let flags = node.name === 'setflag' ? [] : this.readFlags(frame, variable);
    if (node.name === 'removeflag') {
      const drop = new Set(given.map((f) => f.toLowerCase()));
      flags = flags.filter((f) => !drop.has(f.toLowerCase()));
    } else {
      flags = splitFlags([...flags, ...given]);
    }
    this.writeFlags(frame, variable, flags);
  }

  /** The flags of keep/fileinto: their :flags argument, else the internal variable. */
  private flagsOf(frame: Frame, node: Node | null): string[] {
    if (!frame.script.capabilities.has('imap4flags') && !this.globals.has(IMPLICIT_FLAGS)) return [];
    if (node && node.tags.has('flags')) return splitFlags(this.strings(frame, node.tags.get('flags')));
    return splitFlags([this.globals.get(IMPLICIT_FLAGS) ?? '']);
  }

  // ---- editheader (RFC 5293) ----

  private addHeader(node: Node, frame: Frame): void {
    const name = this.string(frame, node.args[0]);
    const value = this.string(frame, node.args[1]);
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new SieveRuntimeError(`addheader: bad field name "${name.slice(0, 40)}"`, node.line);
    if (PROTECTED_HEADERS.has(name.toLowerCase())) return; // RFC 5293 §7: silently refused
    if (++this.added > this.limits.maxAddedHeaders) throw new SieveLimitError(`more than ${this.limits.maxAddedHeaders} added header fields`, node.line);
    // Folded and with CRLF only where folding allows, so the stored copy stays well-formed.
    const clean = value.replace(/\r?\n(?![ \t])/g, '\r\n ').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
    const field: RawHeader = { name, value: ` ${clean}` };
    this.headers = node.tags.has('last') ? [...this.headers, field] : [field, ...this.headers];
    this.edited = true;
    this.fieldCache.clear();
  }

  private deleteHeader(node: Node, frame: Frame): void {
    const name = this.string(frame, node.args[0]);
    if (PROTECTED_HEADERS.has(name.toLowerCase())) return;
    const lower = name.toLowerCase();
    const positions = this.headers.map((h, i) => (h.name.toLowerCase() === lower ? i : -1)).filter((i) => i >= 0);
    let candidates = positions;
    const index = this.number(node.tags.get('index'));
    if (index !== null) {
      const at = node.tags.has('last') ? positions.length - index : index - 1;
      candidates = at >= 0 && at < positions.length ? [positions[at]!] : [];
    }
    const patterns = node.args.length > 1 ? this.strings(frame, node.args[1]) : null;
    const spec = patterns ? matchSpecOf(node, (s) => this.expand(frame, s)) : null;
    const drop = new Set<number>();
    for (const i of candidates) {
      this.charge(1, node.line);
      if (patterns === null || matchAny([decodeWords(unfold(this.headers[i]!.value))], patterns, spec!, this.matchContext) !== null) drop.add(i);
    }
    if (drop.size === 0) return;
    this.headers = this.headers.filter((_, i) => !drop.has(i));
    this.edited = true;
    this.fieldCache.clear();
  }

  // ---- tests ----

  private async test(node: Node, frame: Frame): Promise<boolean> {
    this.charge(1, node.line);
    switch (node.name) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'not':
        return !(await this.test(node.tests[0]!, frame));
      case 'allof':
        for (const t of node.tests) if (!(await this.test(t, frame))) return false;
        return true;
      case 'anyof':
        for (const t of node.tests) if (await this.test(t, frame)) return true;
        return false;
      case 'exists':
        return this.strings(frame, node.args[0]).every((name) => this.headers.some((h) => h.name.toLowerCase() === name.toLowerCase()));
      case 'size': {
        const limit = this.number(node.args[0])!;
        return node.tags.has('over') ? this.message.size > limit : this.message.size < limit;
      }
      case 'header':
        return this.matched(node, frame, this.fieldValues(node, this.strings(frame, node.args[0]), true), this.strings(frame, node.args[1]));
      case 'address':
        return this.matched(node, frame, this.addressValues(node, frame), this.strings(frame, node.args[1]));
      case 'envelope':
        return this.matched(node, frame, this.envelopeValues(node, frame), this.strings(frame, node.args[1]));
      case 'string': {
        const spec = this.spec(node, frame);
        let values = this.strings(frame, node.args[0]);
        // RFC 5229 §5: for :count, empty strings are not counted.
        if (spec.type.kind === 'count') values = values.filter((v) => v !== '');
        return this.matched(node, frame, values, this.strings(frame, node.args[1]), spec);
      }
      case 'body':
        return this.matched(node, frame, await this.bodyValues(node, frame), this.strings(frame, node.args[0]));
      case 'date':
      case 'currentdate':
        return this.dateTest(node, frame);
      case 'hasflag': {
        const variables = node.args.length === 2 ? this.strings(frame, node.args[0]) : [IMPLICIT_FLAGS];
        const flags = variables.flatMap((v) => this.readFlags(frame, v));
        const keys = splitFlags(this.strings(frame, node.args[node.args.length - 1]));
        return this.matched(node, frame, flags, keys);
      }
      case 'mailboxexists': {
        for (const name of this.strings(frame, node.args[0])) {
          if (!this.env.mailboxExists || !(await this.env.mailboxExists(name))) return false;
        }
        return true;
      }
      case 'duplicate':
        return this.duplicateTest(node, frame);
      default:
        throw new SieveRuntimeError(`unknown test "${node.name}"`, node.line);
    }
  }

  private spec(node: Node, frame: Frame): MatchSpec {
    try {
      return matchSpecOf(node, (s) => this.expand(frame, s));
    } catch (err) {
      if (err instanceof SieveRuntimeError && err.line === undefined) throw new SieveRuntimeError(err.message, node.line);
      throw err;
    }
  }

  /** Runs the match and, on success with :matches/:regex, sets the match variables. */
  private matched(node: Node, frame: Frame, values: string[], keys: string[], spec = this.spec(node, frame)): boolean {
    const caps = matchAny(values, keys, spec, this.matchContext);
    if (caps === null) return false;
    if ((spec.type.kind === 'matches' || spec.type.kind === 'regex') && frame.script.capabilities.has('variables')) this.matchVars = caps;
    return true;
  }

  /** Occurrences of the named fields (after :index/:last), unfolded and RFC 2047-decoded. */
  private fieldValues(node: Node, names: string[], decode: boolean): string[] {
    const index = this.number(node.tags.get('index'));
    const out: string[] = [];
    for (const name of names) {
      let values = this.cachedValues(name, decode);
      if (index !== null) {
        const at = node.tags.has('last') ? values.length - index : index - 1;
        values = at >= 0 && at < values.length ? [values[at]!] : [];
      }
      out.push(...values);
    }
    return out;
  }

  /** Unfolded values of a field, RFC 2047-decoded when asked; many rules test the same few fields. */
  private cachedValues(name: string, decode: boolean): string[] {
    const key = name.toLowerCase();
    let entry = this.fieldCache.get(key);
    if (!entry) {
      entry = { raw: headerValues(this.headers, name) };
      if (this.fieldCache.size < 256) this.fieldCache.set(key, entry);
    }
    if (!decode) return entry.raw;
    entry.decoded ??= entry.raw.map((v) => (v.includes('=?') ? decodeWords(v) : v));
    return entry.decoded;
  }

  private addressPart(node: Node, local: string, domain: string | null): string | null {
    if (node.tags.has('localpart')) return local;
    if (node.tags.has('domain')) return domain ?? '';
    if (node.tags.has('user')) return splitSubaddress(local).user;
    if (node.tags.has('detail')) return splitSubaddress(local).detail ?? null;
    return domain === null ? local : `${local}@${domain}`;
  }

  private addressValues(node: Node, frame: Frame): string[] {
    const out: string[] = [];
    for (const raw of this.fieldValues(node, this.strings(frame, node.args[0]), false)) {
      const mailboxes = this.mailboxesOf(raw);
      this.charge(mailboxes.length);
      for (const m of mailboxes) {
        const part = this.addressPart(node, m.local, m.domain);
        if (part !== null) out.push(part);
      }
    }
    return out;
  }

  private readonly addressCache = new Map<string, ParsedMailbox[]>();

  private mailboxesOf(raw: string): ParsedMailbox[] {
    let mailboxes = this.addressCache.get(raw);
    if (mailboxes) return mailboxes;
    mailboxes = [];
    for (const item of parseAddresses(raw)) {
      if (item.kind === 'mailbox') mailboxes.push(item.mailbox);
      else mailboxes.push(...item.members);
    }
    if (this.addressCache.size < 256) this.addressCache.set(raw, mailboxes);
    return mailboxes;
  }

  private envelopeValues(node: Node, frame: Frame): string[] {
    const out: string[] = [];
    for (const part of this.strings(frame, node.args[0])) {
      const which = part.toLowerCase();
      if (which !== 'from' && which !== 'to') throw new SieveRuntimeError(`unknown envelope part "${part}"`, node.line);
      const address = which === 'from' ? this.message.envelope.from : this.message.envelope.to;
      // RFC 5228 §5.4: the null reverse-path compares as "" whatever the address part.
      if (address === '') {
        out.push('');
        continue;
      }
      const at = address.lastIndexOf('@');
      const value = this.addressPart(node, at < 0 ? address : address.slice(0, at), at < 0 ? null : address.slice(at + 1));
      if (value !== null) out.push(value);
    }
    return out;
  }

  private async bodyValues(node: Node, frame: Frame): Promise<string[]> {
    const transform: BodyTransform = node.tags.has('raw')
      ? { kind: 'raw' }
      : node.tags.has('content')
        ? { kind: 'content', types: this.strings(frame, node.tags.get('content')) }
        : { kind: 'text' };
    this.bodyBytes ??= this.message.bytes();
    const bytes = await this.bodyBytes;
    // Several body tests in one script decode the message once per transform.
    const key = transform.kind === 'content' ? `content:${transform.types.join('\u0000')}` : transform.kind;
    let texts = this.bodyCache.get(key);
    if (!texts) {
      this.charge(1 + (bytes.length >> 12), node.line);
      texts = bodyTexts(bytes, transform);
      if (this.bodyCache.size < 16) this.bodyCache.set(key, texts);
    }
    return texts;
  }

  private zoneFor(node: Node, frame: Frame, original: number | null): number {
    const zone = node.tags.get('zone');
    if (zone !== undefined) {
      const text = this.string(frame, zone);
      const offset = parseZone(text);
      if (offset === null) throw new SieveRuntimeError(`bad :zone "${text}"`, node.line);
      return offset;
    }
    if (node.tags.has('originalzone') && original !== null) return original;
    return this.env.zoneOffsetMinutes ?? 0;
  }

  private dateTest(node: Node, frame: Frame): boolean {
    let instant: Date;
    let original: number | null = null;
    let part: string;
    let keys: string[];
    if (node.name === 'currentdate') {
      instant = this.env.now;
      part = this.string(frame, node.args[0]);
      keys = this.strings(frame, node.args[1]);
    } else {
      const name = this.string(frame, node.args[0]);
      part = this.string(frame, node.args[1]);
      keys = this.strings(frame, node.args[2]);
      let raw = this.fieldValues(node, [name], false)[0];
      if (raw === undefined) return false;
      // RFC 5260 §4.1: in Received, the date is what follows the last ";".
      if (name.toLowerCase() === 'received') raw = raw.slice(raw.lastIndexOf(';') + 1);
      const parsed = parseMessageDate(raw);
      if (parsed === null) return false;
      instant = parsed.instant;
      original = parsed.offsetMinutes;
    }
    const value = datePart(instant, this.zoneFor(node, frame, original), part);
    if (value === null) throw new SieveRuntimeError(`unknown date part "${part}"`, node.line);
    return this.matched(node, frame, [value], keys);
  }

  private async duplicateTest(node: Node, frame: Frame): Promise<boolean> {
    let id: string;
    if (node.tags.has('uniqueid')) {
      id = this.string(frame, node.tags.get('uniqueid'));
    } else {
      const header = node.tags.has('header') ? this.string(frame, node.tags.get('header')) : 'Message-ID';
      const value = headerValues(this.headers, header)[0];
      // RFC 7352 §3.1: without the field there is nothing to compare; the message is not a duplicate.
      if (value === undefined) return false;
      id = header.toLowerCase() === 'message-id' ? value.replace(/\s+/g, '') : value;
    }
    if (!this.env.duplicate) return false;
    return this.env.duplicate({
      handle: node.tags.has('handle') ? this.string(frame, node.tags.get('handle')) : '',
      id,
      seconds: this.number(node.tags.get('seconds')),
      last: node.tags.has('last'),
    });
  }

  // ---- results ----

  /**
   * RFC 5228 §4.2: duplicate fileinto/redirect/keep actions are done once. RFC 5429 §2.1/§2.2:
   * reject cannot be combined with keep, fileinto or vacation, and only one reject runs;
   * RFC 5230 §4.6: one vacation per execution.
   */
  private checkConflicts(): void {
    const seen = new Set<string>();
    const kept: SieveAction[] = [];
    for (const a of this.actions) {
      const key =
        a.type === 'fileinto' ? `fileinto:${a.mailbox}` : a.type === 'redirect' ? `redirect:${a.address.toLowerCase()}` : a.type === 'keep' ? 'keep' : a.type === 'discard' ? 'discard' : null;
      if (key !== null && seen.has(key)) continue;
      if (key !== null) seen.add(key);
      kept.push(a);
    }
    this.actions.length = 0;
    this.actions.push(...kept);
    const rejects = kept.filter((a) => a.type === 'reject').length;
    if (rejects > 1) throw new SieveRuntimeError('more than one reject');
    if (rejects === 1 && kept.some((a) => a.type === 'keep' || a.type === 'fileinto' || a.type === 'vacation')) {
      throw new SieveRuntimeError('reject cannot be combined with keep, fileinto or vacation');
    }
    if (kept.filter((a) => a.type === 'vacation').length > 1) throw new SieveRuntimeError('more than one vacation');
  }
}

/** Flag lists: each string may hold several space-separated flags; duplicates (any case) removed. */
export function splitFlags(values: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    for (const f of v.split(/[ \t\r\n]+/)) {
      if (f === '' || seen.has(f.toLowerCase())) continue;
      seen.add(f.toLowerCase());
      out.push(f);
    }
  }
  return out;
}
