// The validated form the executor runs: tags looked up by name, if/elsif/else folded into one node,
// strings with encoded characters already decoded. Plain data, so one compiled script can be cached
// and shared by every delivery that runs it.

export type Value = { kind: 'strings'; values: string[] } | { kind: 'number'; value: number };

export interface Node {
  name: string;
  line: number;
  column: number;
  /** Tagged arguments by name (without ":"); `true` for a tag without argument. */
  tags: ReadonlyMap<string, Value | true>;
  /** Positional arguments in script order (an optional leading one included when written). */
  args: Value[];
  tests: Node[];
  block: Node[] | null;
  /** `if` only: the test and block of if, each elsif, and else (test null). */
  branches?: Array<{ test: Node | null; block: Node[] }>;
}

export interface CompiledSieve {
  commands: Node[];
  /** Capabilities the script required: the executor expands variables only where `variables` is. */
  capabilities: ReadonlySet<string>;
  /** Size of the source text in characters. */
  size: number;
}
