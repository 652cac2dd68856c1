import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { embeddedUsersContracts } from '../../src/auth/users/contract.js';
import { createEmbeddedUsersRepository, type EmbeddedUsers } from '../../src/auth/users/sqlite-users.js';
import { DomainExistsError, DomainInUseError, InvalidDomainNameError, UnknownDomainError } from '../../src/auth/users/errors.js';
import { hashPassword, parsePasswordHash, verifyPasswordHash } from '../../src/auth/users/password-hash.js';
import { silentLogger } from '../../src/log/logger.js';
import type { DomainListConfig, EmbeddedUsersConfig } from '../../src/config/types.js';

const vhOn: EmbeddedUsersConfig = { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' };
const vhOff: EmbeddedUsersConfig = { kind: 'embedded', enableVirtualHosting: false, algorithm: 'scrypt' };
const domainsCfg: DomainListConfig = { domainnames: ['example.org'], defaultDomain: 'example.org' };

async function open(cfg: EmbeddedUsersConfig, domains: DomainListConfig = domainsCfg) {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-users-'));
  const embedded = await createEmbeddedUsersRepository(dir, cfg, domains, silentLogger());
  return {
    dir,
    embedded,
    dispose: async () => {
      await embedded.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

embeddedUsersContracts('embedded SQLite', (virtualHosting) => open(virtualHosting ? vhOn : vhOff));

describe('embedded users database', () => {
  let ctx: Awaited<ReturnType<typeof open>>;
  let embedded: EmbeddedUsers;
  before(async () => {
    ctx = await open(vhOn, { domainnames: ['example.org', 'Configured.Test'], defaultDomain: 'example.org' });
    embedded = ctx.embedded;
  });
  after(() => ctx.dispose());

  it('stores passwords only as self-describing scrypt hashes, never in clear', async () => {
    await embedded.users.add('hash.check@example.org', 'clear-text-canary');
    const raw = await readFile(join(ctx.dir, 'users.sqlite'));
    assert.equal(raw.includes('clear-text-canary'), false);
    const db = new Database(join(ctx.dir, 'users.sqlite'), { readonly: true });
    try {
      const row = db.prepare('SELECT password_hash FROM users WHERE username = ?').get('hash.check@example.org') as {
        password_hash: string;
      };
      assert.match(row.password_hash, /^\$scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    } finally {
      db.close();
    }
  });

  it('creates the database readable by its owner only', async () => {
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(join(ctx.dir, 'users.sqlite'))).mode & 0o077, 0);
  });

  it('salts each hash, so equal passwords give different hashes', async () => {
    const a = await hashPassword('same');
    const b = await hashPassword('same');
    assert.notEqual(a, b);
    assert.equal(await verifyPasswordHash('same', a), true);
    assert.equal(await verifyPasswordHash('same', b), true);
  });

  it('rejects malformed or hostile stored hashes instead of trusting them', async () => {
    assert.equal(parsePasswordHash('plaintext'), undefined);
    assert.equal(parsePasswordHash('$scrypt$N=3,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='), undefined);
    assert.equal(parsePasswordHash('$scrypt$N=1073741824,r=8,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='), undefined);
    assert.equal(await verifyPasswordHash('x', 'plaintext'), false);
  });

  it('verifies hashes made with other parameters and upgrades them on login', async () => {
    await embedded.users.add('legacy@example.org', 'placeholder');
    const cheap = await hashPassword('legacy-pw', { N: 1024, r: 8, p: 1 });
    const db = new Database(join(ctx.dir, 'users.sqlite'));
    try {
      db.prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(cheap, 'legacy@example.org');
      assert.equal(await embedded.users.verifyPassword('legacy@example.org', 'legacy-pw'), true);
      const row = db.prepare('SELECT password_hash FROM users WHERE username = ?').get('legacy@example.org') as {
        password_hash: string;
      };
      assert.match(row.password_hash, /^\$scrypt\$N=32768,/);
    } finally {
      db.close();
    }
    assert.equal(await embedded.users.verifyPassword('legacy@example.org', 'legacy-pw'), true);
  });

  it('ensures the domains of domainlist.xml in canonical form', async () => {
    assert.deepEqual(await embedded.domains.list(), ['configured.test', 'example.org']);
    assert.equal(embedded.domains.defaultDomain, 'example.org');
    assert.equal(await embedded.domains.contains('CONFIGURED.test'), true);
  });

  it('adds, lists and removes domains, case-insensitively', async () => {
    await embedded.domains.add('New.Example');
    assert.equal(await embedded.domains.contains('new.example'), true);
    await assert.rejects(embedded.domains.add('NEW.example'), DomainExistsError);
    await embedded.domains.remove('new.EXAMPLE');
    assert.equal(await embedded.domains.contains('new.example'), false);
    await assert.rejects(embedded.domains.remove('new.example'), UnknownDomainError);
  });

  it('stores internationalised domains in their ASCII form', async () => {
    await embedded.domains.add('Bücher.example');
    assert.equal(await embedded.domains.contains('xn--bcher-kva.example'), true);
    await embedded.users.add('leser@bücher.example', 'pw');
    assert.equal((await embedded.users.lookup('LESER@BÜCHER.example'))?.username, 'leser@xn--bcher-kva.example');
  });

  it('refuses malformed domain names', async () => {
    for (const bad of ['', 'a..b', '-lead.example', 'spa ce.example', 'x'.repeat(64) + '.example']) {
      await assert.rejects(embedded.domains.add(bad), InvalidDomainNameError, JSON.stringify(bad));
    }
  });

  it('refuses to remove a domain that still has users, naming how many', async () => {
    await embedded.domains.add('busy.example');
    await embedded.users.add('one@busy.example', 'pw');
    await embedded.users.add('two@busy.example', 'pw');
    await assert.rejects(embedded.domains.remove('busy.example'), (err: unknown) => {
      assert.ok(err instanceof DomainInUseError);
      assert.match(err.message, /busy\.example still has 2 users/);
      return true;
    });
    await embedded.users.remove('one@busy.example');
    await embedded.users.remove('two@busy.example');
    await embedded.domains.remove('busy.example');
  });

  it('refuses to remove a domain configured in domainlist.xml, since it would come back', async () => {
    await assert.rejects(embedded.domains.remove('configured.test'), /domainlist\.xml \(<domainnames>\)/);
    await assert.rejects(embedded.domains.remove('example.org'), /domainlist\.xml \(<defaultDomain>\)/);
  });

  it('shares its data with a second handle on the same directory, as the CLI and server do', async () => {
    const second = await createEmbeddedUsersRepository(ctx.dir, vhOn, domainsCfg, silentLogger());
    try {
      await second.users.add('from.cli@example.org', 'cli-pw');
      assert.equal(await embedded.users.verifyPassword('from.cli@example.org', 'cli-pw'), true);
    } finally {
      await second.close();
    }
  });

  it('keeps persistent markers across reopenings', async () => {
    await embedded.setMarker('test-marker', 'yes');
    const second = await createEmbeddedUsersRepository(ctx.dir, vhOn, domainsCfg, silentLogger());
    try {
      assert.equal(await second.getMarker('test-marker'), 'yes');
      assert.equal(await second.getMarker('absent'), undefined);
    } finally {
      await second.close();
    }
  });
});

describe('embedded users database, failures', () => {
  it('reports a closed database as unavailable, not as a wrong password', async () => {
    const { embedded, dispose } = await open(vhOff);
    await embedded.close();
    await assert.rejects(embedded.users.verifyPassword('x', 'y'), { name: 'UsersRepositoryUnavailableError' });
    await dispose();
  });

  it('names the path when the data directory cannot be used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-users-'));
    try {
      const file = join(dir, 'not-a-dir');
      await import('node:fs/promises').then((fs) => fs.writeFile(file, ''));
      await assert.rejects(createEmbeddedUsersRepository(file, vhOff, domainsCfg, silentLogger()), (err: unknown) => {
        assert.equal((err as Error).name, 'UsersRepositoryUnavailableError');
        assert.match((err as Error).message, /not-a-dir/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
