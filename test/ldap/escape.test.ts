// User names reach LDAP only as escaped values: these tests pin the escaping rules (RFC 4515 for
// filters, RFC 4514 for DNs) and that ldapts reads the escaped filter back as the literal name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AndFilter, EqualityFilter, FilterParser } from 'ldapts';
import { escapeDnValue, escapeFilterValue } from '../../src/auth/ldap/escape.js';
import { listFilter, userFilter, validateFilterSettings } from '../../src/auth/ldap/filters.js';
import { LdapConfigError } from '../../src/auth/ldap/errors.js';
import { HOSTILE_NAMES } from './fixtures.js';

const settings = { userObjectClass: 'inetOrgPerson', userIdAttribute: 'uid', filter: '(!(employeeType=disabled))' };


describe('RFC 4515 filter value escaping', () => {
  it('escapes the five characters the RFC requires and nothing else', () => {
    assert.equal(escapeFilterValue('*'), '\\2a');
    assert.equal(escapeFilterValue('('), '\\28');
    assert.equal(escapeFilterValue(')'), '\\29');
    assert.equal(escapeFilterValue('\\'), '\\5c');
    assert.equal(escapeFilterValue('\u0000'), '\\00');
    assert.equal(escapeFilterValue(')(uid=*'), '\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('alice@example.org'), 'alice@example.org');
    assert.equal(escapeFilterValue('zoë-日本'), 'zoë-日本');
  });

  it('gives a filter that ldapts parses back to one equality test on the literal name', () => {
    for (const name of [...HOSTILE_NAMES, 'zoë', 'weird*(user)\\']) {
      const parsed = FilterParser.parseString(userFilter(settings, name));
      assert.ok(parsed instanceof AndFilter, name);
      assert.equal(parsed.filters.length, 3, JSON.stringify(name));
      const [objectClass, id] = parsed.filters;
      assert.ok(objectClass instanceof EqualityFilter && id instanceof EqualityFilter, JSON.stringify(name));
      assert.equal(id.attribute, 'uid');
      assert.equal(id.value, name);
    }
  });

  it("builds James' filter shape and accepts an extra filter with or without parentheses", () => {
    assert.equal(userFilter(settings, 'alice'), '(&(objectClass=inetOrgPerson)(uid=alice)(!(employeeType=disabled)))');
    assert.equal(listFilter({ ...settings, filter: 'memberOf=cn=mail,dc=x' }), '(&(objectClass=inetOrgPerson)(memberOf=cn=mail,dc=x))');
    assert.equal(listFilter({ ...settings, filter: undefined }), '(&(objectClass=inetOrgPerson))');
  });

  it('rejects an unparsable filter or a malformed attribute name at start-up', () => {
    assert.throws(() => validateFilterSettings({ ...settings, filter: '(&(uid=a)' }), LdapConfigError);
    assert.throws(() => validateFilterSettings({ ...settings, userIdAttribute: 'uid)(x' }), LdapConfigError);
    assert.throws(() => validateFilterSettings({ ...settings, userObjectClass: ' ' }), LdapConfigError);
    assert.doesNotThrow(() => validateFilterSettings(settings));
  });
});

describe('RFC 4514 DN value escaping', () => {
  it('escapes special characters, leading space or #, trailing space and NUL', () => {
    assert.equal(escapeDnValue('Doe, Jane'), 'Doe\\, Jane');
    assert.equal(escapeDnValue('a+b;c<d>e"f\\g'), 'a\\+b\\;c\\<d\\>e\\"f\\\\g');
    assert.equal(escapeDnValue('#hash'), '\\#hash');
    assert.equal(escapeDnValue(' lead'), '\\ lead');
    assert.equal(escapeDnValue('trail '), 'trail\\ ');
    assert.equal(escapeDnValue(' '), '\\ ');
    assert.equal(escapeDnValue('a\\ '), 'a\\\\\\ ');
    assert.equal(escapeDnValue('nul\u0000'), 'nul\\00');
    assert.equal(escapeDnValue('mid # and = are fine'), 'mid # and = are fine');
  });
});
