// pop3server.xml: James' POP3 keys (the listener keys every block has, its handler chain), Tessera's
// <auth> section as IMAP has it, and the defaults where POP3 differs from James (requireSSL, limits).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POP3_CONNECTION_LIMIT, DEFAULT_POP3_MAX_LINE_LENGTH, DEFAULT_POP3_TIMEOUT_SECONDS } from '../../src/config/pop3.js';
import { expectConfigError, expectWarning, loadClean } from './fixtures.js';

const xml = (...blocks: string[]): string => `<pop3servers>${blocks.join('')}</pop3servers>`;

test('a James pop3server block is served with James keys and safe defaults', async () => {
  const loaded = await loadClean({
    'pop3server.xml': xml(`<pop3server enabled="true"><jmxName>pop3server</jmxName><bind>127.0.0.1:0</bind><connectiontimeout>600</connectiontimeout>
      <handlerchain><handler class="org.apache.james.pop3server.core.CoreCmdHandlerLoader"/></handlerchain></pop3server>`),
  });
  const p = loaded.config.pop3[0]!;
  assert.equal(p.protocol, 'pop3');
  assert.equal(p.name, 'pop3server');
  assert.equal(p.timeout, 600);
  assert.equal(p.maxLineLength, DEFAULT_POP3_MAX_LINE_LENGTH);
  assert.equal(p.connectionLimit, DEFAULT_POP3_CONNECTION_LIMIT);
  // James' POP3 takes passwords in clear text; Tessera's default is IMAP's: only over TLS.
  assert.deepEqual(p.auth, { plainAuthEnabled: true, requireSSL: true, requireSSLDefaulted: true });
  assert.ok(loaded.notices.some((n) => n.key === 'pop3server[1].connectionLimit'), 'the safer limit is said');
});

test('the <auth> section and a pop3s block are read as for IMAP', async () => {
  const loaded = await loadClean({
    'pop3server.xml': xml(
      `<pop3server><bind>127.0.0.1:0</bind><auth><plainAuthEnabled>false</plainAuthEnabled><requireSSL>false</requireSSL></auth><connectionLimit>0</connectionLimit><connectionLimitPerIP>0</connectionLimitPerIP></pop3server>`,
    ),
  });
  const p = loaded.config.pop3[0]!;
  assert.equal(p.name, 'pop3-1');
  assert.equal(p.timeout, DEFAULT_POP3_TIMEOUT_SECONDS);
  assert.deepEqual(p.auth, { plainAuthEnabled: false, requireSSL: false });
  assert.equal(p.connectionLimit, 0);
});

test('an unknown handler package is refused, other handlers are named as not run', async () => {
  await expectConfigError(
    { 'pop3server.xml': xml(`<pop3server><bind>127.0.0.1:0</bind><handlerchain coreHandlersPackage="com.example.Pop3Loader"/></pop3server>`) },
    { file: 'pop3server.xml', key: 'pop3server[1].handlerchain@coreHandlersPackage', value: 'com.example.Pop3Loader', fix: 'CoreCmdHandlerLoader' },
  );
  await expectWarning(
    { 'pop3server.xml': xml(`<pop3server><bind>127.0.0.1:0</bind><handlerchain><handler class="com.example.Pop3Filter"/></handlerchain></pop3server>`) },
    { file: 'pop3server.xml', key: 'pop3server[1].handlerchain', includes: ['not run', 'com.example.Pop3Filter'] },
  );
});

test('a missing <bind> names POP3’s port in the fix', async () => {
  await expectConfigError({ 'pop3server.xml': xml('<pop3server></pop3server>') }, { file: 'pop3server.xml', key: 'pop3server[1].bind', value: '', fix: '0.0.0.0:110' });
});
