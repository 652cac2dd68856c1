// Every input committed under fuzz/corpus/<target> (the seeds, and the inputs of findings once
// fixed) passes its fuzz target's invariants. This is how a fuzzing finding becomes a regression
// test: its input is added to the target's corpus and replayed here on every run, fuzzer or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Target {
  fuzz(data: Buffer): unknown;
  close?(): Promise<void>;
}

const root = join(import.meta.dirname, '..', '..', 'fuzz');
const targets = readdirSync(join(root, 'targets'))
  .filter((f) => f.endsWith('.fuzz.ts'))
  .map((f) => f.slice(0, -'.fuzz.ts'.length))
  .sort();

test('every fuzz target has a committed seed corpus', () => {
  assert.ok(targets.length >= 6, targets.join(', '));
  for (const name of targets) assert.ok(readdirSync(join(root, 'corpus', name)).length > 0, `fuzz/corpus/${name} is empty`);
});

for (const name of targets) {
  test(`fuzz target ${name}: every committed input keeps the invariants`, async () => {
    const target = (await import(pathToFileURL(join(root, 'targets', `${name}.fuzz.ts`)).href)) as Target;
    const failures: string[] = [];
    try {
      for (const file of readdirSync(join(root, 'corpus', name)).sort()) {
        try {
          await target.fuzz(readFileSync(join(root, 'corpus', name, file)));
        } catch (error) {
          failures.push(`${file}: ${(error as Error).stack ?? String(error)}`);
        }
      }
    } finally {
      await target.close?.();
    }
    assert.deepEqual(failures, []);
  });
}
