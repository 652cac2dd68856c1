// `tessera app-password …` through a running server's WebAdmin (/users/{u}/app-passwords): the
// server's own service creates, lists and revokes, and a revocation ends the password's sessions
// there at once. Answers are read back into records so the command prints the same either way.
import { appPasswordFromJson } from '../auth/app-passwords/json.js';
import type { AppPasswordRecord, CreatedAppPassword, NewAppPassword } from '../auth/app-passwords/types.js';
import { UnknownUserError } from '../auth/users/types.js';
import { UsageError } from './errors.js';
import { messageOf, type ApiAnswer, type WebAdminClient } from './webadmin-client.js';

const base = (user: string): string => `/users/${encodeURIComponent(user)}/app-passwords`;

function record(api: WebAdminClient, value: unknown): AppPasswordRecord {
  const r = appPasswordFromJson(value);
  if (!r) throw api.unexpected('reading an app password', { status: 200, body: { message: 'not an app password' } });
  return r;
}

/** 404 is the user (the one refusal the database path words as UnknownUserError); 400 a bad request, as on the command line. */
function refusal(api: WebAdminClient, what: string, answer: ApiAnswer): Error {
  if (answer.status === 404) return new UnknownUserError(messageOf(answer.body));
  if (answer.status === 400) return new UsageError(messageOf(answer.body));
  return api.unexpected(what, answer);
}

export async function createThroughApi(api: WebAdminClient, user: string, request: NewAppPassword): Promise<CreatedAppPassword> {
  const body = { name: request.name, scopes: [...(request.scopes ?? [])], ...(request.expiresAt ? { expiresAt: request.expiresAt.toISOString() } : {}) };
  const answer = await api.request('POST', base(user), body);
  if (answer.status !== 201) throw refusal(api, `creating an app password for ${user}`, answer);
  const secret = (answer.body as { secret?: unknown }).secret;
  if (typeof secret !== 'string') throw api.unexpected(`creating an app password for ${user}`, answer);
  return { record: record(api, answer.body), secret };
}

export async function listThroughApi(api: WebAdminClient, user: string): Promise<AppPasswordRecord[]> {
  const answer = await api.request('GET', base(user));
  if (answer.status !== 200 || !Array.isArray(answer.body)) throw refusal(api, `listing the app passwords of ${user}`, answer);
  return answer.body.map((v) => record(api, v));
}

/** The revoked record, or undefined when the user has none by that id. */
export async function revokeThroughApi(api: WebAdminClient, user: string, id: string): Promise<AppPasswordRecord | undefined> {
  // Listed first for the confirmation line (its name); DELETE answers no body.
  const found = (await listThroughApi(api, user)).find((r) => r.id === id);
  if (!found) return undefined;
  const answer = await api.request('DELETE', `${base(user)}/${encodeURIComponent(id)}`);
  if (answer.status === 404) return undefined;
  if (answer.status !== 204) throw refusal(api, `revoking app password ${id} of ${user}`, answer);
  return found;
}
