// James /quota/users/{username}: a user's count (messages) and size (bytes) limits, as James shows
// them: `global` (the defaults of tessera.properties), `user` (this user's override), `computed` (what
// applies) and `occupation`. James writes unlimited as -1; Tessera's store says 0, and cannot hold a
// limit of zero messages or bytes, so 0 is refused. The store enforces the limits (IMAP APPEND and
// QUOTA, SMTP 552, JMAP Quota).
import type { QuotaLimits } from '../../store/types.js';
import type { JsonValue } from '../../store/types.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { invalid, NO_CONTENT, type Schema, type WebAdminRoute } from '../types.js';
import { existingUser } from './users.js';

const TAG = 'Quotas';

const LIMIT: Schema = { type: 'integer', description: 'A positive limit, or -1 for unlimited' };
const LIMITS: Schema = { type: 'object', properties: { count: LIMIT, size: LIMIT } };
const QUOTA_DETAILS: Schema = {
  type: 'object',
  required: ['global', 'computed', 'occupation'],
  properties: {
    global: LIMITS,
    user: LIMITS,
    computed: LIMITS,
    occupation: {
      type: 'object',
      properties: {
        count: { type: 'integer' },
        size: { type: 'integer' },
        ratio: { type: 'object', properties: { count: { type: 'number' }, size: { type: 'number' }, max: { type: 'number' } } },
      },
    },
  },
};

const toJames = (limit: number): number => (limit === 0 ? -1 : limit);

/** A James limit value: a positive integer, or -1 (unlimited) → Tessera's 0. */
function fromJames(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || (value < 1 && value !== -1)) {
    throw invalid(`${what} must be a positive integer or -1 (unlimited); a limit of 0 cannot be set`);
  }
  return value === -1 ? 0 : value;
}

const limitsJson = (l: QuotaLimits): JsonValue => ({ count: toJames(l.messages), size: toJames(l.storage) });
const ratio = (used: number, limit: number): number => (limit === 0 ? 0 : used / limit);

type Part = 'count' | 'size';
const FIELD: Record<Part, keyof QuotaLimits> = { count: 'messages', size: 'storage' };

export function quotaRoutes({ users, store }: WebAdminDeps): WebAdminRoute[] {
  const account = async (name: string): Promise<string> => {
    const user = await existingUser(users, name);
    await store.ensureAccount(user);
    return user;
  };
  /** Sets the override; one equal to the defaults is dropped, so later default changes apply again. */
  const setOverride = async (user: string, limits: QuotaLimits): Promise<void> => {
    const { defaults } = await store.getQuotaLimits(user);
    const same = limits.messages === defaults.messages && limits.storage === defaults.storage;
    await store.setQuota(user, same ? null : limits);
  };
  const current = async (user: string): Promise<QuotaLimits> => {
    const { override, defaults } = await store.getQuotaLimits(user);
    return override ?? defaults;
  };
  const userNotFound = error('No such user');

  const partRoutes = (part: Part): WebAdminRoute[] => [
    {
      method: 'GET',
      path: `/quota/users/{username}/${part}`,
      tag: TAG,
      summary: `The ${part} limit of a user's own quota`,
      responses: { 200: { description: 'The limit (-1: unlimited)', schema: LIMIT }, 204: empty('No limit of its own'), 404: userNotFound },
      handle: async ({ params }) => {
        const { override } = await store.getQuotaLimits(await account(params['username']!));
        return override ? { status: 200, body: toJames(override[FIELD[part]]) } : NO_CONTENT;
      },
    },
    {
      method: 'PUT',
      path: `/quota/users/{username}/${part}`,
      tag: TAG,
      summary: `Set the ${part} limit of a user`,
      body: LIMIT,
      responses: { 204: empty('Set'), 400: error('Not a positive integer or -1'), 404: userNotFound },
      handle: async ({ params, body }) => {
        const user = await account(params['username']!);
        const value = fromJames(body, part);
        await setOverride(user, { ...(await current(user)), [FIELD[part]]: value });
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: `/quota/users/{username}/${part}`,
      tag: TAG,
      summary: `Remove the ${part} limit of a user (the default applies)`,
      responses: { 204: empty('Removed'), 404: userNotFound },
      handle: async ({ params }) => {
        const user = await account(params['username']!);
        const { override, defaults } = await store.getQuotaLimits(user);
        if (override) await setOverride(user, { ...override, [FIELD[part]]: defaults[FIELD[part]] });
        return NO_CONTENT;
      },
    },
  ];

  return [
    {
      method: 'GET',
      path: '/quota/users/{username}',
      tag: TAG,
      summary: "A user's quota: defaults, own limits, what applies and what is used",
      responses: { 200: { description: 'The quota', schema: QUOTA_DETAILS }, 404: userNotFound },
      handle: async ({ params }) => {
        const user = await account(params['username']!);
        const [{ override, defaults }, usage] = await Promise.all([store.getQuotaLimits(user), store.getQuota(user)]);
        const computed = { messages: usage.messages.limit, storage: usage.storage.limit };
        const countRatio = ratio(usage.messages.used, computed.messages);
        const sizeRatio = ratio(usage.storage.used, computed.storage);
        return {
          status: 200,
          body: {
            global: limitsJson(defaults),
            ...(override ? { user: limitsJson(override) } : {}),
            computed: limitsJson(computed),
            occupation: { count: usage.messages.used, size: usage.storage.used, ratio: { count: countRatio, size: sizeRatio, max: Math.max(countRatio, sizeRatio) } },
          },
        };
      },
    },
    {
      method: 'PUT',
      path: '/quota/users/{username}',
      tag: TAG,
      summary: 'Set both limits of a user; a null value gives that limit back to the default',
      body: { type: 'object', properties: { count: { type: ['integer', 'null'] }, size: { type: ['integer', 'null'] } } },
      responses: { 204: empty('Set'), 400: error('Invalid limits'), 404: userNotFound },
      handle: async ({ params, body }) => {
        const user = await account(params['username']!);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be {"count": …, "size": …}');
        const { count, size } = body as { count?: unknown; size?: unknown };
        const { defaults } = await store.getQuotaLimits(user);
        await setOverride(user, {
          messages: count === undefined || count === null ? defaults.messages : fromJames(count, 'count'),
          storage: size === undefined || size === null ? defaults.storage : fromJames(size, 'size'),
        });
        return NO_CONTENT;
      },
    },
    ...partRoutes('count'),
    ...partRoutes('size'),
  ];
}
