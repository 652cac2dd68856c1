// `tessera delegation`: grants land in the store the server reads (mayActAs), list and revoke them,
// and the arguments are checked (unknown users, self-delegation, wrong arity).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestConf, type TestConf } from '../server/conf-fixture.js';
import { cli } from './in-process.js';
import { openStoreFromConfig } from '../../src/cli/open-store.js';

describe('tessera delegation', () => {
  let c: TestConf;
  before(async () => {
    c = await makeTestConf({ domains: ['example.test'] });
    for (const u of ['alice@example.test', 'bob@example.test']) assert.equal((await cli(['user', 'add', u, '--conf', c.confDir], { input: 'pw\n' })).code, 0);
  });
  after(() => c.dispose());
  const conf = (): string[] => ['--conf', c.confDir];

  it('grants, lists and revokes; the store answers mayActAs accordingly', async () => {
    const granted = await cli(['delegation', 'grant', 'Alice@example.test', 'bob@example.test', ...conf()]);
    assert.equal(granted.code, 0, granted.stderr);
    assert.equal((await cli(['delegation', 'list', 'alice@example.test', ...conf()])).stdout, 'bob@example.test\n');
    let opened = await openStoreFromConfig(c.confDir, {});
    try {
      assert.equal(await opened.store.mayActAs('bob@example.test', 'alice@example.test'), true);
      assert.equal(await opened.store.mayActAs('alice@example.test', 'bob@example.test'), false);
    } finally {
      await opened.close();
    }
    assert.equal((await cli(['delegation', 'revoke', 'alice@example.test', 'bob@example.test', ...conf()])).code, 0);
    assert.equal((await cli(['delegation', 'revoke', 'alice@example.test', 'bob@example.test', ...conf()])).code, 1);
    opened = await openStoreFromConfig(c.confDir, {});
    try {
      assert.equal(await opened.store.mayActAs('bob@example.test', 'alice@example.test'), false);
    } finally {
      await opened.close();
    }
  });

  it('refuses unknown users, self-delegation and wrong arguments', async () => {
    assert.notEqual((await cli(['delegation', 'grant', 'alice@example.test', 'nobody@example.test', ...conf()])).code, 0);
    for (const args of [
      ['delegation'],
      ['delegation', 'frob', 'alice@example.test'],
      ['delegation', 'grant', 'alice@example.test'],
      ['delegation', 'list', 'alice@example.test', 'bob@example.test'],
      ['delegation', 'grant', 'alice@example.test', 'alice@example.test'],
    ]) {
      const r = await cli([...args, ...conf()]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: tessera/);
    }
  });
});
