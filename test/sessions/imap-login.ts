// IMAP logins with an access token for the full-server session tests: AUTHENTICATE OAUTHBEARER over
// a raw socket, and a session left in IDLE (the state a revocation must interrupt).
import assert from 'node:assert/strict';
import { RawClient } from '../imap/raw-client.js';

const bearerPayload = (user: string, token: string): string => Buffer.from(`n,a=${user},\x01auth=Bearer ${token}\x01\x01`).toString('base64');

/** AUTHENTICATE OAUTHBEARER; returns the tagged reply and the client. */
export async function imapLogin(port: number, user: string, token: string): Promise<{ client: RawClient; reply: string }> {
  const client = await RawClient.connect(port);
  client.write(`a AUTHENTICATE OAUTHBEARER ${bearerPayload(user, token)}\r\n`);
  let line = await client.readLine(10_000);
  // A refused token first gets the RFC 7628 error challenge, answered with a dummy response.
  if (line.startsWith('+ ')) {
    client.write('AQ==\r\n');
    line = await client.readLine(10_000);
  }
  while (!line.startsWith('a ')) line = await client.readLine(10_000);
  return { client, reply: line };
}

/** Logs in, selects INBOX and enters IDLE; fails the test if a step is refused. */
export async function imapIdle(port: number, user: string, token: string): Promise<RawClient> {
  const { client, reply } = await imapLogin(port, user, token);
  assert.match(reply, /^a OK /, reply);
  assert.match((await client.command('s', 'SELECT INBOX')).at(-1)!, /^s OK /);
  client.write('i IDLE\r\n');
  assert.match(await client.readLine(), /^\+ /);
  return client;
}
