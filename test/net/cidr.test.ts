// The one address-list matcher behind SMTP <authorizedAddresses> and JMAP X-User trusted proxies:
// every syntax either used to accept, and what the config loader hands over for James forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrList, InvalidCidrError } from '../../src/net/cidr.js';
import { parseCidrList } from '../../src/config/values.js';

test('CIDR lists match IPv4, IPv6 and IPv4-mapped peers', () => {
  const list = new CidrList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::ffff:172.16.0.0/108']);
  assert.equal(list.contains('10.200.3.4'), true);
  assert.equal(list.contains('::ffff:10.1.2.3'), true);
  assert.equal(list.contains('192.168.1.7'), true);
  assert.equal(list.contains('192.168.1.8'), false);
  assert.equal(list.contains('2001:db8:1::5'), true);
  assert.equal(list.contains('2001:db9::1'), false);
  assert.equal(list.contains('172.16.5.5'), true);
  assert.equal(list.contains('172.32.0.1'), false);
  assert.equal(list.contains('not-an-ip'), false);
  assert.throws(() => new CidrList(['10.0.0.0/33']), InvalidCidrError);
  assert.throws(() => new CidrList(['bogus/8']), InvalidCidrError);
});

test('authorizedAddresses: CIDR, dotted mask, single address, IPv4-mapped IPv6', () => {
  const list = new CidrList(['10.0.0.0/8', '192.168.1.0/255.255.255.0', '::1', '2001:db8::/32']);
  const m = (ip: string): boolean => list.contains(ip);
  assert.ok(m('10.1.2.3'));
  assert.ok(m('::ffff:10.9.9.9'));
  assert.ok(m('192.168.1.77'));
  assert.ok(!m('192.168.2.1'));
  assert.ok(m('::1'));
  assert.ok(m('2001:db8::5'));
  assert.ok(!m('127.0.0.1'));
  assert.throws(() => new CidrList(['not-an-ip']));
  assert.throws(() => new CidrList(['10.0.0.0/33']));
});

test('netmasks must be contiguous and IPv4; blank entries are skipped; zone ids are ignored', () => {
  assert.throws(() => new CidrList(['10.0.0.0/255.0.255.0']), InvalidCidrError);
  assert.throws(() => new CidrList(['2001:db8::/255.255.0.0']), InvalidCidrError);
  assert.throws(() => new CidrList(['10.0.0.0/8/8']), InvalidCidrError);
  const list = new CidrList(['', '  ', 'fe80::/10', '0.0.0.0/0.0.0.0']);
  assert.equal(list.size, 2);
  assert.equal(list.contains('fe80::1%eth0'), true);
  assert.equal(list.contains('203.0.113.9'), true, 'a /0 netmask matches every IPv4 peer');
});

test('the James forms the config loader normalises (10.*, netmasks) match as written', () => {
  const list = new CidrList(parseCidrList('10.*, 192.168.0.0/255.255.0.0, 127.0.0.1'));
  assert.equal(list.contains('10.4.5.6'), true);
  assert.equal(list.contains('::ffff:192.168.77.1'), true);
  assert.equal(list.contains('127.0.0.1'), true);
  assert.equal(list.contains('11.0.0.1'), false);
});
