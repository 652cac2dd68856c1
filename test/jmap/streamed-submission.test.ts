// EmailSubmission of a large email never reads it whole: the JMAP server's store refuses whole reads
// over 256 KiB (test/support/bounded-reads.ts), and a 6 MiB email with Bcc fields (one folded) still
// reaches its local recipient byte-exact, less the Bcc fields, through a spool file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf, call, startHarness, USING, type Harness } from './harness.js';
import { localDelivery } from './local-delivery.js';
import { boundedReads } from '../support/bounded-reads.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const USING_SUB = [...USING, 'urn:ietf:params:jmap:submission'];

let h: Harness;
let ALICE_ID: string;

before(async () => {
  h = await startHarness({ delivery: localDelivery, serverStore: boundedReads });
  for (const u of [ALICE, BOB]) await h.store.ensureAccount(u);
  ALICE_ID = await accountIdOf(h);
});
after(() => h.close());

function bigEmail(withBcc: boolean): Buffer {
  const bcc = withBcc ? `Bcc: ${ALICE}\r\nBCC: ${BOB},\r\n\t${ALICE}\r\n` : '';
  const head = `From: <${ALICE}>\r\nTo: <${BOB}>\r\n${bcc}Subject: a big one\r\nMessage-ID: <big-submission@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n`;
  const lines: string[] = [];
  for (let i = 0; lines.length < 130_000; i++) lines.push(`line ${i} Bcc: not a header here ${'z'.repeat(i % 30)}`);
  return Buffer.from(head + lines.join('\r\n') + '\r\n', 'latin1');
}

test('a 6 MiB email is submitted from a spool file without its Bcc fields, byte-exact otherwise', async () => {
  const original = bigEmail(true);
  const expected = bigEmail(false);
  assert.ok(original.length > 6 * 1024 * 1024, `${original.length} bytes`);
  const drafts = (await h.store.findMailboxByRole(ALICE, 'drafts'))!.id;
  const { emailId } = await h.store.append(ALICE, { mailboxIds: [drafts], bytes: original });
  const [[name, set]] = (await call(h, [['EmailSubmission/set', { accountId: ALICE_ID, create: { s: { identityId: 'default', emailId } } }, 's']], USING_SUB)) as unknown as Array<[string, { created?: Record<string, { id: string }>; notCreated?: unknown }]>;
  assert.equal(name, 'EmailSubmission/set');
  assert.ok(set.created?.s?.id, JSON.stringify(set));
  const inbox = (await h.store.findMailboxByRole(BOB, 'inbox'))!.id;
  const q = await h.store.queryEmails(BOB, { filter: { kind: 'inMailbox', mailboxId: inbox } });
  assert.equal(q.ids.length, 1);
  const got = (await h.store.readMessage(BOB, q.ids[0]!))!;
  // Delivery puts its trace fields in front; the rest is the email less its Bcc fields.
  assert.ok(got.subarray(got.length - expected.length).equals(expected), 'the delivered copy ends with the email less Bcc');
  assert.doesNotMatch(got.subarray(0, got.length - expected.length).toString('latin1'), /^Bcc:/im);
});
