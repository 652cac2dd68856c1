// `tessera user …` and `tessera domain …` through a running server's WebAdmin (./webadmin-client.ts):
// the same checks and messages as on the database, answered by the server.
import { DomainExistsError, DomainInUseError, UnknownDomainError } from '../auth/users/errors.js';
import { UnknownUserError, UserExistsError } from '../auth/users/types.js';
import type { CliIO } from './types.js';
import { messageOf, type WebAdminClient } from './webadmin-client.js';

const user = (name: string): string => `/users/${encodeURIComponent(name)}`;
const domain = (name: string): string => `/domains/${encodeURIComponent(name)}`;

export async function userThroughApi(
  api: WebAdminClient,
  action: 'add' | 'list' | 'remove' | 'passwd',
  name: string | undefined,
  password: (username: string) => Promise<string>,
  io: CliIO,
): Promise<void> {
  const via = `(through WebAdmin at ${api.baseUrl})`;
  if (action === 'list') {
    const answer = await api.request('GET', '/users');
    if (answer.status !== 200) throw api.unexpected('listing users', answer);
    for (const u of answer.body as Array<{ username: string }>) io.stdout.write(`${u.username}\n`);
    return;
  }
  const exists = (await api.request('HEAD', user(name!))).status === 200;
  if (action === 'add' && exists) throw new UserExistsError(`user ${name} already exists`);
  if (action === 'passwd' && !exists) throw new UnknownUserError(`user ${name} does not exist`);
  if (action === 'remove') {
    const answer = await api.request('DELETE', user(name!));
    if (answer.status !== 204) throw api.unexpected(`removing ${name}`, answer);
    io.stderr.write(`removed user ${name} ${via}\n`);
    return;
  }
  const answer = await api.request('PUT', `${user(name!)}${action === 'passwd' ? '?force' : ''}`, { password: await password(name!) });
  if (answer.status === 409) throw new UserExistsError(messageOf(answer.body));
  if (answer.status !== 204) throw api.unexpected(action === 'add' ? `adding ${name}` : `changing the password of ${name}`, answer);
  io.stderr.write(`${action === 'add' ? 'added user' : 'changed the password of'} ${name} ${via}\n`);
}

export async function domainThroughApi(api: WebAdminClient, action: 'add' | 'list' | 'remove', name: string | undefined, io: CliIO): Promise<void> {
  const via = `(through WebAdmin at ${api.baseUrl})`;
  if (action === 'list') {
    const answer = await api.request('GET', '/domains');
    if (answer.status !== 200) throw api.unexpected('listing domains', answer);
    for (const d of answer.body as string[]) io.stdout.write(`${d}\n`);
    return;
  }
  const served = (await api.request('GET', domain(name!))).status === 204;
  if (action === 'add') {
    if (served) throw new DomainExistsError(`domain ${name} already exists`);
    const answer = await api.request('PUT', domain(name!));
    if (answer.status !== 204) throw api.unexpected(`adding ${name}`, answer);
    io.stderr.write(`added domain ${name} ${via}\n`);
    return;
  }
  if (!served) throw new UnknownDomainError(`domain ${name} does not exist`);
  const answer = await api.request('DELETE', domain(name!));
  if (answer.status === 409) throw new DomainInUseError(messageOf(answer.body));
  if (answer.status !== 204) throw api.unexpected(`removing ${name}`, answer);
  io.stderr.write(`removed domain ${name} ${via}\n`);
}
