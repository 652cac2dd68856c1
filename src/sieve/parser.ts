// The grammar of RFC 5228 §8.2 by recursive descent. Nesting (blocks, test lists, `not`) is bounded so
// a hostile script cannot exhaust the stack; the lexer/parser never evaluates anything.
import { SieveSyntaxError, type Argument, type CommandNode, type SieveString, type TestNode } from './ast.js';
import { Lexer, type Token } from './lexer.js';

/** Blocks and tests nested deeper than this are refused (Pigeonhole's default is 32 blocks, 32 tests). */
export const MAX_NESTING = 32;

export function parseScript(text: string): CommandNode[] {
  return new Parser(text).script();
}

class Parser {
  private readonly lexer: Lexer;
  private token: Token;

  constructor(text: string) {
    this.lexer = new Lexer(text);
    this.token = this.lexer.next();
  }

  private advance(): Token {
    const t = this.token;
    this.token = this.lexer.next();
    return t;
  }

  private fail(message: string, at: { line: number; column: number } = this.token): never {
    throw new SieveSyntaxError(at.line, at.column, message);
  }

  private isPunct(value: string): boolean {
    return this.token.type === 'punct' && this.token.value === value;
  }

  private describe(): string {
    const t = this.token;
    if (t.type === 'eof') return 'end of script';
    if (t.type === 'string') return 'a string';
    if (t.type === 'tag') return `":${t.value}"`;
    return `"${String(t.value)}"`;
  }

  script(): CommandNode[] {
    const commands = this.commands(0);
    if (this.token.type !== 'eof') this.fail(`unexpected ${this.describe()}`);
    return commands;
  }

  private commands(depth: number): CommandNode[] {
    const list: CommandNode[] = [];
    while (this.token.type === 'identifier') list.push(this.command(depth));
    return list;
  }

  private command(depth: number): CommandNode {
    const name = this.advance() as Extract<Token, { type: 'identifier' }>;
    const { args, tests, testList } = this.arguments(depth);
    let block: CommandNode[] | null = null;
    if (this.isPunct(';')) {
      this.advance();
    } else if (this.isPunct('{')) {
      if (depth + 1 > MAX_NESTING) this.fail(`blocks nested deeper than ${MAX_NESTING}`);
      this.advance();
      block = this.commands(depth + 1);
      if (!this.isPunct('}')) this.fail(`expected "}" or a command, found ${this.describe()}`);
      this.advance();
    } else {
      this.fail(`expected ";" or "{" after command "${name.value}", found ${this.describe()}`);
    }
    return { name: name.value, args, tests, testList, block, line: name.line, column: name.column };
  }

  private arguments(depth: number): { args: Argument[]; tests: TestNode[]; testList: boolean } {
    const args: Argument[] = [];
    for (;;) {
      const t = this.token;
      if (t.type === 'tag') {
        this.advance();
        args.push({ kind: 'tag', name: t.value, line: t.line, column: t.column });
      } else if (t.type === 'number') {
        this.advance();
        args.push({ kind: 'number', value: t.value, line: t.line, column: t.column });
      } else if (t.type === 'string') {
        this.advance();
        args.push({ kind: 'strings', values: [{ value: t.value, line: t.line, column: t.column }], single: true, line: t.line, column: t.column });
      } else if (this.isPunct('[')) {
        args.push(this.stringList());
      } else {
        break;
      }
    }
    if (this.token.type === 'identifier') return { args, tests: [this.test(depth + 1)], testList: false };
    if (this.isPunct('(')) return { args, tests: this.testList(depth + 1), testList: true };
    return { args, tests: [], testList: false };
  }

  private stringList(): Argument {
    const open = this.advance();
    const values: SieveString[] = [];
    for (;;) {
      const t = this.token;
      if (t.type !== 'string') this.fail(`expected a string in the list, found ${this.describe()}`);
      this.advance();
      values.push({ value: t.value, line: t.line, column: t.column });
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      if (this.isPunct(']')) {
        this.advance();
        break;
      }
      this.fail(`expected "," or "]" in the string list, found ${this.describe()}`);
    }
    return { kind: 'strings', values, single: false, line: open.line, column: open.column };
  }

  private test(depth: number): TestNode {
    if (depth > MAX_NESTING) this.fail(`tests nested deeper than ${MAX_NESTING}`);
    const t = this.token;
    if (t.type !== 'identifier') this.fail(`expected a test, found ${this.describe()}`);
    this.advance();
    const { args, tests, testList } = this.arguments(depth);
    return { name: t.value, args, tests, testList, line: t.line, column: t.column };
  }

  private testList(depth: number): TestNode[] {
    this.advance();
    const tests: TestNode[] = [];
    for (;;) {
      tests.push(this.test(depth));
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      if (this.isPunct(')')) {
        this.advance();
        return tests;
      }
      this.fail(`expected "," or ")" in the test list, found ${this.describe()}`);
    }
  }
}
