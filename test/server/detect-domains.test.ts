// domainlist.xml autodetect/autodetectIP (James' AbstractDomainList): the machine's host name and the
// addresses of the local domains are local domains while the server runs, with the real resolver and
// the real users database; without the keys nothing is added.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedUsersRepository } from '../../src/auth/users/sqlite-users.js';
import { detectDomains } from '../../src/server/detect-domains.js';
import { DomainInUseError } from '../../src/auth/users/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import type { DomainListConfig } from '../../src/config/types.js';

const HOST = hostname().toLowerCase().replace(/\.$/, '');

describe('domainlist.xml autodetect and autodetectIP', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-detect-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function domainsFor(config: DomainListConfig, name: string) {
    const detected = await detectDomains(config, silentLogger());
    const repo = await createEmbeddedUsersRepository(join(dir, name), { kind: 'embedded', enableVirtualHosting: true, algorithm: 'scrypt' }, detected, silentLogger());
    return { detected, repo };
  }

  it('autodetect makes the host name local and, with James\' default domain, the default domain', { skip: HOST === 'localhost' }, async () => {
    const { detected, repo } = await domainsFor({ domainnames: [], defaultDomain: 'localhost', autodetect: true, autodetectIP: false }, 'a');
    try {
      assert.equal(detected.defaultDomain, HOST);
      assert.equal(await repo.domains.contains(HOST), true);
      assert.ok((await repo.domains.list()).includes(HOST));
      await assert.rejects(repo.domains.remove(HOST), DomainInUseError);
      assert.equal(await repo.domains.contains('other.example'), false);
    } finally {
      await repo.close();
    }
  });

  it('autodetectIP makes the addresses of the local domains local, as address literals too', async () => {
    const { detected, repo } = await domainsFor({ domainnames: ['localhost'], defaultDomain: 'localhost', autodetect: false, autodetectIP: true }, 'b');
    try {
      assert.ok(detected.detected?.includes('127.0.0.1'), `localhost resolved to ${JSON.stringify(detected.detected)}`);
      assert.equal(await repo.domains.contains('[127.0.0.1]'), true);
      assert.equal(await repo.domains.contains('127.0.0.1'), true);
      assert.equal(await repo.domains.contains('[192.0.2.1]'), false);
    } finally {
      await repo.close();
    }
  });

  it('without the keys nothing is detected', async () => {
    const { detected, repo } = await domainsFor({ domainnames: ['a.test'], defaultDomain: 'a.test' }, 'c');
    try {
      assert.equal(detected.detected, undefined);
      assert.equal(await repo.domains.contains(HOST), HOST === 'a.test');
      assert.equal(await repo.domains.contains('[127.0.0.1]'), false);
    } finally {
      await repo.close();
    }
  });
});
