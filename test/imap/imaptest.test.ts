// Conformance: runs Dovecot's imaptest scripts from ../shared/imaptest/tests (read at test time,
// never copied) against a Tessera IMAP server started here, one fresh user per script. Every script
// must run and pass: one needing a capability Tessera does not advertise is reported as skipped, and
// a skip fails the test as a failure does. tests/broken/ (upstream's own "broken" scripts) is not run.
// IMAPTEST_ONLY=name[,name] runs a subset; IMAPTEST_VERBOSE=1 prints each failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { startImap } from './harness.js';
import { parseScript } from './imaptest/script.js';
import { runScript, type ScriptOutcome } from './imaptest/runner.js';

const here = dirname(fileURLToPath(import.meta.url));
const testsDir = resolve(here, '../../../shared/imaptest/tests');

async function available(): Promise<boolean> {
  try {
    return (await stat(testsDir)).isDirectory();
  } catch {
    return false;
  }
}

test('imaptest conformance scripts pass for every advertised capability', { timeout: 600_000 }, async (t) => {
  if (!(await available())) {
    if (process.env.CI === 'true') assert.fail(`imaptest scripts not found at ${testsDir}`);
    t.skip(`imaptest scripts not found at ${testsDir}; skipping`);
    return;
  }
  const only = process.env.IMAPTEST_ONLY?.split(',').filter(Boolean);
  const names: string[] = [];
  for (const n of (await readdir(testsDir)).sort()) {
    if (n.endsWith('.mbox') || n.startsWith('.')) continue;
    if ((await stat(join(testsDir, n))).isDirectory()) continue;
    if (only && !only.includes(n)) continue;
    names.push(n);
  }
  const h = await startImap();
  const results = new Map<string, ScriptOutcome>();
  try {
    let i = 0;
    for (const name of names) {
      const user = `imaptest${++i}@example.org`;
      const user2 = `imaptest${i}-b@example.org`;
      await h.users.add(user, 'pass');
      await h.users.add(user2, 'pass');
      let outcome: ScriptOutcome;
      try {
        const script = parseScript(name, await readFile(join(testsDir, name), 'latin1'), {});
        outcome = await runScript(script, testsDir, { port: h.port, user, password: 'pass', mailbox: 'imaptest', user2: { user: user2, password: 'pass' } });
      } catch (err) {
        outcome = { result: 'failed', failures: [`runner error: ${(err as Error).stack ?? String(err)}`] };
      }
      results.set(name, outcome);
    }
  } finally {
    await h.close();
  }
  const failed = [...results].filter(([, r]) => r.result === 'failed');
  const skipped = [...results].filter(([, r]) => r.result === 'skipped');
  console.log(`${results.size} test groups: ${failed.length} failed, ${skipped.length} skipped`);
  console.log(`skipped (capabilities not advertised): ${skipped.map(([n, r]) => `${n} [${r.result === 'skipped' ? r.missing.join(' ') : ''}]`).join(', ')}`);
  for (const [name, r] of failed) {
    if (r.result !== 'failed') continue;
    console.log(`FAILED ${name}:\n  ${(process.env.IMAPTEST_VERBOSE ? r.failures : r.failures.slice(0, 3)).join('\n  ')}`);
  }
  assert.deepEqual(
    failed.map(([n]) => n),
    [],
    'every script whose capabilities are advertised passes',
  );
  // Issue #24: every script runs. A capability dropped from CAPABILITY (or a script needing one never
  // offered) would otherwise turn its scripts into silent skips.
  assert.deepEqual(
    skipped.map(([n, r]) => `${n} [${r.result === 'skipped' ? r.missing.join(' ') : ''}]`),
    [],
    'no script is skipped for a capability Tessera does not advertise',
  );
});
