import { startImap } from './harness.js';
import { RawClient } from './raw-client.js';
const h = await startImap({ users: { 'a@b.c': 'p' } });
const c = await RawClient.connect(h.port);
console.log(await c.command('l', 'LOGIN a@b.c p'));
c.write('a NOOP ' + 'x'.repeat(1024 * 1024));
console.log(await c.readLine(3000).catch((e) => String(e).slice(0, 200)));
c.close(); await h.close();
