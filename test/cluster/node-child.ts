// One Tessera node of a cluster test or benchmark, in its own process (so nodes share nothing but
// PostgreSQL, as on separate machines): `node --import tsx test/cluster/node-child.ts <confDir>`.
// Reads users to create from TESSERA_NODE_USERS (JSON [[name, password]…]; skipped when they exist
// already, as when users are shared by the store). Logs JSON to stderr; prints one line
// `READY {endpoints}` on stdout once every listener is bound; stops cleanly when stdin closes.
import { Writable } from 'node:stream';
import { runServe } from '../../src/server/serve.js';
import { protocolFactories } from '../../src/server/protocols.js';
import { listenerPort } from '../support/tessera-conf.js';

const confDir = process.argv[2];
if (!confDir) throw new Error('usage: cluster-node <confDir>');

const running = await runServe({
  confDir,
  factories: protocolFactories,
  // The banner is for people; stdout carries the READY line only.
  io: { stdout: new Writable({ write: (_chunk, _encoding, done) => done() }), env: {} },
});
const users = JSON.parse(process.env.TESSERA_NODE_USERS ?? '[]') as Array<[string, string]>;
for (const [name, password] of users) {
  if (await running.context.users.lookup(name)) continue;
  await running.context.users.add(name, password).catch(async (err: unknown) => {
    // Another node sharing the users created it meanwhile.
    if (!(await running.context.users.lookup(name))) throw err;
  });
}
// SMTP on every node; IMAP, submission and JMAP where the conf has them (an SMTP-only relay node has not).
const has = (name: string): boolean => running.servers.some((s) => s.name === name);
const endpoints = {
  smtpMx: listenerPort(running, 'smtp-mx'),
  ...(has('imap') ? { imap: listenerPort(running, 'imap') } : {}),
  ...(has('smtp-submission') ? { submission: listenerPort(running, 'smtp-submission') } : {}),
  ...(has('jmap') ? { jmap: `http://127.0.0.1:${listenerPort(running, 'jmap')}` } : {}),
  // /metrics, when the conf turns the control listener on (bench/cluster reads round trips there).
  ...(has('control-http') ? { control: `http://127.0.0.1:${listenerPort(running, 'control-http')}` } : {}),
};
process.stdout.write(`READY ${JSON.stringify(endpoints)}\n`);

process.stdin.resume();
process.stdin.on('end', () => {
  void running.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
