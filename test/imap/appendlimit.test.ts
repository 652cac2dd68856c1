// RFC 7889 APPENDLIMIT over real sockets: the listener's literal limit is announced in CAPABILITY
// (before and after login) and per mailbox in STATUS and LIST-STATUS, and an APPEND announcing a
// larger message is refused with NO [TOOBIG] before its literal is read (no `+`, the connection stays
// in step). With no limit configured the bare capability is announced and STATUS says NIL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';

const USER = 'alice@example.org';
const PASS = 'secret';
const LIMIT = 4096;

function message(size: number): string {
  const head = 'Subject: limit\r\n\r\n';
  return head + 'x'.repeat(size - head.length);
}

test('APPENDLIMIT=<literal limit> in CAPABILITY, STATUS and LIST-STATUS; a larger APPEND gets NO [TOOBIG] without its literal being read', async () => {
  const h = await startImap({ users: { [USER]: PASS }, config: { maxLiteralSize: LIMIT } });
  try {
    const pre = await RawClient.connect(h.port);
    assert.ok((await pre.command('c', 'CAPABILITY')).some((l) => l.startsWith('* CAPABILITY ') && l.split(' ').includes(`APPENDLIMIT=${LIMIT}`)));
    pre.close();

    const c = await RawClient.loggedIn(h.port, USER, PASS);
    try {
      assert.ok((await c.command('c', 'CAPABILITY')).some((l) => l.split(' ').includes(`APPENDLIMIT=${LIMIT}`)));
      const status = await c.command('s', 'STATUS INBOX (APPENDLIMIT MESSAGES)');
      assert.ok(status.includes(`* STATUS INBOX (APPENDLIMIT ${LIMIT} MESSAGES 0)`), status.join('\n'));
      const list = await c.command('l', 'LIST "" "INBOX" RETURN (STATUS (APPENDLIMIT))');
      assert.ok(list.includes(`* STATUS INBOX (APPENDLIMIT ${LIMIT})`), list.join('\n'));

      // One byte over: refused at the announcement, nothing read; the next command is understood.
      const refused = await c.command('a', `APPEND INBOX {${LIMIT + 1}}`);
      assert.match(refused.at(-1)!, /^a NO \[TOOBIG\]/);
      assert.ok(!refused.some((l) => l.startsWith('+')), refused.join('\n'));
      assert.match((await c.command('n', 'NOOP')).at(-1)!, /^n OK/);

      // Exactly the limit is accepted.
      const m = message(LIMIT);
      c.write(`b APPEND INBOX {${LIMIT}}\r\n`);
      assert.match(await c.readLine(), /^\+ /);
      c.write(`${m}\r\n`);
      assert.match((await c.until('b')).at(-1)!, /^b OK/);
    } finally {
      c.close();
    }
  } finally {
    await h.close();
  }
});

test('no literal limit configured: bare APPENDLIMIT in CAPABILITY, STATUS APPENDLIMIT NIL', async () => {
  const h = await startImap({ users: { [USER]: PASS }, config: { maxLiteralSize: Number.MAX_SAFE_INTEGER } });
  try {
    const c = await RawClient.loggedIn(h.port, USER, PASS);
    try {
      const caps = (await c.command('c', 'CAPABILITY')).find((l) => l.startsWith('* CAPABILITY '))!.split(' ');
      assert.ok(caps.includes('APPENDLIMIT'), caps.join(' '));
      assert.ok(!caps.some((x) => x.startsWith('APPENDLIMIT=')), caps.join(' '));
      assert.ok((await c.command('s', 'STATUS INBOX (APPENDLIMIT)')).includes('* STATUS INBOX (APPENDLIMIT NIL)'));
    } finally {
      c.close();
    }
  } finally {
    await h.close();
  }
});
