// Checks a parsed script against ./specs.ts and the rules RFC 5228 and its extensions state in prose
// (require first, elsif/else after if, known comparators, relational operators, date parts…), and
// builds the compiled form the executor runs. Every problem is reported with its line and column.
import type { Argument, CommandNode, Position, SieveError, SieveString, TestNode } from './ast.js';
import type { CompiledSieve, Node, Value } from './compiled.js';
import { decodeEncodedCharacters, EncodedCharacterError } from './encoded-character.js';
import { isKnownCapability } from './extensions.js';
import { COMMANDS, TESTS, type ArgType, type Spec } from './specs.js';
import { checkRegex } from './regex.js';
import { PROTECTED_HEADERS } from './protected.js';
import { own } from './own.js';

export const COMPARATORS: Record<string, string | undefined> = {
  'i;octet': undefined,
  'i;ascii-casemap': undefined,
  'i;ascii-numeric': 'comparator-i;ascii-numeric',
};
export const RELATIONS = new Set(['gt', 'ge', 'lt', 'le', 'eq', 'ne']);
export const DATE_PARTS = new Set(['year', 'month', 'day', 'date', 'julian', 'hour', 'minute', 'second', 'time', 'iso8601', 'std11', 'zone', 'weekday']);
/** RFC 5228 §5.1: the address test works on headers that hold addresses (plus the RFC 5322 resent ones). */
export const ADDRESS_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'sender', 'reply-to', 'resent-from', 'resent-to', 'resent-cc', 'resent-bcc', 'resent-sender',
  'return-path', 'delivered-to', 'envelope-to', 'x-original-to', 'original-recipient', 'disposition-notification-to',
]);
const ENVELOPE_PARTS = new Set(['from', 'to']);
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;
const ZONE = /^[+-]\d{4}$/;

export function validate(commands: CommandNode[], size: number): { ok: true; script: CompiledSieve } | { ok: false; errors: SieveError[] } {
  return new Validator().run(commands, size);
}

class Validator {
  private readonly errors: SieveError[] = [];
  private readonly capabilities = new Set<string>();

  private error(at: Position, message: string): void {
    // One script can hold thousands of mistakes; a handful is enough to fix the first ones.
    if (this.errors.length < 20) this.errors.push({ line: at.line, column: at.column, message });
  }

  run(commands: CommandNode[], size: number): { ok: true; script: CompiledSieve } | { ok: false; errors: SieveError[] } {
    let i = 0;
    for (; i < commands.length && commands[i]!.name === 'require'; i++) this.require(commands[i]!);
    if (this.capabilities.has('encoded-character')) this.decode(commands);
    const compiled = this.block(commands.slice(i), true);
    if (this.errors.length > 0) return { ok: false, errors: this.errors };
    return { ok: true, script: { commands: compiled, capabilities: this.capabilities, size } };
  }

  private require(command: CommandNode): void {
    const arg = command.args[0];
    if (command.args.length !== 1 || arg?.kind !== 'strings' || command.tests.length > 0 || command.block) {
      this.error(command, 'require takes one string list');
      return;
    }
    for (const s of arg.values) {
      if (isKnownCapability(s.value)) this.capabilities.add(s.value);
      else this.error(s, `unsupported extension "${s.value}"`);
    }
  }

  private decode(commands: Array<CommandNode | TestNode>): void {
    for (const c of commands) {
      for (const a of c.args) {
        if (a.kind !== 'strings') continue;
        for (const s of a.values) {
          try {
            s.value = decodeEncodedCharacters(s.value);
          } catch (err) {
            if (!(err instanceof EncodedCharacterError)) throw err;
            this.error(s, err.message);
          }
        }
      }
      this.decode(c.tests);
      if ('block' in c && c.block) this.decode(c.block);
    }
  }

  private block(commands: CommandNode[], topLevel: boolean): Node[] {
    const out: Node[] = [];
    for (const c of commands) {
      if (c.name === 'require') {
        this.error(c, topLevel ? 'require must come before any other command' : 'require is only allowed at the top of the script');
        continue;
      }
      if (c.name === 'elsif' || c.name === 'else') {
        const previous = out[out.length - 1];
        const open = previous?.branches && previous.branches[previous.branches.length - 1]!.test !== null;
        if (!previous || !open) {
          this.error(c, `${c.name} must follow if or elsif`);
          continue;
        }
        const node = this.command(c);
        if (node) previous.branches!.push({ test: node.tests[0] ?? null, block: node.block ?? [] });
        continue;
      }
      const node = this.command(c);
      if (!node) continue;
      if (node.name === 'if') node.branches = [{ test: node.tests[0]!, block: node.block ?? [] }];
      out.push(node);
    }
    return out;
  }

  private command(c: CommandNode): Node | null {
    const spec = own(COMMANDS, c.name);
    if (!spec) {
      this.error(c, `unknown command "${c.name}"`);
      return null;
    }
    const node = this.check(c, spec, 'command');
    if (spec.block && !c.block) this.error(c, `${c.name} needs a block`);
    if (!spec.block && c.block) this.error(c, `${c.name} takes no block`);
    const block = c.block ? this.block(c.block, false) : null;
    if (!node) return null;
    node.block = block;
    this.commandRules(node);
    return node;
  }

  private test(t: TestNode): Node | null {
    const spec = own(TESTS, t.name);
    if (!spec) {
      this.error(t, `unknown test "${t.name}"`);
      return null;
    }
    const node = this.check(t, spec, 'test');
    if (node) this.testRules(node);
    return node;
  }

  private needs(at: Position, capability: string | undefined, what: string): boolean {
    if (capability === undefined || this.capabilities.has(capability)) return true;
    this.error(at, `${what} needs require "${capability}"`);
    return false;
  }

  /** Arguments, tags and tests against the spec; null when the node cannot be used. */
  private check(c: CommandNode | TestNode, spec: Spec, kind: 'command' | 'test'): Node | null {
    if (!this.needs(c, spec.capability, `${kind} "${c.name}"`)) return null;
    const tags = new Map<string, Value | true>();
    const groups = new Map<string, string>();
    const positional: Array<{ arg: Argument; value: Value }> = [];
    let ok = true;
    const args = c.args;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a.kind !== 'tag') {
        positional.push({ arg: a, value: toValue(a) });
        continue;
      }
      if (positional.length > 0) {
        this.error(a, `tag ":${a.name}" must come before the positional arguments of ${c.name}`);
        ok = false;
      }
      const tag = own(spec.tags, a.name);
      if (!tag) {
        this.error(a, `${c.name} has no tag ":${a.name}"`);
        ok = false;
        continue;
      }
      if (!this.needs(a, tag.capability, `":${a.name}"`)) ok = false;
      if (tags.has(a.name)) {
        this.error(a, `":${a.name}" given twice`);
        ok = false;
      }
      if (tag.group) {
        const other = groups.get(tag.group);
        if (other !== undefined) {
          this.error(a, `":${a.name}" cannot be combined with ":${other}"`);
          ok = false;
        }
        groups.set(tag.group, a.name);
      }
      if (tag.arg) {
        const next = args[i + 1];
        if (!next || next.kind === 'tag' || !fits(next, tag.arg)) {
          this.error(next ?? a, `":${a.name}" must be followed by ${describe(tag.arg)}`);
          ok = false;
          continue;
        }
        i++;
        tags.set(a.name, toValue(next));
      } else {
        tags.set(a.name, true);
      }
    }
    if (spec.requiredGroup && !groups.has(spec.requiredGroup)) {
      const names = Object.entries(spec.tags).filter(([, t]) => t.group === spec.requiredGroup).map(([n]) => `:${n}`);
      this.error(c, `${c.name} needs one of ${names.join(', ')}`);
      ok = false;
    }
    const expected = [...spec.args];
    if (spec.leadingOptional && positional.length === expected.length + 1) expected.unshift(spec.leadingOptional);
    if (spec.trailingOptional && positional.length === expected.length + 1) expected.push(spec.trailingOptional);
    if (positional.length !== expected.length) {
      this.error(c, `${c.name} takes ${expected.length} positional argument${expected.length === 1 ? '' : 's'}, found ${positional.length}`);
      ok = false;
    } else {
      expected.forEach((type, i) => {
        const p = positional[i]!;
        if (!fits(p.arg, type)) {
          this.error(p.arg, `argument ${i + 1} of ${c.name} must be ${describe(type)}`);
          ok = false;
        }
      });
    }
    let tests: Node[] = [];
    if (spec.tests === 'none' && c.tests.length > 0) {
      this.error(c.tests[0]!, `${c.name} takes no test`);
      ok = false;
    } else if (spec.tests === 'one' && (c.tests.length !== 1 || c.testList)) {
      this.error(c, `${c.name} takes exactly one test`);
      ok = false;
    } else if (spec.tests === 'list' && !c.testList) {
      this.error(c, `${c.name} takes a parenthesised test list`);
      ok = false;
    } else {
      const compiled = c.tests.map((t) => this.test(t));
      if (compiled.some((t) => t === null)) ok = false;
      tests = compiled as Node[];
    }
    if (!ok) return null;
    return { name: c.name, line: c.line, column: c.column, tags, args: positional.map((p) => p.value), tests, block: null };
  }

  /** Rules shared by tests and commands with comparators and match types. */
  private matchRules(node: Node): void {
    const comparator = node.tags.get('comparator');
    if (comparator !== undefined && comparator !== true && comparator.kind === 'strings') {
      const name = comparator.values[0]!;
      if (!Object.hasOwn(COMPARATORS, name)) this.error(node, `unknown comparator "${name}"`);
      else this.needs(node, own(COMPARATORS, name), `comparator "${name}"`);
    }
    for (const rel of ['value', 'count']) {
      const v = node.tags.get(rel);
      if (v !== undefined && v !== true && v.kind === 'strings' && !RELATIONS.has(v.values[0]!.toLowerCase())) {
        this.error(node, `":${rel}" needs one of gt, ge, lt, le, eq, ne; found "${v.values[0]}"`);
      }
    }
    // RFC 4790 §9.1: i;ascii-numeric offers equality and ordering only, no substring operation.
    if (strings(node.tags.get('comparator'))[0] === 'i;ascii-numeric') {
      for (const kind of ['contains', 'matches', 'regex']) {
        if (node.tags.has(kind)) this.error(node, `:${kind} cannot be used with the i;ascii-numeric comparator`);
      }
    }
    if (node.tags.has('regex')) {
      const keys = node.args[node.args.length - 1];
      if (keys?.kind === 'strings') {
        for (const key of keys.values) {
          // A pattern with variables is checked again when it is expanded, at run time.
          if (this.capabilities.has('variables') && key.includes('${')) continue;
          const problem = checkRegex(key);
          if (problem) this.error(node, `bad :regex pattern ${JSON.stringify(key.slice(0, 40))}: ${problem}`);
        }
      }
    }
    if (node.tags.has('last') && !node.tags.has('index')) this.error(node, '":last" needs ":index"');
    const index = node.tags.get('index');
    if (index !== undefined && index !== true && index.kind === 'number' && index.value < 1) this.error(node, '":index" counts from 1');
  }

  /** A string the validator can check now: no variable reference that only run time resolves. */
  private literal(s: string): boolean {
    return !(this.capabilities.has('variables') && s.includes('${'));
  }

  private testRules(node: Node): void {
    this.matchRules(node);
    switch (node.name) {
      case 'address':
        for (const h of strings(node.args[0])) {
          if (this.literal(h) && !ADDRESS_HEADERS.has(h.toLowerCase())) this.error(node, `"${h}" is not an address header`);
        }
        break;
      case 'envelope':
        for (const p of strings(node.args[0])) {
          if (this.literal(p) && !ENVELOPE_PARTS.has(p.toLowerCase())) this.error(node, `unknown envelope part "${p}"`);
        }
        break;
      case 'date':
      case 'currentdate': {
        const part = strings(node.args[node.name === 'date' ? 1 : 0])[0]!;
        if (this.literal(part) && !DATE_PARTS.has(part.toLowerCase())) this.error(node, `unknown date part "${part}"`);
        const zone = node.tags.get('zone');
        if (zone !== undefined && zone !== true) {
          const z = strings(zone)[0]!;
          if (this.literal(z) && !ZONE.test(z)) this.error(node, `":zone" must look like +0100 or -0500, found "${z}"`);
        }
        break;
      }
      case 'hasflag':
        if (node.args.length === 2) {
          for (const v of strings(node.args[0])) if (!VARIABLE_NAME.test(v)) this.error(node, `bad variable name "${v}"`);
          this.needs(node, 'variables', 'a variable list in hasflag');
        }
        break;
      case 'duplicate': {
        const header = node.tags.get('header');
        if (header !== undefined && header !== true && !FIELD_NAME.test(strings(header)[0]!)) this.error(node, 'bad header name');
        break;
      }
      default:
        break;
    }
  }

  private commandRules(node: Node): void {
    switch (node.name) {
      case 'set':
        for (const name of strings(node.args[0])) if (!VARIABLE_NAME.test(name)) this.error(node, `bad variable name "${name}"`);
        break;
      case 'setflag':
      case 'addflag':
      case 'removeflag':
        if (node.args.length === 2) {
          const name = strings(node.args[0])[0]!;
          if (!VARIABLE_NAME.test(name)) this.error(node, `bad variable name "${name}"`);
          this.needs(node, 'variables', `a variable name in ${node.name}`);
        }
        break;
      case 'global':
        this.needs(node, 'variables', 'global');
        for (const name of strings(node.args[0])) if (!VARIABLE_NAME.test(name)) this.error(node, `bad variable name "${name}"`);
        break;
      case 'include': {
        const name = strings(node.args[0])[0]!;
        if (name === '' || /[/\\]/.test(name)) this.error(node, `bad script name "${name}"`);
        break;
      }
      case 'redirect': {
        const address = strings(node.args[0])[0]!;
        if (this.literal(address) && !/^[^\s@<>]+@[^\s@<>]+$/.test(address)) this.error(node, `"${address}" is not an address`);
        break;
      }
      case 'fileinto':
        if (strings(node.args[0])[0] === '') this.error(node, 'fileinto needs a mailbox name');
        break;
      case 'vacation': {
        const days = node.tags.get('days');
        if (days !== undefined && days !== true && days.kind === 'number' && days.value < 0) this.error(node, '":days" cannot be negative');
        break;
      }
      case 'addheader':
      case 'deleteheader': {
        if (node.name === 'deleteheader') this.matchRules(node);
        const name = strings(node.args[0])[0]!;
        if (this.literal(name) && !FIELD_NAME.test(name)) this.error(node, `"${name}" is not a header field name`);
        else if (this.literal(name) && PROTECTED_HEADERS.has(name.toLowerCase())) this.error(node, `${node.name} may not change "${name}"`);
        break;
      }
      default:
        break;
    }
  }
}

function toValue(a: Argument): Value {
  if (a.kind === 'number') return { kind: 'number', value: a.value };
  if (a.kind === 'strings') return { kind: 'strings', values: a.values.map((s: SieveString) => s.value) };
  throw new Error('a tag is not a value');
}

function fits(a: Argument, type: ArgType): boolean {
  if (type === 'number') return a.kind === 'number';
  if (type === 'string') return a.kind === 'strings' && a.values.length === 1 && a.single;
  return a.kind === 'strings';
}

function describe(type: ArgType): string {
  return type === 'number' ? 'a number' : type === 'string' ? 'a string' : 'a string list';
}

export function strings(v: Value | true | undefined): string[] {
  return v !== undefined && v !== true && v.kind === 'strings' ? v.values : [];
}
