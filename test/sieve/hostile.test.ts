// Scripts built to hurt delivery: each must end with an error (the caller then keeps the message) or
// a result, never run away. The test timeout is the "never hangs" check.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { run, SAMPLE } from './run.js';
import { compileRegex, execRegex, MAX_SUBJECT } from '../../src/sieve/regex.js';
import { wildcard } from '../../src/sieve/match.js';
import { SieveLimitError } from '../../src/sieve/index.js';

const bigSubject = SAMPLE.replace('Subject: [acme-users] [fwd] version 1.0 is out', `Subject: ${'a'.repeat(200_000)}`);

describe('hostile scripts', { timeout: 60_000 }, () => {
  it('an action flood hits the action limit', async () => {
    const script = 'require "fileinto";' + Array.from({ length: 100 }, (_, i) => ` fileinto "f${i}";`).join('');
    await assert.rejects(run(script), (err: unknown) => err instanceof SieveLimitError && /actions/.test(err.message));
  });

  it('a redirect flood hits the redirect limit', async () => {
    const script = Array.from({ length: 10 }, (_, i) => `redirect "r${i}@example.net";`).join(' ');
    await assert.rejects(run(script), /more than 4 redirects/);
  });

  it('a long script of tests hits the step budget', async () => {
    const tests = Array.from({ length: 200 }, () => 'header :contains "subject" "zzz"').join(', ');
    const script = Array.from({ length: 20 }, () => `if anyof(${tests}) { keep; }`).join('\n');
    await assert.rejects(run(script, SAMPLE, { limits: { maxSteps: 1000 } }), /more than 1000 steps/);
    // The same script fits the default budget.
    assert.deepEqual((await run(script)).actions.map((a) => a.type), ['keep']);
  });

  it('wildcard patterns against huge values are charged and finish', async () => {
    const script = 'if header :matches "subject" ["*a*a*a*a*a*a*a*a*a*a*b", "*a*a*a*a*a*a*a*a*a*a*c", "*a*a*a*a*a*a*a*a*a*a*d"] { discard; }';
    const r = await run(script, bigSubject);
    assert.deepEqual(r.actions.map((a) => a.type), ['keep']);
    assert.ok(r.steps > 1000, `matching work is charged (${r.steps} steps)`);
    await assert.rejects(run(script, bigSubject, { limits: { maxSteps: 2000 } }), /steps/);
  });

  it('regex bombs are refused at compile time or run in linear time', async () => {
    // Classic catastrophic-backtracking patterns: linear in the Pike VM, cut to MAX_SUBJECT.
    for (const p of ['^(a+)+$', '^(a|a)*$', '(a*)*b', 'a*a*a*a*a*a*a*a*b', '^(a|aa)+$']) {
      const re = compileRegex(p, false);
      assert.equal(execRegex(re, 'a'.repeat(MAX_SUBJECT - 1) + '!') === null, true, p);
    }
    const r = await run('require ["regex"]; if header :regex "subject" "^(a+)+$" { discard; }', bigSubject).catch((e: unknown) => e);
    assert.ok(r instanceof SieveLimitError || (typeof r === 'object' && r !== null && 'actions' in r), 'either a limit or a result');
  });

  it('a regex built from variables is checked at run time', async () => {
    await assert.rejects(run('require ["regex", "variables"]; set "p" "(a)\\\\1"; if header :regex "subject" "${p}" { discard; }'), /backreferences/);
  });

  it('variable doubling is bounded by the variable length limit', async () => {
    const script = 'require ["variables"]; set "a" "x";' + ' set "a" "${a}${a}";'.repeat(60) + ' if string :is "${a}" "" { discard; }';
    const r = await run(script);
    assert.deepEqual(r.actions.map((a) => a.type), ['keep']);
  });

  it('include recursion and include floods hit their limits', async () => {
    const loadScript = async (): Promise<string> => 'require "include"; include "x"; include "y";';
    await assert.rejects(run('require "include"; include "x";', SAMPLE, { loadScript }), /include/);
  });

  it('wildcard captures stay linear on adversarial input', () => {
    const caps = wildcard('a'.repeat(5000) + 'b', '*a*a*a*a*b', false);
    assert.ok(caps);
    assert.equal(caps.length, 6);
  });
});

describe("names that are Object.prototype's own (a fuzzing finding)", () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
  it('as commands, tests, tags, comparators, extensions and character classes they are errors of the script, never exceptions', async () => {
    const { compileSieve } = await import('../../src/sieve/index.js');
    for (const n of NAMES) {
      const scripts = [
        `${n};`,
        `if ${n} { keep; }`,
        `keep :${n};`,
        `if header :${n} "subject" "x" { keep; }`,
        `if header :comparator "${n}" "subject" "x" { keep; }`,
        `require "${n}";`,
        `require "regex"; if header :regex "subject" "[[:${n}:]]" { keep; }`,
        `require "relational"; if header :value "${n}" "subject" "x" { keep; }`,
      ];
      for (const script of scripts) {
        const compiled = compileSieve(script);
        if (compiled.ok) continue; // a regex class is checked when it runs: the run below covers it
        assert.ok(compiled.errors.length > 0 && compiled.errors.every((e) => e.line >= 1), `${script}: ${JSON.stringify(compiled.errors)}`);
      }
      await assert.rejects(run(`require "regex"; if header :regex "subject" "[[:${n}:]]" { discard; }`), /not compile|character class/);
    }
  });
});
