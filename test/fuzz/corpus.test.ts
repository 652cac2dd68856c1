// Every input committed under fuzz/corpus/<target> (the seeds, and the inputs of findings once
// fixed) passes its fuzz target's invariants. This is how a fuzzing finding becomes a regression
// test: its input is added to the target's corpus and replayed here on every run, fuzzer or not.
// Each target runs in a process of its own (fuzz/replay.ts, as `npm run fuzz -- --replay` does)
// under a deadline, so a target whose set-up fails or hangs fails its test with its error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const root = join(import.meta.dirname, '..', '..', 'fuzz');
const targets = readdirSync(join(root, 'targets'))
  .filter((f) => f.endsWith('.fuzz.ts'))
  .map((f) => f.slice(0, -'.fuzz.ts'.length))
  .sort();

test('every fuzz target has a committed seed corpus', () => {
  assert.ok(targets.length >= 6, targets.join(', '));
  for (const name of targets) assert.ok(readdirSync(join(root, 'corpus', name)).length > 0, `fuzz/corpus/${name} is empty`);
});

/**
 * How long one target's whole corpus may take, its set-up included. A set-up that throws or never
 * finishes (a server that does not start) must fail this test with what it said, not hang it.
 */
const REPLAY_DEADLINE_MS = 5 * 60_000;

interface Replay {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
}

/**
 * Replays every committed input of `name` through fuzz/replay.ts in a process of its own: whatever the
 * target's set-up leaves open when it fails (a server, a store) goes with that process, and the
 * deadline kills it when the set-up never ends.
 */
function replayCorpus(name: string): Promise<Replay> {
  const dir = join(root, 'corpus', name);
  const inputs = readdirSync(dir)
    .sort()
    .map((f) => join(dir, f));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'replay.ts'), join(root, 'targets', `${name}.fuzz.ts`), ...inputs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, REPLAY_DEADLINE_MS);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output });
    });
  });
}

for (const name of targets) {
  test(`fuzz target ${name}: every committed input keeps the invariants`, async () => {
    const r = await replayCorpus(name);
    // Only what went wrong: the replay prints a line per passing input too.
    const report = r.output
      .split('\n')
      .filter((l) => !l.startsWith('ok      '))
      .join('\n')
      .trim();
    assert.ok(!r.timedOut, `replay of ${name} did not finish within ${REPLAY_DEADLINE_MS / 1000} s (set-up or an input hangs):\n${report}`);
    assert.equal(r.code, 0, `replay of ${name} failed (exit ${r.code ?? r.signal}):\n${report}`);
  });
}
