// Test helper: compiles a script and runs it against a message written as text.
import assert from 'node:assert/strict';
import { compileSieve, executeSieve, type SieveEnvironment, type SieveResult } from '../../src/sieve/index.js';
import { parseHeaderBlock } from '../../src/mime/headers.js';

export const SAMPLE = [
  'Received: from mx.example.org by mail.example.com; Mon, 26 Feb 2007 10:30:00 -0500',
  'Received: from client.example.org by mx.example.org; Mon, 26 Feb 2007 08:00:00 -0500',
  'Date: Mon, 26 Feb 2007 14:30:00 +0100',
  'From: Bar <bar@example.com.invalid>',
  'To: foo@example.com.invalid, baz@example.com.invalid',
  'Cc: qux@example.com.invalid',
  'Subject: [acme-users] [fwd] version 1.0 is out',
  'List-ID: Acme users <acme-users@lists.example.org>',
  'Message-ID: <1234@example.com.invalid>',
  '',
  'Hello, the missile coordinates are attached.',
  '',
].join('\r\n');

export interface RunOptions extends Partial<SieveEnvironment> {
  envelope?: { from: string; to: string };
}

export async function run(script: string, message = SAMPLE, options: RunOptions = {}): Promise<SieveResult> {
  const compiled = compileSieve(script);
  if (!compiled.ok) assert.fail(`script does not compile: ${JSON.stringify(compiled.errors)}`);
  const bytes = Buffer.from(message, 'utf8');
  const bin = bytes.toString('latin1');
  const { headers } = parseHeaderBlock(bin, 0, bin.length);
  const { envelope, ...env } = options;
  return executeSieve(
    compiled.script,
    { headers, size: bytes.length, envelope: envelope ?? { from: 'bar@example.com.invalid', to: 'foo@example.com.invalid' }, bytes: async () => bytes },
    { now: new Date('2007-07-01T12:00:00Z'), ...env },
  );
}

/** The actions as short strings: "keep", "fileinto:X", "redirect:a@b", "discard", "reject:…", "vacation". */
export function summary(result: SieveResult): string[] {
  return result.actions.map((a) => {
    switch (a.type) {
      case 'keep':
        return a.flags.length > 0 ? `keep[${a.flags.join(' ')}]` : a.implicit ? 'implicit-keep' : 'keep';
      case 'fileinto':
        return `fileinto:${a.mailbox}${a.flags.length > 0 ? `[${a.flags.join(' ')}]` : ''}${a.create ? '+create' : ''}`;
      case 'redirect':
        return `redirect:${a.address}`;
      case 'reject':
        return `${a.extended ? 'ereject' : 'reject'}:${a.reason}`;
      default:
        return a.type;
    }
  });
}

export async function actions(script: string, message = SAMPLE, options: RunOptions = {}): Promise<string[]> {
  return summary(await run(script, message, options));
}
