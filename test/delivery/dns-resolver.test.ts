// The mail-authentication resolver (src/delivery/authentication/resolver.ts) against a real DNS server
// on loopback: identical questions asked while one is in flight share one query and its answer (each
// asker with its own copy); once answered, nothing is kept, so the next question asks again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDnsResolver } from '../../src/delivery/index.js';
import { startDnsStub, type DnsStub } from '../support/dns-stub.js';

let dns: DnsStub;
before(async () => {
  dns = await startDnsStub();
  dns.add('sender.test', { type: 'TXT', value: 'v=spf1 -all' });
});
after(() => dns.close());

const asked = (question: string): number => dns.queries.filter((q) => q === question).length;

test('identical questions in flight share one query; each asker gets its own copy of the answer', async () => {
  const resolve = createDnsResolver({ servers: [dns.server], useSystem: false });
  const answers = (await Promise.all(Array.from({ length: 6 }, () => resolve('sender.test', 'TXT')))) as string[][][];
  assert.equal(asked('sender.test TXT'), 1);
  for (const a of answers) assert.deepEqual(a, [['v=spf1 -all']]);
  answers[0]![0]!.push('changed by one asker');
  assert.deepEqual(answers[1], [['v=spf1 -all']]);
  // Case does not make a different question.
  await Promise.all([resolve('SENDER.test', 'TXT'), resolve('sender.test', 'TXT')]);
  assert.equal(asked('sender.test TXT'), 2);
});

test('a name without records: every asker in flight gets the error, from one query', async () => {
  const resolve = createDnsResolver({ servers: [dns.server], useSystem: false });
  const results = await Promise.allSettled(Array.from({ length: 4 }, () => resolve('_dmarc.nowhere.test', 'TXT')));
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal((r.reason as NodeJS.ErrnoException).code, 'ENOTFOUND');
  }
  assert.equal(asked('_dmarc.nowhere.test TXT'), 1);
});

test('nothing is kept once answered: a record added since is seen by the next question', async () => {
  const resolve = createDnsResolver({ servers: [dns.server], useSystem: false });
  await assert.rejects(resolve('late.test', 'TXT'), { code: 'ENOTFOUND' });
  dns.add('late.test', { type: 'TXT', value: 'v=spf1 ip4:192.0.2.1 -all' });
  assert.deepEqual(await resolve('late.test', 'TXT'), [['v=spf1 ip4:192.0.2.1 -all']]);
  assert.equal(asked('late.test TXT'), 2);
});
