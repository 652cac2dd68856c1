// The parsed form of a Sieve script (RFC 5228 §8): commands with their arguments, tests and blocks,
// each carrying the line and column it starts at so every error can point into the script.

/** An error in a script: 1-based line and column, a message for the script's author. */
export interface SieveError {
  line: number;
  column: number;
  message: string;
}

/** Where a node starts in the script text (1-based). */
export interface Position {
  line: number;
  column: number;
}

/** A string as written: quoted or multi-line (`text:`), escapes and dot-stuffing already undone. */
export interface SieveString extends Position {
  value: string;
}

export type Argument =
  | ({ kind: 'tag'; name: string } & Position)
  | ({ kind: 'number'; value: number } & Position)
  /** A single string is a list of one with `single` true: some positions accept only a single string. */
  | ({ kind: 'strings'; values: SieveString[]; single: boolean } & Position);

export interface TestNode extends Position {
  name: string;
  args: Argument[];
  tests: TestNode[];
  /** True when the tests were written as a parenthesised test-list (allof/anyof), false for one test. */
  testList: boolean;
}

export interface CommandNode extends Position {
  name: string;
  args: Argument[];
  tests: TestNode[];
  testList: boolean;
  /** The `{ … }` block, or null when the command ended with `;`. */
  block: CommandNode[] | null;
}

/** Thrown by the lexer and parser; compileSieve turns it into a SieveError. */
export class SieveSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
    this.name = 'SieveSyntaxError';
  }
}
