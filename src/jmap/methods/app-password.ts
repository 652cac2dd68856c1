// AppPassword/get and AppPassword/set under Tessera's own capability `urn:tessera:app-passwords`: a
// signed-in user (webmail, account settings page) lists, creates and revokes their app passwords, on
// the one /set engine. The secret is returned in `created` only, never by /get. Only the name may be
// updated (scope and expiry are what the user agreed to: revoke and create anew). A request authenticated with an app
// password may list but not create or revoke: one leaked app password must not mint others.
import { createHash } from 'node:crypto';
import type { AppPasswordManager } from '../../auth/app-passwords/service.js';
import { AppPasswordRequestError, isAppPasswordScope, type AppPasswordRecord, type AppPasswordScope } from '../../auth/app-passwords/types.js';
import { CAP_APP_PASSWORDS } from '../capabilities.js';
import { MethodError, setError } from '../errors.js';
import type { Json, JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import { invalid, parseUtcDate, pick, readAccount, readIds, readStringList, utcDate } from './args.js';
import { eachStep, runSet } from './set-engine.js';
import type { SetPropertyRules } from './set-properties.js';
import { readSetRequest } from './set-request.js';
import { defineMethod } from './define.js';
import type { MailMethodDeps } from './deps.js';

export type { AppPasswordManager };

const PROPERTIES = ['id', 'name', 'scopes', 'createdAt', 'expiresAt', 'lastUsedAt', 'lastUsedIp'];

const RULES: SetPropertyRules = {
  serverSet: ['id', 'createdAt', 'lastUsedAt', 'lastUsedIp', 'secret'],
  immutable: ['scopes', 'expiresAt'],
  mutable: ['name'],
};

function toJmap(r: AppPasswordRecord): Record<string, Json> {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    createdAt: utcDate(r.createdAt),
    expiresAt: r.expiresAt ? utcDate(r.expiresAt) : null,
    lastUsedAt: r.lastUsedAt ? utcDate(r.lastUsedAt) : null,
    lastUsedIp: r.lastUsedIp ?? null,
  };
}

/** A digest of the ids and last uses: changes whenever one is created, revoked or used. */
function stateOf(records: readonly AppPasswordRecord[]): string {
  const text = records.map((r) => `${r.id}:${r.lastUsedAt?.getTime() ?? ''}`).sort().join(',');
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

function bad(property: string, why: string): never {
  throw setError('invalidProperties', why, { properties: [property] });
}

async function get(service: AppPasswordManager, maxObjects: number, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, maxObjects);
  const asked = readStringList(args, 'properties');
  for (const p of asked ?? []) if (!PROPERTIES.includes(p)) throw invalid(`unknown property "${p}" in "properties"`);
  const records = await service.list(ctx.principal.user);
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? records.map((r) => r.id)) {
    const r = records.find((x) => x.id === id);
    if (r) list.push(pick(toJmap(r), asked ?? PROPERTIES));
    else notFound.push(id);
  }
  return [['AppPassword/get', { accountId: account.id, state: stateOf(records), list, notFound }]];
}

function readScopes(v: Json | undefined): AppPasswordScope[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string' && isAppPasswordScope(s))) {
    bad('scopes', 'scopes must be null or a list of imap, smtp, pop3, managesieve, jmap');
  }
  return [...new Set(v as AppPasswordScope[])];
}

async function set(service: AppPasswordManager, maxObjects: number, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, maxObjects);
  const user = ctx.principal.user;
  const changes = Object.keys(request.create).length + Object.keys(request.update).length + request.destroy.length;
  if (changes > 0 && ctx.principal.credentialId !== undefined) {
    throw new MethodError('forbidden', 'a request authenticated with an app password cannot create or revoke app passwords');
  }
  const records = await service.list(user);
  const mine = new Map(records.map((r) => [r.id, r]));
  const out = await runSet(request, ctx, {
    rules: RULES,
    oldState: stateOf(records),
    current: async (id) => {
      const r = mine.get(id);
      return r === undefined ? undefined : toJmap(r);
    },
    create: async (raw) => {
      if (typeof raw.name !== 'string') bad('name', 'name must be a string');
      const scopes = readScopes(raw.scopes);
      let expiresAt: Date | undefined;
      try {
        expiresAt = parseUtcDate(raw.expiresAt, 'expiresAt');
      } catch {
        bad('expiresAt', 'expiresAt must be a UTCDate or null');
      }
      try {
        const { record, secret } = await service.create(user, { name: raw.name, scopes, ...(expiresAt ? { expiresAt } : {}) });
        mine.set(record.id, record);
        // §5.3: the server-set properties, and the secret this once.
        return { id: record.id, secret, createdAt: utcDate(record.createdAt), lastUsedAt: null, lastUsedIp: null, ...(raw.scopes === undefined ? { scopes: [] } : {}), ...(raw.expiresAt === undefined ? { expiresAt: null } : {}) };
      } catch (err) {
        if (err instanceof AppPasswordRequestError) throw setError('invalidProperties', err.message);
        throw err;
      }
    },
    update: eachStep(async (id, patch) => {
      if (!mine.has(id)) throw setError('notFound');
      if (patch.name === undefined) return null;
      if (typeof patch.name !== 'string') bad('name', 'name must be a string');
      try {
        if (!(await service.rename(user, id, patch.name))) throw setError('notFound');
      } catch (err) {
        if (err instanceof AppPasswordRequestError) bad('name', err.message);
        throw err;
      }
      return null;
    }),
    destroy: eachStep(async (id) => {
      if (!mine.has(id) || !(await service.revoke(user, id))) throw setError('notFound');
      mine.delete(id);
    }),
    newState: async () => stateOf(await service.list(user)),
  });
  return [['AppPassword/set', out]];
}

export function appPasswordMethods(service: AppPasswordManager, deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const max = deps.limits;
  return [
    ['AppPassword/get', defineMethod(CAP_APP_PASSWORDS, deps, (_d, args, ctx) => get(service, max.maxObjectsInGet, args, ctx))],
    ['AppPassword/set', defineMethod(CAP_APP_PASSWORDS, deps, (_d, args, ctx) => set(service, max.maxObjectsInSet, args, ctx))],
  ];
}
