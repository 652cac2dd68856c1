// The recipient rewrite table at routing, on a real users.sqlite: chains end at the depth limit in
// the mailbox reached there, cycles end in a mailbox, unknown local targets are dropped, fan-out is
// bounded, and an alias domain is one hop. The SMTP/IMAP side is in test/webadmin/webadmin.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedUsersRepository, type EmbeddedUsers } from '../../src/auth/users/sqlite-users.js';
import { MAX_REWRITE_DEPTH, MAX_REWRITE_TARGETS, RecipientRouter } from '../../src/delivery/router.js';
import { silentLogger } from '../../src/log/logger.js';

const D = 'rrt.test';
let dir: string;
let embedded: EmbeddedUsers;
let router: RecipientRouter;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-rrt-'));
  embedded = await createEmbeddedUsersRepository(
    dir,
    { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' },
    { domainnames: [D], defaultDomain: D, autodetect: false, autodetectIP: false },
    silentLogger(),
  );
  router = new RecipientRouter(embedded.users, embedded.domains, undefined, silentLogger(), embedded.rewrites);
});

after(async () => {
  await embedded?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('recipient rewriting at routing', () => {
  it('follows a chain of forwards up to the depth limit and delivers where it stops', async () => {
    // Only where the chains stop need be users (hashing a password is slow on purpose).
    for (const i of [MAX_REWRITE_DEPTH, MAX_REWRITE_DEPTH + 2]) await embedded.users.add(`c${i}@${D}`, 'chain-password-1');
    for (let i = 0; i <= MAX_REWRITE_DEPTH + 1; i++) await embedded.rewrites.add('forward', `c${i}@${D}`, `c${i + 1}@${D}`);
    const route = await router.route(`c0@${D}`);
    assert.deepEqual(route, { kind: 'local', address: `c0@${D}`, user: `c${MAX_REWRITE_DEPTH}@${D}` });
    // A shorter chain reaches its end.
    assert.deepEqual(await router.route(`c5@${D}`), { kind: 'local', address: `c5@${D}`, user: `c${MAX_REWRITE_DEPTH + 2}@${D}` });
  });

  it('ends a cycle in the mailbox where it closes, and keeps remote targets of the cycle', async () => {
    for (const u of ['x', 'y']) await embedded.users.add(`${u}@${D}`, 'cycle-password-1');
    await embedded.rewrites.add('forward', `x@${D}`, `y@${D}`);
    await embedded.rewrites.add('forward', `y@${D}`, `x@${D}`);
    await embedded.rewrites.add('forward', `y@${D}`, 'far@remote.example');
    const route = await router.route(`x@${D}`);
    assert.equal(route.kind, 'forward');
    const targets = route.kind === 'forward' ? [...route.targets].sort((a, b) => a.kind.localeCompare(b.kind)) : [];
    assert.deepEqual(targets, [
      { kind: 'local', address: `x@${D}`, user: `x@${D}` },
      { kind: 'remote', address: 'far@remote.example', domain: 'remote.example', forwardedFor: `x@${D}` },
    ]);
  });

  it('drops unknown local targets, and answers unknown when nothing is left', async () => {
    await embedded.rewrites.add('alias', `ghost@${D}`, `nobody@${D}`);
    assert.deepEqual(await router.route(`ghost@${D}`), { kind: 'unknown', address: `ghost@${D}` });
  });

  it('bounds the number of destinations one address expands to', async () => {
    await embedded.users.add(`fan@${D}`, 'fan-password-12');
    for (let i = 0; i < MAX_REWRITE_TARGETS + 20; i++) await embedded.rewrites.add('forward', `fan@${D}`, `r${i}@remote.example`);
    const route = await router.route(`fan@${D}`);
    assert.equal(route.kind === 'forward' ? route.targets.length : 0, MAX_REWRITE_TARGETS);
  });

  it('reads an alias domain as its target, one hop only, keeping the address written', async () => {
    await embedded.users.add(`dora@${D}`, 'dora-password-1');
    await embedded.rewrites.add('domainAlias', 'alias.example', D);
    await embedded.rewrites.add('domainAlias', 'second.example', 'alias.example');
    assert.deepEqual(await router.route('dora+news@alias.example'), { kind: 'local', address: 'dora+news@alias.example', user: `dora@${D}`, detail: 'news' });
    assert.deepEqual(await router.route('nobody@alias.example'), { kind: 'unknown', address: 'nobody@alias.example' });
    assert.equal((await router.route('dora@second.example')).kind, 'remote', 'an alias of an alias is not followed');
  });
});
