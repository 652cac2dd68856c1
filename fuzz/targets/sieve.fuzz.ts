// Sieve (src/sieve): scripts come from users over ManageSieve and JMAP, so the parser, the validator and
// the executor are hostile-input surfaces. The input is a script; a NUL byte, when present, separates
// the script from the message it runs against (otherwise a fixed sample message is used).
//
// Invariants:
//  - compileSieve never throws, answers the same for the same text, and every error it reports has a
//    line and column inside the script;
//  - a compiled script's execution ends with a result or with a SieveRuntimeError (SieveLimitError
//    included): never any other exception, never a hang (libFuzzer's timeout);
//  - a result keeps the limits: at most maxActions actions plus the implicit keep, at most maxRedirects
//    redirects, at most maxSteps steps, the implicit keep only once and last;
//  - editheader never removes or adds the protected fields (Received, Return-Path, …).
import { compileSieve, executeSieve, DEFAULT_LIMITS, PROTECTED_HEADERS, SieveRuntimeError } from '../../src/sieve/index.js';
import { parseHeaderBlock } from '../../src/mime/headers.js';
import type { RawHeader } from '../../src/mime/types.js';
import { attemptAsync, check, checkEqual, show } from '../support/invariant.js';

const SAMPLE = [
  'Return-Path: <bar@example.com.invalid>',
  'Received: from mx.example.org by mail.example.com; Mon, 26 Feb 2007 10:30:00 -0500',
  'Date: Mon, 26 Feb 2007 14:30:00 +0100',
  'From: Bar <bar@example.com.invalid>',
  'To: foo@example.com.invalid, baz@example.com.invalid',
  'Subject: =?utf-8?q?[acme-users]_version_1.0_=C3=A4?=',
  'Message-ID: <1234@example.com.invalid>',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello, the missile coordinates are attached.',
  '',
].join('\r\n');

/** Smaller than the defaults so that a hostile script reaches them quickly. */
const LIMITS = { ...DEFAULT_LIMITS, maxSteps: 20_000 };

function protectedFields(headers: readonly RawHeader[]): string[] {
  return headers.filter((h) => PROTECTED_HEADERS.has(h.name.toLowerCase())).map((h) => `${h.name.toLowerCase()}:${h.value}`);
}

export async function fuzz(data: Buffer): Promise<void> {
  const nul = data.indexOf(0);
  const script = (nul < 0 ? data : data.subarray(0, nul)).toString('utf8');
  const message = nul < 0 ? Buffer.from(SAMPLE, 'latin1') : data.subarray(nul + 1);

  const compiled = compileSieve(script);
  checkEqual(compileSieve(script), compiled, 'same script, same compilation');
  if (!compiled.ok) {
    const lines = script.split('\n').length;
    for (const e of compiled.errors) check(e.line >= 1 && e.line <= lines + 1 && e.column >= 1, () => `error position outside the script: ${show(e)}`);
    return;
  }

  const bin = message.toString('latin1');
  const { headers } = parseHeaderBlock(bin, 0, bin.length);
  const outcome = await attemptAsync(
    () =>
      executeSieve(
        compiled.script,
        { headers, size: message.length, envelope: { from: 'bar@example.com.invalid', to: 'foo@example.com.invalid' }, bytes: async () => message },
        {
          now: new Date('2007-07-01T12:00:00Z'),
          limits: LIMITS,
          loadScript: async (name) => (name === 'self' ? script : null),
          mailboxExists: async (name) => name === 'INBOX' || name === 'Junk',
          duplicate: async ({ id }) => id.length % 2 === 0,
        },
      ),
    SieveRuntimeError,
  );
  if (!outcome.ok) return;
  const result = outcome.value;
  check(result.steps <= LIMITS.maxSteps, () => `steps over the limit: ${result.steps}`);
  check(result.actions.length <= LIMITS.maxActions + 1, () => `too many actions: ${result.actions.length}`);
  check(result.actions.filter((a) => a.type === 'redirect').length <= LIMITS.maxRedirects, 'too many redirects');
  const implicit = result.actions.findIndex((a) => a.type === 'keep' && a.implicit);
  check(implicit < 0 || implicit === result.actions.length - 1, 'the implicit keep is not last');
  if (result.editedHeaders) checkEqual(protectedFields(result.editedHeaders), protectedFields(headers), 'editheader changed a protected field');
}
