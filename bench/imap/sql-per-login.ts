// SQL statements the SQLite engine runs for one IMAP login (connect → AUTHENTICATE OAUTHBEARER with
// SASL-IR → SELECT INBOX → LOGOUT), by statement text: `node --import tsx bench/imap/sql-per-login.ts`.
// Counts every run/get/all/iterate of a prepared statement (better-sqlite3) and every exec, over
// LOGINS logins after a warm-up, and prints them per login, most frequent first.
import Database from 'better-sqlite3';
import net from 'node:net';
import { startImap } from '../../test/imap/harness.js';
import { startTestIdp } from '../../test/support/oidc-provider.js';

const LOGINS = Number(process.env.LOGINS ?? 50);
const counts = new Map<string, number>();
let counting = false;
const count = (sql: string): void => {
  if (counting) counts.set(sql, (counts.get(sql) ?? 0) + 1);
};
const statementProto = Object.getPrototypeOf((new Database(':memory:')).prepare('SELECT 1')) as Record<string, unknown>;
for (const method of ['run', 'get', 'all', 'iterate'] as const) {
  const original = statementProto[method] as (...args: unknown[]) => unknown;
  statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
    count(this.source.replace(/\s+/g, ' ').trim());
    return original.apply(this, args);
  };
}
const dbProto = Database.prototype as unknown as Record<string, unknown>;
const exec = dbProto.exec as (sql: string) => unknown;
dbProto.exec = function (this: unknown, sql: string) {
  count(`exec: ${sql.replace(/\s+/g, ' ').trim().slice(0, 120)}`);
  return exec.call(this, sql);
};

const user = 'bench@example.org';
const idp = await startTestIdp({ users: [{ email: user }] });
const h = await startImap({ users: { [user]: 'pw' }, auth: { plainAuthEnabled: true, requireSSL: false, oidc: idp.oidcConfig() }, config: { connectionLimit: 0 } });
const token = await idp.accessToken(user);
const ir = Buffer.from(`n,a=${user},\x01auth=Bearer ${token}\x01\x01`).toString('base64');

async function login(): Promise<void> {
  const socket = net.connect(h.port, '127.0.0.1');
  let buffer = '';
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(buffer)) {
          socket.off('data', onData);
          resolve();
        }
      };
      const onData = (d: Buffer): void => {
        buffer += d.toString('latin1');
        check();
      };
      socket.on('data', onData);
      socket.once('error', reject);
      check();
    });
  await waitFor(/^\* OK/m);
  socket.write(`a AUTHENTICATE OAUTHBEARER ${ir}\r\n`);
  await waitFor(/^a OK/m);
  socket.write('b SELECT INBOX\r\n');
  await waitFor(/^b OK/m);
  socket.write('c LOGOUT\r\n');
  await waitFor(/^c OK/m);
  socket.end();
}

for (let i = 0; i < 10; i++) await login();
counting = true;
for (let i = 0; i < LOGINS; i++) await login();
counting = false;
const rows = [...counts].sort((a, b) => b[1] - a[1]);
let total = 0;
for (const [, n] of rows) total += n;
console.log(`${(total / LOGINS).toFixed(1)} statements per login (${LOGINS} logins)`);
for (const [sql, n] of rows) console.log(`${(n / LOGINS).toFixed(2).padStart(6)}  ${sql.slice(0, 160)}`);
await h.close();
await idp.close();
