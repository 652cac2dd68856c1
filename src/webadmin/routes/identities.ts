// James /users/{username}/identities: a user's JMAP identities (the ones JMAP Identity/get shows,
// kept by the store, src/store/identities.ts) in James' shape: list (`?default=true`: the built-in
// identity alone), create (201) and update (204). James has no deletion route; JMAP Identity/set
// deletes. As in JMAP, an identity's address is the user's own or one of its subaddresses: an
// administrator cannot make a user send as someone else either.
import { randomUUID } from 'node:crypto';
import { sameMailbox } from '../../mime/subaddress.js';
import { isStoreError } from '../../store/errors.js';
import {
  builtInIdentity,
  DEFAULT_IDENTITY_ID,
  identitiesValue,
  listIdentities,
  SETTING_IDENTITY,
  type IdentityAddress,
  type IdentityEdits,
  type IdentityList,
  type IdentityRecord,
} from '../../store/identities.js';
import type { JsonValue, MailStore } from '../../store/types.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { conflict, invalid, NO_CONTENT, notFound, type Schema, type WebAdminRoute } from '../types.js';
import { existingAccount } from './users.js';

const TAG = 'Users';

const ADDRESS_IN: Schema = { type: 'object', required: ['email'], properties: { email: { type: 'string' }, name: { type: ['string', 'null'] } } };
const ADDRESS_OUT: Schema = { type: 'object', required: ['mailAddress'], properties: { mailAddress: { type: 'string' }, emailerName: { type: ['string', 'null'] } } };
const IDENTITY: Schema = {
  type: 'object',
  required: ['id', 'name', 'email', 'mayDelete', 'textSignature', 'htmlSignature', 'sortOrder'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    mayDelete: { type: 'boolean' },
    textSignature: { type: 'string' },
    htmlSignature: { type: 'string' },
    sortOrder: { type: 'integer' },
    bcc: { type: 'array', items: ADDRESS_OUT },
    replyTo: { type: 'array', items: ADDRESS_OUT },
  },
};
const UPSERT: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    email: { type: 'string', description: "The user's address or one of its subaddresses (creation only)" },
    mayDelete: { type: 'boolean', description: 'Accepted and ignored: added identities may always be deleted' },
    textSignature: { type: 'string' },
    htmlSignature: { type: 'string' },
    sortOrder: { type: 'integer' },
    bcc: { type: 'array', items: ADDRESS_IN },
    replyTo: { type: 'array', items: ADDRESS_IN },
  },
};

const addressesJson = (list: IdentityAddress[] | null): JsonValue => (list ?? []).map((a) => ({ emailerName: a.name, mailAddress: a.email }));

function identityJson(i: IdentityRecord): JsonValue {
  return {
    id: i.id,
    name: i.name,
    email: i.email,
    mayDelete: i.id !== DEFAULT_IDENTITY_ID,
    textSignature: i.textSignature,
    htmlSignature: i.htmlSignature,
    sortOrder: i.sortOrder ?? 0,
    bcc: addressesJson(i.bcc),
    replyTo: addressesJson(i.replyTo),
  };
}

function addresses(value: unknown, what: string): IdentityAddress[] {
  if (!Array.isArray(value)) throw invalid(`${what} must be a list of {"email", "name"}`);
  return value.map((a: unknown) => {
    const { email, name } = (a ?? {}) as { email?: unknown; name?: unknown };
    if (typeof email !== 'string' || email === '' || (name !== undefined && name !== null && typeof name !== 'string')) {
      throw invalid(`${what} must be a list of {"email", "name"}`);
    }
    return { email, name: typeof name === 'string' ? name : null };
  });
}

/** James' upsert body onto a record; `email` only when creating (it is immutable, as in JMAP). */
function applyUpsert(target: IdentityRecord, body: unknown, user: string, creating: boolean): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const key of ['name', 'textSignature', 'htmlSignature'] as const) {
    if (b[key] === undefined) continue;
    if (typeof b[key] !== 'string') throw invalid(`${key} must be a string`);
    target[key] = b[key];
  }
  if (b['sortOrder'] !== undefined) {
    if (typeof b['sortOrder'] !== 'number' || !Number.isSafeInteger(b['sortOrder'])) throw invalid('sortOrder must be an integer');
    target.sortOrder = b['sortOrder'];
  }
  for (const key of ['bcc', 'replyTo'] as const) if (b[key] !== undefined && b[key] !== null) target[key] = addresses(b[key], key);
  if (b['mayDelete'] !== undefined && typeof b['mayDelete'] !== 'boolean') throw invalid('mayDelete must be a boolean');
  if (!creating) return;
  if (typeof b['email'] !== 'string') throw invalid('email is required');
  if (!sameMailbox(b['email'], user)) throw invalid("an identity's email must be the user's address or one of its subaddresses");
  target.email = b['email'];
}

/** Writes the identities if nobody changed them since `current` was read (else 409: read again). */
async function save(store: MailStore, user: string, current: IdentityList, next: IdentityRecord[], edits: IdentityEdits): Promise<void> {
  try {
    await store.setSetting(user, SETTING_IDENTITY, identitiesValue(current, next, edits), { ifInState: current.state });
  } catch (err) {
    if (isStoreError(err) && err.code === 'stateMismatch') throw conflict('the identities changed meanwhile; retry');
    throw err;
  }
}

export function identityRoutes({ users, store }: WebAdminDeps): WebAdminRoute[] {
  const account = (name: string): Promise<string> => existingAccount(users, store, name);
  const none = (): IdentityEdits => ({ created: new Set(), updated: new Set(), destroyed: new Set() });
  return [
    {
      method: 'GET',
      path: '/users/{username}/identities',
      tag: TAG,
      summary: "A user's JMAP identities (?default=true: the default one alone)",
      query: [{ name: 'default', description: 'true: only the default (built-in) identity', schema: { type: 'boolean' } }],
      responses: { 200: { description: 'The identities', schema: { type: 'array', items: IDENTITY } }, 404: error('No such user') },
      handle: async ({ params, query }) => {
        const user = await account(params['username']!);
        const { list } = await listIdentities(store, user);
        const def = query.get('default');
        if (def !== null && def !== 'true' && def !== 'false') throw invalid('default must be true or false');
        const shown = def === 'true' ? list.filter((i) => i.id === DEFAULT_IDENTITY_ID) : list;
        return { status: 200, body: shown.map(identityJson) };
      },
    },
    {
      method: 'POST',
      path: '/users/{username}/identities',
      tag: TAG,
      summary: 'Add a JMAP identity to a user',
      body: UPSERT,
      responses: { 201: empty('Created'), 400: error('Invalid identity'), 404: error('No such user'), 409: error('Changed meanwhile') },
      handle: async ({ params, body }) => {
        const user = await account(params['username']!);
        const current = await listIdentities(store, user);
        const rec: IdentityRecord = { ...builtInIdentity(user), id: randomUUID(), email: '' };
        applyUpsert(rec, body, user, true);
        const edits = none();
        edits.created.add(rec.id);
        await save(store, user, current, [...current.list, rec], edits);
        return { status: 201 };
      },
    },
    {
      method: 'PUT',
      path: '/users/{username}/identities/{identityId}',
      tag: TAG,
      summary: "Change a user's JMAP identity (not its address)",
      body: UPSERT,
      responses: { 204: empty('Changed'), 400: error('Invalid identity'), 404: error('No such user or identity'), 409: error('Changed meanwhile') },
      handle: async ({ params, body }) => {
        const user = await account(params['username']!);
        const current = await listIdentities(store, user);
        const id = params['identityId']!;
        const old = current.list.find((i) => i.id === id);
        if (!old) throw notFound(`identity ${id} not found`);
        const changed = { ...old };
        applyUpsert(changed, body, user, false);
        const edits = none();
        edits.updated.add(id);
        await save(store, user, current, current.list.map((i) => (i.id === id ? changed : i)), edits);
        return NO_CONTENT;
      },
    },
  ];
}
