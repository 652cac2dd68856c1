// Tessera's /users/{username}/app-passwords: an administrator creates (the secret is in that answer
// and never again), lists (name, scope, creation, expiry, last use; no secret) and revokes a user's
// app passwords. Revoking goes through the auth core's service, whose listeners end the sessions the
// password opened on every node (session control), as `tessera app-password revoke` does.
import { appPasswordToJson } from '../../auth/app-passwords/json.js';
import { APP_PASSWORD_SCOPES, AppPasswordRequestError, isAppPasswordScope, type NewAppPassword } from '../../auth/app-passwords/types.js';
import { UnknownUserError } from '../../auth/users/types.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { invalid, NO_CONTENT, notFound, type Schema, type WebAdminRoute } from '../types.js';

const TAG = 'App passwords';
const PATH = '/users/{username}/app-passwords';

const DATE_OR_NULL: Schema = { type: ['string', 'null'], format: 'date-time' };

const APP_PASSWORD: Schema = {
  type: 'object',
  required: ['id', 'user', 'name', 'scopes', 'createdAt', 'expiresAt', 'lastUsedAt', 'lastUsedIp'],
  properties: {
    id: { type: 'string', description: 'Not secret: the first characters of the password' },
    user: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: [...APP_PASSWORD_SCOPES] }, description: 'Empty: every protocol' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: DATE_OR_NULL,
    lastUsedAt: DATE_OR_NULL,
    lastUsedIp: { type: ['string', 'null'] },
  },
};

const CREATED: Schema = {
  type: 'object',
  required: [...(APP_PASSWORD['required'] as string[]), 'secret'],
  properties: { ...(APP_PASSWORD['properties'] as Record<string, Schema>), secret: { type: 'string', description: 'The password, shown this once' } },
};

const NEW_APP_PASSWORD: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', description: 'What it is for ("Phone")' },
    scopes: { type: 'array', items: { type: 'string', enum: [...APP_PASSWORD_SCOPES] }, description: 'Protocols it opens; absent or empty: all' },
    expiresAt: { type: 'string', format: 'date-time', description: 'When it stops working (RFC 3339); absent: never' },
  },
};

/** The create request from its JSON body; 400 for anything else. */
function newAppPassword(body: unknown): NewAppPassword {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be {"name", "scopes"?, "expiresAt"?}');
  const { name, scopes, expiresAt, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(`unknown member "${unknown[0]}"; allowed: name, scopes, expiresAt`);
  if (typeof name !== 'string') throw invalid('"name" must be a string');
  if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((s): s is string => typeof s === 'string'))) throw invalid('"scopes" must be a list of protocol names');
  const badScope = scopes?.find((s) => !isAppPasswordScope(s));
  if (badScope !== undefined) throw invalid(`unknown protocol "${badScope}"; allowed: ${APP_PASSWORD_SCOPES.join(', ')}`);
  let expiry: Date | undefined;
  if (expiresAt !== undefined) {
    // RFC 3339 with an explicit zone: a bare date would depend on the server's time zone.
    if (typeof expiresAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
      throw invalid('"expiresAt" must be an RFC 3339 date-time with a zone (2027-01-31T18:00:00Z)');
    }
    expiry = new Date(expiresAt);
  }
  return { name, scopes: (scopes ?? []).filter(isAppPasswordScope), ...(expiry ? { expiresAt: expiry } : {}) };
}

/** The service's refusals in WebAdmin's codes: an unknown user 404, a bad request 400. */
async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UnknownUserError) throw notFound(err.message);
    if (err instanceof AppPasswordRequestError) throw invalid(err.message);
    throw err;
  }
}

export function appPasswordRoutes({ appPasswords }: WebAdminDeps): WebAdminRoute[] {
  return [
    {
      method: 'GET',
      path: PATH,
      tag: TAG,
      summary: 'A user’s app passwords, without their secrets: name, scope, creation, expiry, last use (time and address)',
      responses: { 200: { description: 'The app passwords', schema: { type: 'array', items: APP_PASSWORD } }, 404: error('No such user') },
      handle: async ({ params }) => {
        const records = await mapped(() => appPasswords.list(params['username']!));
        return { status: 200, body: records.map(appPasswordToJson) };
      },
    },
    {
      method: 'POST',
      path: PATH,
      tag: TAG,
      summary: 'Create an app password; the answer holds its secret, which is never shown again',
      body: NEW_APP_PASSWORD,
      responses: { 201: { description: 'Created', schema: CREATED }, 400: error('A bad name, scope or expiry, or too many app passwords'), 404: error('No such user') },
      handle: async ({ params, body }) => {
        const request = newAppPassword(body);
        const { record, secret } = await mapped(() => appPasswords.create(params['username']!, request));
        return { status: 201, body: { ...appPasswordToJson(record), secret } };
      },
    },
    {
      method: 'DELETE',
      path: `${PATH}/{id}`,
      tag: TAG,
      summary: 'Revoke an app password: it is deleted and every live session it opened ends at once',
      responses: { 204: empty('Revoked'), 404: error('No such user, or no app password of the user by that id') },
      handle: async ({ params }) => {
        const user = params['username']!;
        const revoked = await mapped(() => appPasswords.revoke(user, params['id']!));
        if (!revoked) throw notFound(`${user} has no app password ${params['id']}`);
        return NO_CONTENT;
      },
    },
  ];
}
