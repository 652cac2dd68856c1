// The vacation auto-reply in the delivery core (RFC 8621 §8 VacationResponse, RFC 3834), against a
// real SQLite store: who gets answered, who never does, once per sender per period, local senders
// answered in their INBOX and remote ones through the outbound queue, a failed reply never failing
// the delivery, and the whole path from VacationResponse/set over the JMAP API.
import { test, afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { StoreDeliveryService } from '../../src/delivery/service.js';
import type { DeliveryResult, RecipientRoute } from '../../src/core/delivery.js';
import { RepliedSenders, REPLIED_SETTING_KEY } from '../../src/delivery/vacation/replied.js';
import { VACATION_SETTING_KEY, type VacationSettings } from '../../src/delivery/vacation/settings.js';
import type { DomainList } from '../../src/auth/users/types.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { MailStore } from '../../src/store/types.js';
import { MemoryUsersRepository } from '../support/memory-users.js';
import { accountIdOf, call, startHarness, USING } from '../jmap/harness.js';
import { readAll } from '../../src/store/byte-sources.js';

const DOMAIN = 'example.test';
const ALICE = `alice@${DOMAIN}`;
const BOB = `bob@${DOMAIN}`;
const CAROL = `carol@${DOMAIN}`;
const DAY = 24 * 3600 * 1000;

function domainList(...names: string[]): DomainList {
  return {
    defaultDomain: names[0]!,
    list: async () => names,
    contains: async (d) => names.includes(d.toLowerCase()),
    add: async () => undefined,
    remove: async () => undefined,
  };
}

let dir: string;
let bus: MemoryEventBus;
let store: MailStore;
let service: StoreDeliveryService;
let users: MemoryUsersRepository;
let clock = new Date('2026-07-10T12:00:00Z');
let counter = 0;

// A fresh store per test: every test starts with empty INBOXes, queue and reply records.
beforeEach(async () => {
  clock = new Date('2026-07-10T12:00:00Z');
  dir = await mkdtemp(join(tmpdir(), 'tessera-vacation-'));
  const logger = silentLogger();
  bus = new MemoryEventBus(logger);
  store = await openSqliteStore({ dataDir: dir, events: bus, logger });
  users = new MemoryUsersRepository({ [ALICE]: 'a', [BOB]: 'b', [CAROL]: 'c' });
  service = new StoreDeliveryService({ store, users, domains: domainList(DOMAIN), logger, hostname: 'mx.example.test', now: () => clock });
  for (const u of [ALICE, BOB, CAROL]) await store.ensureAccount(u);
});

afterEach(async () => {
  await store.close();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
});

async function setVacation(user: string, v: Partial<VacationSettings>): Promise<void> {
  const value = { id: 'singleton', isEnabled: true, fromDate: null, toDate: null, subject: null, textBody: 'Away until Monday.', htmlBody: null, ...v };
  await store.setSetting(user, VACATION_SETTING_KEY, value);
}

async function inbox(user: string): Promise<string[]> {
  const box = await store.findMailboxByRole(user, 'inbox');
  const snap = await store.snapshot(user, box!.id);
  const out: string[] = [];
  for (const m of snap.messages) out.push((await store.readMessage(user, m.emailId))!.toString('utf8'));
  return out;
}

/** Auto-replies in a user's INBOX (they are the only messages sent with Auto-Submitted here). */
async function autoReplies(user: string): Promise<string[]> {
  return (await inbox(user)).filter((m) => /^Auto-Submitted: auto-replied/im.test(m));
}

/** Queued auto-replies to a remote address. */
async function queuedRepliesTo(address: string): Promise<string[]> {
  const out: string[] = [];
  for (const item of await store.listOutbound()) {
    if (item.sender !== '' || !item.recipients.some((r) => r.address === address)) continue;
    const bytes = (await readAll((await store.openOutbound(item.id))!)).toString('utf8');
    if (/^Auto-Submitted: auto-replied/im.test(bytes)) out.push(bytes);
  }
  return out;
}

function message(opts: { from?: string; to?: string; subject?: string; extra?: string[]; messageId?: string } = {}): Buffer {
  const lines = [
    `From: ${opts.from ?? `Bob <${BOB}>`}`,
    `To: ${opts.to ?? `Alice <${ALICE}>`}`,
    `Subject: ${opts.subject ?? 'Lunch?'}`,
    'Date: Fri, 10 Jul 2026 11:00:00 +0000',
    `Message-ID: <${opts.messageId ?? `m${++counter}@sender.example`}>`,
    ...(opts.extra ?? []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Lunch tomorrow?',
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

async function deliver(from: string, to: string[], bytes: Buffer): Promise<DeliveryResult> {
  const recipients: RecipientRoute[] = [];
  for (const address of to) recipients.push(await service.route(address));
  return service.deliver({ from, recipients, bytes, trace: { helo: 'client.example', peerAddress: '192.0.2.7', protocol: 'ESMTP', by: 'mx.example.test' } });
}

test('an enabled vacation response answers a local sender once, threaded, from the user, with the null sender', async () => {
  await setVacation(ALICE, { subject: 'Out of office', textBody: 'I am away.\nBack on Monday.', htmlBody: '<p>I am away.</p>' });
  const original = message({ messageId: 'first@sender.example', extra: ['References: <root@sender.example>'] });
  const result = await deliver(BOB, [ALICE], original);
  assert.deepEqual(result.outcomes, [{ address: ALICE, status: 'delivered' }]);

  const replies = await autoReplies(BOB);
  assert.equal(replies.length, 1);
  const raw = replies[0]!;
  assert.match(raw, /^Return-Path: <>\r\n/, 'sent from the null envelope sender');
  const parsed = await simpleParser(raw);
  assert.equal(parsed.from?.value[0]?.address, ALICE);
  assert.deepEqual(Array.isArray(parsed.to) ? [] : parsed.to?.value.map((a) => a.address), [BOB]);
  assert.equal(parsed.subject, 'Out of office');
  assert.equal(parsed.headers.get('auto-submitted'), 'auto-replied');
  assert.equal(parsed.inReplyTo, '<first@sender.example>');
  assert.deepEqual(parsed.references, ['<root@sender.example>', '<first@sender.example>']);
  assert.equal(parsed.text?.trim(), 'I am away.\nBack on Monday.');
  assert.equal(parsed.html && parsed.html.trim(), '<p>I am away.</p>');
  assert.doesNotMatch(raw.replace(/\r\n/g, ''), /\n/, 'every line ends in CRLF');

  // The same sender again, in the same period: no second reply.
  clock = new Date(clock.getTime() + 3600 * 1000);
  const again = await deliver(BOB, [ALICE], message());
  assert.equal(again.outcomes[0]?.status, 'delivered');
  assert.equal((await autoReplies(BOB)).length, 1);
  // Another sender gets their own reply.
  await deliver(CAROL, [ALICE], message({ from: CAROL }));
  assert.equal((await autoReplies(CAROL)).length, 1);
  // Alice's INBOX holds the three originals and no auto-reply of her own.
  assert.equal((await inbox(ALICE)).length, 3);
  assert.equal((await autoReplies(ALICE)).length, 0);
});

test('a remote sender is answered through the outbound queue, from the null sender', async () => {
  await setVacation(ALICE, {});
  const sender = 'dave@remote.example';
  await deliver(sender, [ALICE], message({ from: `Dave <${sender}>`, subject: 'Quote request' }));
  const queued = await queuedRepliesTo(sender);
  assert.equal(queued.length, 1);
  const item = (await store.listOutbound()).find((i) => i.recipients.some((r) => r.address === sender))!;
  assert.equal(item.sender, '');
  assert.equal(item.status, 'queued');
  const parsed = await simpleParser(queued[0]!);
  assert.equal(parsed.subject, 'Auto: Quote request', 'the default subject names the original');
  assert.equal(parsed.text?.trim(), 'Away until Monday.');
  await deliver(sender, [ALICE], message({ from: sender }));
  assert.equal((await queuedRepliesTo(sender)).length, 1, 'once per sender');
});

test('a disabled response, or one outside fromDate/toDate, sends nothing; inside the dates it answers', async () => {
  await setVacation(ALICE, { isEnabled: false });
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 0, 'disabled');

  await setVacation(ALICE, { fromDate: '2026-07-11T00:00:00Z', toDate: '2026-07-20T00:00:00Z' });
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 0, 'before fromDate');

  clock = new Date('2026-07-20T00:00:00Z');
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 0, 'at toDate (exclusive)');

  clock = new Date('2026-07-11T00:00:00Z');
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 1, 'at fromDate (inclusive)');
});

test('messages that must never be answered get no reply, while the same shape without the trait does', async () => {
  await setVacation(ALICE, {});
  const cases: Array<{ name: string; sender: string; bytes?: Buffer; answered: boolean }> = [
    { name: 'control: plain message', sender: 'control@remote.example', answered: true },
    { name: 'control: Auto-Submitted: no', sender: 'control-no@remote.example', bytes: message({ extra: ['Auto-Submitted: no'] }), answered: true },
    { name: 'control: named in Cc', sender: 'control-cc@remote.example', bytes: message({ to: 'team@remote.example', extra: [`Cc: "Alice" <${ALICE.toUpperCase()}>`] }), answered: true },
    { name: 'Auto-Submitted: auto-generated', sender: 'as1@remote.example', bytes: message({ extra: ['Auto-Submitted: auto-generated'] }), answered: false },
    { name: 'Auto-Submitted: auto-replied', sender: 'as2@remote.example', bytes: message({ extra: ['Auto-Submitted: auto-replied; owner-email="x@y"'] }), answered: false },
    { name: 'Precedence: bulk', sender: 'p1@remote.example', bytes: message({ extra: ['Precedence: bulk'] }), answered: false },
    { name: 'Precedence: list', sender: 'p2@remote.example', bytes: message({ extra: ['Precedence: list'] }), answered: false },
    { name: 'Precedence: junk', sender: 'p3@remote.example', bytes: message({ extra: ['Precedence: JUNK'] }), answered: false },
    { name: 'List-Id', sender: 'l1@remote.example', bytes: message({ extra: ['List-Id: Friends <friends.lists.example>'] }), answered: false },
    { name: 'List-Unsubscribe', sender: 'l2@remote.example', bytes: message({ extra: ['List-Unsubscribe: <mailto:leave@lists.example>'] }), answered: false },
    { name: 'spam verdict', sender: 'spam@remote.example', bytes: message({ extra: ['X-Spam-Flag: YES'] }), answered: false },
    { name: 'user not in To/Cc (e.g. Bcc or a list)', sender: 'bcc@remote.example', bytes: message({ to: 'someone@remote.example' }), answered: false },
    { name: 'MAILER-DAEMON', sender: 'MAILER-DAEMON@remote.example', answered: false },
    { name: 'owner-*', sender: 'owner-friends@lists.example', answered: false },
    { name: '*-request', sender: 'friends-request@lists.example', answered: false },
    { name: 'noreply', sender: 'no-reply@shop.example', answered: false },
  ];
  for (const c of cases) {
    const result = await deliver(c.sender, [ALICE], c.bytes ?? message({ from: c.sender }));
    assert.equal(result.outcomes[0]?.status, 'delivered', c.name);
    assert.equal((await queuedRepliesTo(c.sender)).length, c.answered ? 1 : 0, c.name);
  }

  // The null sender (a bounce) is never answered, and nothing is queued for it.
  const before = (await store.listOutbound()).length;
  await deliver('', [ALICE], message({ from: `Mail Delivery System <MAILER-DAEMON@${DOMAIN}>` }));
  assert.equal((await store.listOutbound()).length, before);

  // The user's own address: no reply to herself (her INBOX gains the original only).
  const held = (await inbox(ALICE)).length;
  await deliver(ALICE, [ALICE], message({ from: ALICE }));
  assert.equal((await inbox(ALICE)).length, held + 1);
});

test('two users on vacation answer each other once, and their replies are never answered', async () => {
  await setVacation(ALICE, {});
  await setVacation(BOB, {});
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 1, "alice's reply reaches bob");
  assert.equal((await autoReplies(ALICE)).length, 0, "bob's responder stays quiet on alice's auto-reply");
});

test('the same sender is answered again in a new period or after the resend interval', async () => {
  await setVacation(ALICE, { fromDate: '2026-07-01T00:00:00Z', toDate: '2026-08-01T00:00:00Z' });
  await deliver(BOB, [ALICE], message());
  clock = new Date(clock.getTime() + 6 * DAY);
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 1, 'within 7 days: once');
  clock = new Date(clock.getTime() + 2 * DAY);
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 2, 'after 7 days: reminded');
  await setVacation(ALICE, { fromDate: '2026-07-01T00:00:00Z', toDate: '2026-09-01T00:00:00Z' });
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 3, 'new dates, new period');
});

test('concurrent deliveries from one sender produce one reply', async () => {
  await setVacation(ALICE, {});
  await Promise.all([1, 2, 3, 4].map(() => deliver(BOB, [ALICE], message())));
  assert.equal((await inbox(ALICE)).length >= 4, true);
  assert.equal((await autoReplies(BOB)).length, 1);
});

test('a reply that cannot be delivered never fails the original, and the sender is answered later', async () => {
  await setVacation(ALICE, {});
  // Bob's mailbox is full: the auto-reply to him fails, alice's copy must not.
  await deliver(CAROL, [BOB], message({ from: CAROL, to: BOB }));
  await store.setQuota(BOB, { storage: 0, messages: 1 });
  const result = await deliver(BOB, [ALICE], message());
  assert.deepEqual(result.outcomes, [{ address: ALICE, status: 'delivered' }]);
  assert.equal((await autoReplies(BOB)).length, 0);
  // Room again: the failed reply was not counted as sent, so the next message is answered.
  await store.setQuota(BOB, null);
  await deliver(BOB, [ALICE], message());
  assert.equal((await autoReplies(BOB)).length, 1);
});

test('text, html and subject fall back as RFC 8621 §8 says', async () => {
  await setVacation(ALICE, { textBody: null, htmlBody: '<p>Away &amp; offline</p>' });
  await deliver(BOB, [ALICE], message({ subject: '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=' }));
  const html = await simpleParser((await autoReplies(BOB))[0]!);
  assert.equal(html.subject, 'Auto: Grüße');
  assert.match(html.text ?? '', /Away & offline/, 'a text part is made from the HTML');
  assert.match(String(html.html), /<p>Away &amp; offline<\/p>/);

  await setVacation(ALICE, { textBody: null, htmlBody: null, fromDate: '2026-01-01T00:00:00Z' });
  await deliver(CAROL, [ALICE], message({ from: CAROL }));
  const plain = await simpleParser((await autoReplies(CAROL))[0]!);
  assert.ok((plain.text ?? '').trim().length > 0, 'a default body');
  assert.equal(plain.html, false);
});

test('end to end: VacationResponse/set over JMAP, then a delivery through the delivery core', async () => {
  const USERS = { 'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw' };
  let core: StoreDeliveryService | undefined;
  const h = await startHarness({
    users: USERS,
    delivery: (s, u, logger) => (core = new StoreDeliveryService({ store: s, users: u, domains: domainList('example.com'), logger, hostname: 'tessera.test' })),
  });
  try {
    const using = [...USING, 'urn:ietf:params:jmap:vacationresponse', 'urn:ietf:params:jmap:submission'];
    const aliceId = await accountIdOf(h, 'alice@example.com');
    const [[name, setResult]] = (await call(h, [
      ['VacationResponse/set', { accountId: aliceId, update: { singleton: { isEnabled: true, subject: 'Gone fishing', textBody: 'Back soon.' } } }, 'v'],
    ], using)) as Array<[string, Record<string, unknown>, string]>;
    assert.equal(name, 'VacationResponse/set');
    assert.deepEqual(setResult!.updated, { singleton: null });
    await call(h, [['Identity/set', { accountId: aliceId, update: { default: { name: 'Alice Example' } } }, 'i']], using);

    const route = await core!.route('alice@example.com');
    const result = await core!.deliver({
      from: 'bob@example.com',
      recipients: [route],
      bytes: message({ from: 'bob@example.com', to: 'alice@example.com', subject: 'Hi' }),
      trace: { helo: 'client.example', peerAddress: '192.0.2.7', protocol: 'ESMTP', by: 'tessera.test' },
    });
    assert.equal(result.outcomes[0]?.status, 'delivered');

    const bobInbox = await h.store.findMailboxByRole('bob@example.com', 'inbox');
    const snap = await h.store.snapshot('bob@example.com', bobInbox!.id);
    assert.equal(snap.messages.length, 1);
    const reply = await simpleParser((await h.store.readMessage('bob@example.com', snap.messages[0]!.emailId))!);
    assert.equal(reply.subject, 'Gone fishing');
    assert.equal(reply.text?.trim(), 'Back soon.');
    assert.equal(reply.from?.value[0]?.address, 'alice@example.com');
    assert.equal(reply.from?.value[0]?.name, 'Alice Example', "the name of alice's JMAP identity");

    // Switched off over JMAP: the next sender gets nothing.
    await call(h, [['VacationResponse/set', { accountId: aliceId, update: { singleton: { isEnabled: false } } }, 'v']], using);
    await core!.deliver({
      from: 'carol@remote.example',
      recipients: [route],
      bytes: message({ from: 'carol@remote.example', to: 'alice@example.com' }),
      trace: { helo: 'client.example', peerAddress: '192.0.2.7', protocol: 'ESMTP', by: 'tessera.test' },
    });
    assert.equal((await h.store.listOutbound()).length, 0);
  } finally {
    await h.close();
  }
});

test('reply records: concurrent claims from two nodes, for different senders all succeed, for one sender once', async () => {
  // Two instances over one store stand for two nodes: only the store's compare-and-swap orders them.
  const nodes = [new RepliedSenders(store, 7 * DAY), new RepliedSenders(store, 7 * DAY)];
  const replied = nodes[0]!;
  const senders = Array.from({ length: 8 }, (_, i) => `s${i}@remote.example`);
  const results = await Promise.all([...senders, ...senders].map((s, i) => nodes[i % 2]!.claim(ALICE, 'p', s, clock)));
  assert.equal(results.filter(Boolean).length, senders.length);
  const record = (await store.getSetting(ALICE, REPLIED_SETTING_KEY)).value as { replied: Record<string, number> };
  assert.deepEqual(Object.keys(record.replied).sort(), senders.sort());
  // A release undoes only the claim it names.
  await replied.release(ALICE, 'p', 's0@remote.example', clock);
  assert.equal(await replied.claim(ALICE, 'p', 'S0@Remote.Example', clock), true, 'released, and addresses compare case-insensitively');
  assert.equal(await replied.claim(ALICE, 'p', 's1@remote.example', clock), false);
});
