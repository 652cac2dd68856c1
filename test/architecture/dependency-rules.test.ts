// The architecture check (`npm run depcheck`) must be able to fail: dependency-cruiser is run with the
// repository's .dependency-cruiser.cjs over a small fixture tree that breaks each kind of rule once,
// and every break must be reported (a rule that silently matches nothing would pass any tree).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** The fixture: file → source. Every import is `import type` unless said otherwise. */
const FIXTURE: Record<string, string> = {
  // Forbidden edge (type-only): a core importing a protocol.
  'src/store/uses-imap.ts': "import type { ImapThing } from '../imap/thing.js';\nexport type StoreThing = ImapThing;\n",
  'src/imap/thing.ts': 'export interface ImapThing { id: string }\n',
  // Forbidden edge: a protocol importing the delivery core instead of the contract in src/core.
  'src/smtp/rcpt.ts': "import { route } from '../delivery/router.js';\nexport const r = route;\n",
  'src/delivery/router.ts': "export function route(): string { return 'local'; }\n",
  // A run-time cycle inside one folder.
  'src/events/ping.ts': "import { pong } from './pong.js';\nexport function ping(): string { return pong(); }\n",
  'src/events/pong.ts': "import { ping } from './ping.js';\nexport function pong(): string { return typeof ping; }\n",
  // A type-only cycle between two folders whose edges are each allowed (core takes auth types,
  // auth uses core): only the cycle rule can catch it.
  'src/core/contract.ts': "import type { Who } from '../auth/who.js';\nexport interface Contract { who: Who }\n",
  'src/auth/who.ts': "import type { Contract } from '../core/contract.js';\nexport interface Who { contract?: Contract }\n",
  // A type-only cycle inside one folder (a session dispatching to handlers that take its type): allowed.
  'src/smtp/session.ts': "import { handle } from './handler.js';\nexport class Session { run(): void { handle(this); } }\n",
  'src/smtp/handler.ts': "import type { Session } from './session.js';\nexport function handle(s: Session): Session { return s; }\n",
  // A protocol importing session control: refused (only the listed JMAP edges are excepted, temporarily).
  'src/jmap/admission.ts': "import type { Control } from '../sessions/control.js';\nexport type A = Control;\n",
  'src/sessions/control.ts': 'export interface Control { admit(): void }\n',
  // A folder the table does not place.
  'src/gadgets/tool.ts': "import type { Contract } from '../core/contract.js';\nexport type Tool = Contract;\n",
  // Allowed: a protocol taking config types, and a store file with no forbidden import.
  'src/config/types.ts': 'export interface ImapSettings { port: number }\n',
  'src/imap/settings.ts': "import type { ImapSettings } from '../config/types.js';\nexport type S = ImapSettings;\n",
  // Forbidden: config is types-only outside start-up code.
  'src/config/load.ts': "export function load(): number { return 1; }\n",
  'src/jmap/reads-config.ts': "import { load } from '../config/load.js';\nexport const n = load();\n",
  'tsconfig.json': JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
    include: ['src/**/*.ts'],
  }),
  'package.json': JSON.stringify({ name: 'fixture', type: 'module', private: true }),
};

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string } | string>;
}

let dir: string;

function runDepcruise(extra: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [depcruise, 'src', '--config', join(root, '.dependency-cruiser.cjs'), ...extra],
      { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout }),
    );
  });
}
let violations: Violation[];
let exitCode: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-depcheck-'));
  for (const [file, text] of Object.entries(FIXTURE)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  // Two runs: the default (text) output decides the exit code `npm run depcheck` fails with, the JSON
  // one tells which rule caught what.
  const [text, json] = await Promise.all([runDepcruise([]), runDepcruise(['--output-type', 'json'])]);
  exitCode = text.code;
  const parsed = JSON.parse(json.stdout) as { summary: { violations: Violation[] } };
  violations = parsed.summary.violations;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function reported(rule: string, from: string, to?: string): boolean {
  return violations.some((v) => v.rule.name === rule && v.from === from && (to === undefined || v.to === to));
}

test('the check fails the run when the tree breaks a rule', () => {
  assert.notEqual(exitCode, 0);
});

test('a type-only import from a core into a protocol is a forbidden edge', () => {
  assert.ok(reported('layer-store', 'src/store/uses-imap.ts', 'src/imap/thing.ts'), JSON.stringify(violations, null, 2));
});

test('a protocol importing src/delivery instead of the contract in src/core is a forbidden edge', () => {
  assert.ok(reported('layer-smtp', 'src/smtp/rcpt.ts', 'src/delivery/router.ts'));
});

test('a run-time import of config outside start-up code is refused, a type-only one is not', () => {
  assert.ok(reported('layer-jmap-types-only', 'src/jmap/reads-config.ts', 'src/config/load.ts'));
  assert.ok(!violations.some((v) => v.from === 'src/imap/settings.ts'));
});

test('a run-time cycle is reported', () => {
  assert.ok(violations.some((v) => v.rule.name === 'no-circular' && v.from.startsWith('src/events/')));
});

test('a type-only cycle between two folders is reported although each edge is allowed', () => {
  assert.ok(!reported('layer-core', 'src/core/contract.ts'));
  assert.ok(!reported('layer-auth', 'src/auth/who.ts'));
  assert.ok(violations.some((v) => v.rule.name === 'no-circular-between-folders' && /^src\/(core|auth)\//.test(v.from)));
});

test('a type-only cycle inside one folder is not reported', () => {
  assert.ok(!violations.some((v) => v.from.startsWith('src/smtp/session') || v.from.startsWith('src/smtp/handler')), JSON.stringify(violations, null, 2));
});

test('a protocol importing src/sessions is a forbidden edge', () => {
  assert.ok(reported('layer-jmap', 'src/jmap/admission.ts', 'src/sessions/control.ts'));
});

test('a folder missing from the layer table is reported', () => {
  assert.ok(reported('folder-in-table', 'src/gadgets/tool.ts'));
});
