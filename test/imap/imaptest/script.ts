// Parses an imaptest script (format: ../shared/imaptest/scripted_test.md; semantics follow
// imaptest's test-parser.c): header, then command groups with expected untagged and tagged replies.
import { parseArgs, type Arg } from './args.js';

export type StartState = 'nonauth' | 'auth' | 'created' | 'appended' | 'selected';
export type Existence = 'must' | 'mustnot' | 'maybe';

export interface ExpectedUntagged {
  args: Arg[];
  existence: Existence;
}

export interface ScriptCommand {
  /** Command text with variables unexpanded; may contain `{n}\r\n` literals. */
  text: string;
  /** Script-local pipelining tag (tag1 → 1), 0 when none. */
  tag: number;
  /** Expected tagged reply: first element ok/no/bad or "" (any), rest a prefix to match. */
  reply?: Arg[];
  line: number;
}

export interface CommandGroup {
  /** 0-based connection index. */
  connection: number;
  commands: ScriptCommand[];
  untagged: ExpectedUntagged[];
  ordered: boolean;
  sleepMs: number;
  haveBye: boolean;
  repliesPending: number;
}

export interface Script {
  name: string;
  capabilities: string[];
  connections: number;
  /** Messages appended at start-up; Infinity = all. */
  messages: number;
  state: StartState;
  ignoreExtraUntagged: boolean;
  /** `user N:` headers: connection index → user ($user2 means a second test user). */
  users: Map<number, string>;
  groups: CommandGroup[];
}

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

function replyOf(line: string): { tag: number; reply?: Arg[]; rest: string } {
  let rest = line;
  let tag = 0;
  const tm = /^tag(\d+) /i.exec(rest);
  if (tm && Number(tm[1]) > 0) {
    tag = Number(tm[1]);
    rest = rest.slice(tm[0].length);
  }
  const word = rest.split(' ')[0]!;
  const lower = word.toLowerCase();
  let reply: Arg[] | undefined;
  if (lower === 'ok' || lower === 'no' || lower === 'bad') {
    reply = [{ t: 'atom', v: lower }];
    rest = rest.slice(word.length);
  } else if (word === '""') {
    reply = [{ t: 'string', v: '' }];
    rest = rest.slice(2);
  }
  if (reply && rest.startsWith(' ')) rest = rest.slice(1);
  return { tag, ...(reply ? { reply } : {}), rest };
}

/** Adds imaptest's default list directives (test_add_default_directives). */
function addDefaults(args: Arg[]): void {
  let name = '';
  const a0 = args[0];
  if (a0 && a0.t === 'atom') {
    name = a0.v;
    if (name.startsWith('$') || /^[0-9]/.test(name)) name = args[1]?.t === 'atom' ? args[1].v : '';
  }
  name = name.toLowerCase();
  const hasDirectives = (items: Arg[]): boolean => items[0]?.t === 'atom' && items[0].v.startsWith('$!');
  args.forEach((a, i) => {
    if (a.t !== 'list') return;
    if ((name === 'list' || name === 'lsub') && i === 1 && !hasDirectives(a.items)) a.items.unshift({ t: 'atom', v: '$!unordered' });
    if (name === 'status' && i === 2 && !hasDirectives(a.items)) a.items.unshift({ t: 'atom', v: '$!unordered=2' });
    if (name === 'fetch' && i === 2) {
      let prev = '';
      a.items.forEach((sub) => {
        if (sub.t === 'atom') prev = sub.v.toLowerCase();
        if (sub.t === 'list' && prev === 'flags' && !hasDirectives(sub.items)) {
          sub.items.unshift(
            { t: 'atom', v: '$!unordered' },
            { t: 'atom', v: '$!noextra' },
            { t: 'atom', v: '$!ignore=\\recent' },
            { t: 'atom', v: '$!ignore=$HasAttachment' },
            { t: 'atom', v: '$!ignore=$HasNoAttachment' },
          );
        }
      });
      if (!hasDirectives(a.items)) a.items.unshift({ t: 'atom', v: '$!unordered=2' });
    }
  });
}

export function parseScript(name: string, content: string, env: NodeJS.ProcessEnv = {}): Script {
  const script: Script = {
    name,
    capabilities: [],
    connections: 1,
    // scripted_test.md: "messages — Default: all messages" (urlauth2 relies on it).
    messages: Infinity,
    state: 'selected',
    ignoreExtraUntagged: true,
    users: new Map(),
    groups: [],
  };
  // Join {{{ ... }}} multi-line strings into literals first.
  const raw = content.split('\n');
  const lines: Array<{ text: string; line: number }> = [];
  for (let i = 0; i < raw.length; i++) {
    let text = raw[i]!;
    const startLine = i + 1;
    while (text.endsWith('{{{')) {
      const binary = text.endsWith('~{{{');
      const head = text.slice(0, text.length - (binary ? 4 : 3));
      const body: string[] = [];
      i++;
      while (i < raw.length && !raw[i]!.startsWith('}}}')) {
        body.push(raw[i]!);
        i++;
      }
      if (i >= raw.length) throw new ScriptError(`${name}: unterminated {{{ at line ${startLine}`);
      // Lines joined with CRLF (binary: as in the file); the line before }}} has no break of its own.
      const value = binary ? body.join('\n') : body.map((l) => l.replace(/\r$/, '')).join('\r\n');
      text = `${head}${binary ? '~' : ''}{${Buffer.byteLength(value, 'latin1')}}\r\n${value}${raw[i]!.slice(3)}`;
    }
    lines.push({ text, line: startLine });
  }
  let header = true;
  let group: CommandGroup | undefined;
  const ifStack: Array<{ skip: boolean; elseSeen: boolean }> = [];
  let skip = false;
  for (const { text, line } of lines) {
    if (header) {
      if (text.trim() === '') {
        header = false;
        continue;
      }
      if (text.startsWith('#')) continue;
      const colon = text.indexOf(':');
      if (colon < 0) throw new ScriptError(`${name}:${line}: header line without ':'`);
      const key = text.slice(0, colon).trim().toLowerCase();
      const value = text.slice(colon + 1).trim();
      if (key === 'capabilities') script.capabilities = value.split(/\s+/).filter(Boolean);
      else if (key === 'connections') script.connections = Number(value);
      else if (key === 'messages') script.messages = value === 'all' ? Infinity : Number(value);
      else if (key === 'state') script.state = value.toLowerCase() === 'auth' ? 'auth' : (value.toLowerCase() as StartState);
      else if (key === 'ignore_extra_untagged') script.ignoreExtraUntagged = value.startsWith('y');
      else if (/^user \d+$/.test(key)) script.users.set(Number(key.slice(5)) - 1, value);
      else throw new ScriptError(`${name}:${line}: unknown header ${key}`);
      continue;
    }
    if (text.length === 0 || text.startsWith('#')) continue;
    const ifm = /^!if(n?)env (.+)$/.exec(text);
    if (ifm) {
      ifStack.push({ skip, elseSeen: false });
      const has = env[ifm[2]!.trim()] !== undefined;
      if ((ifm[1] === 'n') === has) skip = true;
      continue;
    }
    if (text === '!else') {
      const top = ifStack[ifStack.length - 1];
      if (!top) throw new ScriptError(`${name}:${line}: !else without !ifenv`);
      top.elseSeen = true;
      if (!top.skip) skip = !skip;
      continue;
    }
    if (text === '!endif') {
      const top = ifStack.pop();
      if (!top) throw new ScriptError(`${name}:${line}: !endif without !ifenv`);
      skip = top.skip;
      continue;
    }
    if (skip) continue;
    if (group) {
      const sleep = /^!sleep (\d+)/.exec(text);
      if (sleep) {
        group.sleepMs = Number(sleep[1]) * 1000;
        continue;
      }
      if (text === '!ordered') {
        group.ordered = true;
        continue;
      }
      if (text.startsWith('!output ')) continue;
      const ut = /^([*!?]) /.exec(text);
      if (ut) {
        const args = parseArgs(text.slice(2));
        addDefaults(args);
        const existence: Existence = ut[1] === '*' ? 'must' : ut[1] === '!' ? 'mustnot' : 'maybe';
        const nameIdx = args[0]?.t === 'atom' && (args[0].v.startsWith('$') || /^\d/.test(args[0].v)) ? 1 : 0;
        const n = args[nameIdx];
        if (n?.t === 'atom' && n.v.toLowerCase().startsWith('bye') && existence === 'must') group.haveBye = true;
        group.untagged.push({ args, existence });
        continue;
      }
      if (group.repliesPending > 0) {
        let rest = text;
        if (script.connections > 1) {
          const cm = /^(\d+) /.exec(rest);
          if (cm) rest = rest.slice(cm[0].length);
        }
        const r = replyOf(rest);
        if (r.reply) {
          const cmd = group.commands.find((c) => c.tag === r.tag);
          if (!cmd) throw new ScriptError(`${name}:${line}: reply for unknown tag`);
          if (cmd.reply) throw new ScriptError(`${name}:${line}: command already has a reply`);
          cmd.reply = [...r.reply, ...parseArgs(r.rest)];
          group.repliesPending--;
          continue;
        }
      }
    }
    if (!group || group.repliesPending === 0) {
      group = { connection: 0, commands: [], untagged: [], ordered: false, sleepMs: 0, haveBye: false, repliesPending: 0 };
      script.groups.push(group);
    }
    let rest = text;
    if (script.connections > 1) {
      const cm = /^(\d+) /.exec(rest);
      if (!cm || Number(cm[1]) === 0) throw new ScriptError(`${name}:${line}: missing connection number`);
      const idx = Number(cm[1]) - 1;
      if (group.commands.length > 0 && group.connection !== idx) throw new ScriptError(`${name}:${line}: pipelined commands on two connections`);
      group.connection = idx;
      if (idx + 1 > script.connections) script.connections = idx + 1;
      rest = rest.slice(cm[0].length);
    }
    const r = replyOf(rest);
    if (r.tag === 0 && group.repliesPending > 0) throw new ScriptError(`${name}:${line}: missing reply from previous command`);
    const cmd: ScriptCommand = { text: r.rest, tag: r.tag, line, ...(r.reply ? { reply: r.reply } : {}) };
    if (!r.reply) group.repliesPending++;
    group.commands.push(cmd);
  }
  if (group && group.repliesPending > 0) throw new ScriptError(`${name}: missing reply at end of file`);
  return script;
}
