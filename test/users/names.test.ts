import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalDomain, parseUserName } from '../../src/auth/users/names.js';
import { InvalidUserNameError } from '../../src/auth/users/types.js';
import { InvalidDomainNameError } from '../../src/auth/users/errors.js';

describe('user and domain names', () => {
  it('folds case, Unicode form and the root dot into one canonical name', () => {
    assert.equal(canonicalDomain('Example.ORG.'), 'example.org');
    assert.equal(canonicalDomain('BÜCHER.example'), 'xn--bcher-kva.example');
    assert.deepEqual(parseUserName('Ren\u0065\u0301@Example.org', true), {
      username: 'ren\u00e9@example.org',
      local: 'ren\u00e9',
      domain: 'example.org',
    });
    assert.deepEqual(parseUserName('Bob', false), { username: 'bob', local: 'bob' });
  });

  it('keeps sub-addressing and dots in local parts', () => {
    assert.equal(parseUserName('first.last+tag@example.org', true).username, 'first.last+tag@example.org');
  });

  it('refuses names that would break protocol syntax or logs', () => {
    for (const bad of ['a b@example.org', 'a"b@example.org', 'a\r\nb@example.org', 'a*@example.org', 'a%b@example.org', '@example.org', 'a@', 'a@b@example.org']) {
      assert.throws(() => parseUserName(bad, true), InvalidUserNameError, JSON.stringify(bad));
    }
    assert.throws(() => parseUserName(`${'x'.repeat(65)}@example.org`, true), InvalidUserNameError);
    assert.throws(() => parseUserName('a@exa mple.org', true), /invalid domain part/);
  });

  it('says which setting is wrong when the form does not match virtual hosting', () => {
    assert.throws(() => parseUserName('bob', true), /must be of the form user@domain \(virtual hosting is on\)/);
    assert.throws(() => parseUserName('bob@example.org', false), /virtual hosting is off \(enableVirtualHosting in usersrepository\.xml\)/);
  });

  it('refuses malformed domains', () => {
    for (const bad of ['', '.', 'a..b', 'a_b c', '-a.example', 'a-.example', `${'x'.repeat(64)}.example`]) {
      assert.throws(() => canonicalDomain(bad), InvalidDomainNameError, JSON.stringify(bad));
    }
  });

  it('gives the same answers when asked again, past the number of names it remembers', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1500; i++) assert.equal(canonicalDomain(`Host${i}.BÜCHER.example`), `host${i}.xn--bcher-kva.example`);
      assert.equal(canonicalDomain('Example.ORG.'), 'example.org');
      assert.throws(() => canonicalDomain('a..b'), InvalidDomainNameError, 'a refused name is refused every time');
    }
  });
});
