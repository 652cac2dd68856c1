import { startImap } from './harness.js';
import { ImapTestClient } from './imaptest/client.js';
import { readFile } from 'node:fs/promises';
import { argsToString } from './imaptest/args.js';
import { parseMbox } from './imaptest/mbox.js';
const [mbox, ...cmds] = process.argv.slice(2);
const h = await startImap({ users: { 'u@example.org': 'p' } });
const c = await ImapTestClient.connect(h.port, 1);
await c.command('LOGIN u@example.org p');
await c.command('CREATE t');
for (const m of parseMbox(await readFile(mbox!, 'latin1'))) await c.command(`APPEND t${m.internalDate ? ` "${m.internalDate}"` : ''} {${m.data.length}}\r\n${m.data}`);
await c.command('SELECT t');
c.untagged.length = 0;
for (const cmd of cmds) {
  const r = await c.command(cmd);
  for (const u of c.untagged) console.log('*', argsToString(u));
  c.untagged.length = 0;
  console.log(cmd, '->', JSON.stringify(r?.args));
}
c.close();
await h.close();
