// James' quota routes at three levels: /quota/users/{username}, /quota/domains/{domainName} and the
// server's at /quota (James' paths: its global quota has no /global segment), each with /count
// (messages) and /size (bytes). Per resource the user's limit applies, else the domain's, else the
// server's (James' rule; the store resolves it, src/store/quota-levels.ts, and enforces it: IMAP
// APPEND and QUOTA, SMTP 552, JMAP Quota and Email/import). The server's level always has a value:
// the store's defaults (unlimited unless it was opened with limits) until one is set here. James
// writes unlimited as -1 and an unset level as null; Tessera's store says 0 for unlimited, so a
// limit of 0 is refused.
import type { JsonValue, QuotaLevel, QuotaLimitSources } from '../../store/types.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { invalid, NO_CONTENT, notFound, WebAdminError, type ResponseSpec, type Schema, type WebAdminRoute } from '../types.js';
import { existingAccount } from './users.js';
import { domainParam } from '../addresses.js';

const TAG = 'Quotas';

type Part = 'count' | 'size';
type Resource = keyof QuotaLevel;
const RESOURCE: Record<Part, Resource> = { count: 'messages', size: 'storage' };

const LIMIT: Schema = { type: 'integer', description: 'A positive limit, or -1 for unlimited' };
const LEVEL: Schema = { type: 'object', properties: { count: { type: ['integer', 'null'] }, size: { type: ['integer', 'null'] } } };
const OCCUPATION: Schema = {
  type: 'object',
  properties: {
    count: { type: 'integer' },
    size: { type: 'integer' },
    ratio: { type: 'object', properties: { count: { type: 'number' }, size: { type: 'number' }, max: { type: 'number' } } },
  },
};
const USER_DETAILS: Schema = {
  type: 'object',
  required: ['global', 'computed', 'occupation'],
  properties: { global: LEVEL, domain: LEVEL, user: LEVEL, computed: LEVEL, occupation: OCCUPATION },
};
const DOMAIN_DETAILS: Schema = { type: 'object', required: ['global', 'computed'], properties: { global: LEVEL, domain: LEVEL, computed: LEVEL } };

const toJames = (limit: number | null): number | null => (limit === 0 ? -1 : limit);
const levelJson = (l: QuotaLevel): JsonValue => ({ count: toJames(l.messages), size: toJames(l.storage) });
const isSet = (l: QuotaLevel): boolean => l.messages !== null || l.storage !== null;
/** The server's level as it applies: what was set here, else the store's default. */
const globalJson = (s: QuotaLimitSources): JsonValue =>
  levelJson({ messages: s.global.messages ?? s.defaults.messages, storage: s.global.storage ?? s.defaults.storage });

/** A James limit value: a positive integer, or -1 (unlimited) → Tessera's 0. */
function fromJames(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || (value < 1 && value !== -1)) {
    throw invalid(`${what} must be a positive integer or -1 (unlimited); a limit of 0 cannot be set`);
  }
  return value === -1 ? 0 : value;
}

/** A James quota body {"count", "size"}: each a limit, or null/absent to set none at this level. */
function levelFromJames(body: unknown): QuotaLevel {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be {"count": …, "size": …}');
  const { count, size } = body as { count?: unknown; size?: unknown };
  return {
    messages: count === undefined || count === null ? null : fromJames(count, 'count'),
    storage: size === undefined || size === null ? null : fromJames(size, 'size'),
  };
}

/** One level's routes: where it lives, how its target is found, and what its GET shows. */
interface QuotaTarget<K> {
  path: string;
  /** "a user", "a domain", "the server" — for summaries. */
  of: string;
  /** Answers besides 200/204/400 its routes may give (404 for an unknown user or domain…). */
  refusals: Record<number, ResponseSpec>;
  /** The path parameters → the target (throws 404/405). */
  find(params: Readonly<Record<string, string>>): Promise<K>;
  sources(key: K): Promise<QuotaLimitSources>;
  /** This level's own limits among the sources. */
  own(s: QuotaLimitSources): QuotaLevel;
  set(key: K, level: QuotaLevel): Promise<void>;
  /** The whole GET's body and its schema. */
  details: { schema: Schema; body(key: K, s: QuotaLimitSources): Promise<JsonValue> };
  /** Whether a part's GET answers 204 when this level does not set it (the server's always has a value). */
  partMayBeUnset: boolean;
}

function levelRoutes<K>(t: QuotaTarget<K>): WebAdminRoute[] {
  const read = async (params: Readonly<Record<string, string>>): Promise<{ key: K; s: QuotaLimitSources }> => {
    const key = await t.find(params);
    return { key, s: await t.sources(key) };
  };
  const partRoutes = (part: Part): WebAdminRoute[] => {
    const r = RESOURCE[part];
    return [
      {
        method: 'GET',
        path: `${t.path}/${part}`,
        tag: TAG,
        summary: `The ${part} limit of ${t.of}`,
        responses: {
          200: { description: 'The limit (-1: unlimited)', schema: LIMIT },
          ...(t.partMayBeUnset ? ({ 204: empty('No limit at this level') } as Record<number, ResponseSpec>) : {}),
          ...t.refusals,
        },
        handle: async ({ params }) => {
          const { s } = await read(params);
          const value = t.partMayBeUnset ? t.own(s)[r] : (s.global[r] ?? s.defaults[r]);
          return value === null ? NO_CONTENT : { status: 200, body: toJames(value) };
        },
      },
      {
        method: 'PUT',
        path: `${t.path}/${part}`,
        tag: TAG,
        summary: `Set the ${part} limit of ${t.of}`,
        body: LIMIT,
        responses: { 204: empty('Set'), 400: error('Not a positive integer or -1'), ...t.refusals },
        handle: async ({ params, body }) => {
          const { key, s } = await read(params);
          await t.set(key, { ...t.own(s), [r]: fromJames(body, part) });
          return NO_CONTENT;
        },
      },
      {
        method: 'DELETE',
        path: `${t.path}/${part}`,
        tag: TAG,
        summary: `Remove the ${part} limit of ${t.of} (the next level's applies)`,
        responses: { 204: empty('Removed'), ...t.refusals },
        handle: async ({ params }) => {
          const { key, s } = await read(params);
          await t.set(key, { ...t.own(s), [r]: null });
          return NO_CONTENT;
        },
      },
    ];
  };
  return [
    {
      method: 'GET',
      path: t.path,
      tag: TAG,
      summary: `The quota of ${t.of}: each level's limits and what applies`,
      responses: { 200: { description: 'The quota', schema: t.details.schema }, ...t.refusals },
      handle: async ({ params }) => {
        const { key, s } = await read(params);
        return { status: 200, body: await t.details.body(key, s) };
      },
    },
    {
      method: 'PUT',
      path: t.path,
      tag: TAG,
      summary: `Set both limits of ${t.of}; a null value sets none at this level`,
      body: LEVEL,
      responses: { 204: empty('Set'), 400: error('Invalid limits'), ...t.refusals },
      handle: async ({ params, body }) => {
        const key = await t.find(params);
        await t.set(key, levelFromJames(body));
        return NO_CONTENT;
      },
    },
    ...partRoutes('count'),
    ...partRoutes('size'),
  ];
}

const ratio = (used: number, limit: number): number => (limit === 0 ? 0 : used / limit);

export function quotaRoutes({ users, domains, store }: WebAdminDeps): WebAdminRoute[] {
  const user: QuotaTarget<string> = {
    path: '/quota/users/{username}',
    of: 'a user',
    refusals: { 404: error('No such user') },
    find: (params) => existingAccount(users, store, params['username']!),
    sources: (name) => store.getQuotaLimits(name),
    own: (s) => s.user,
    set: (name, level) => store.setQuota(name, level),
    partMayBeUnset: true,
    details: {
      schema: USER_DETAILS,
      body: async (name, s) => {
        const usage = await store.getQuota(name);
        const countRatio = ratio(usage.messages.used, s.computed.messages);
        const sizeRatio = ratio(usage.storage.used, s.computed.storage);
        return {
          global: globalJson(s),
          ...(isSet(s.domain) ? { domain: levelJson(s.domain) } : {}),
          ...(isSet(s.user) ? { user: levelJson(s.user) } : {}),
          computed: levelJson(s.computed),
          occupation: { count: usage.messages.used, size: usage.storage.used, ratio: { count: countRatio, size: sizeRatio, max: Math.max(countRatio, sizeRatio) } },
        };
      },
    },
  };

  const domain: QuotaTarget<string> = {
    path: '/quota/domains/{domainName}',
    of: 'a domain (its users without limits of their own)',
    refusals: { 400: error('Not a domain name (or, when setting, not a valid limit)'), 404: error('No such domain'), 405: error('Domain quotas need virtual hosting') },
    find: async (params) => {
      // As James: without virtual hosting users belong to no domain, so a domain quota would apply to nobody.
      if (!users.virtualHosting) throw new WebAdminError(405, 'WrongState', 'domain quotas are not supported without virtual hosting');
      // Keyed by the canonical form accounts are named with (A-labels, no trailing dot), which
      // domains.contains also accepts other spellings of: a raw key would reach no account.
      const name = domainParam(params['domainName']!);
      if (!(await domains.contains(name))) throw notFound(`domain ${name} is not served`);
      return name;
    },
    sources: (name) => store.getScopeQuota(name),
    own: (s) => s.domain,
    set: (name, level) => store.setScopeQuota(name, level),
    partMayBeUnset: true,
    details: {
      schema: DOMAIN_DETAILS,
      body: async (_name, s) => ({ global: globalJson(s), ...(isSet(s.domain) ? { domain: levelJson(s.domain) } : {}), computed: levelJson(s.computed) }),
    },
  };

  const server: QuotaTarget<null> = {
    path: '/quota',
    of: 'the server (users and domains without limits of their own)',
    refusals: {},
    find: async () => null,
    sources: () => store.getScopeQuota(null),
    own: (s) => s.global,
    set: (_none, level) => store.setScopeQuota(null, level),
    partMayBeUnset: false,
    details: { schema: LEVEL, body: async (_none, s) => globalJson(s) },
  };

  return [...levelRoutes(user), ...levelRoutes(domain), ...levelRoutes(server)];
}
