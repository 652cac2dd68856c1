// The bind failures an operator meets at first start, each said once with its way out. The real
// EACCES is produced in test/cli/privileged-port.test.ts; here every errno the kernel may give.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListenError } from '../../src/net/index.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}: something 0.0.0.0:25`), { code });
}

test('EACCES below 1024 names the capability, setcap on the real node binary, and a port mapping', () => {
  const err = new ListenError('smtpserver-global', 'conf/smtpserver.xml, block 1', { host: '0.0.0.0', port: 25 }, errno('EACCES'));
  assert.match(err.message, /^conf\/smtpserver\.xml, block 1: smtpserver-global cannot listen on 0\.0\.0\.0:25: permission denied: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability/);
  assert.match(err.message, /sudo setcap cap_net_bind_service=\+ep \/\S+/);
  assert.match(err.message, /docker -p 25:<port>/);
  assert.equal(err.code, 'EACCES');
  assert.ok(!err.message.includes('\n'));
});

test('EACCES on a high port is not blamed on the privileged range; IPv6 addresses are bracketed', () => {
  const err = new ListenError('imap', 'conf/imapserver.xml, block 2', { host: '::1', port: 8143 }, errno('EACCES'));
  assert.match(err.message, /imap cannot listen on \[::1\]:8143: permission denied \(a security policy/);
  assert.doesNotMatch(err.message, /CAP_NET_BIND_SERVICE/);
});

test('EADDRINUSE and EADDRNOTAVAIL say what they mean; anything else keeps the system message', () => {
  assert.match(new ListenError('a', 's', { host: '127.0.0.1', port: 143 }, errno('EADDRINUSE')).message, /already in use: another process listens there/);
  assert.match(new ListenError('a', 's', { host: '192.0.2.7', port: 143 }, errno('EADDRNOTAVAIL')).message, /no network interface of this machine has that address/);
  assert.match(new ListenError('a', 's', { host: '127.0.0.1', port: 143 }, errno('EMFILE')).message, /listen EMFILE/);
});
