// PushSubscription/get and /set (RFC 8620 §7.2). Unlike every other type they take no accountId
// (subscriptions belong to the credentials of the request, see ../push/webpush/credential.ts), and
// /get returns no state, /set no oldState/newState and takes no ifInState. url and keys are never
// returned (asking for them is `forbidden`). A created subscription gets a PushVerification at
// once and nothing else until the client has set the code from it.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { CAP_CORE } from '../capabilities.js';
import type { CoreLimits } from '../capabilities.js';
import { MethodError, setError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import type { PushSubscriptionChanges, PushSubscriptionRecord } from '../../store/types.js';
import { invalid, parseUtcDate, pick, readIds, readStringList, utcDate } from './args.js';
import { eachStep, runSet } from './set-engine.js';
import type { SetPropertyRules } from './set-properties.js';
import { readIdList, type SetRequest } from './set-request.js';
import { defineMethod } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { credentialOf } from '../push/webpush/credential.js';
import { checkWebPushKeys, WebPushKeyError } from '../push/webpush/encrypt.js';
import { parsePushUrl, resolvePushTarget, PushTargetError } from '../push/webpush/target.js';
import type { WebPushService } from '../push/webpush/service.js';

/** Returned by default; url and keys exist but are never shown (§7.2.1). */
const VISIBLE = ['id', 'deviceClientId', 'verificationCode', 'expires', 'types'];
const PRIVATE = ['url', 'keys'];
/** A user's subscriptions at most (each is an address the server will POST to). */
export const MAX_SUBSCRIPTIONS_PER_USER = 50;
const MAX_DEVICE_CLIENT_ID = 255;
const MAX_TYPES = 64;
const MAX_TYPE_NAME = 255;

const RULES: SetPropertyRules = {
  serverSet: ['id'],
  immutable: ['deviceClientId', 'url', 'keys'],
  mutable: ['verificationCode', 'expires', 'types'],
};

function bad(property: string, why: string): never {
  throw setError('invalidProperties', why, { properties: [property] });
}

function toJmap(r: PushSubscriptionRecord): Record<string, Json> {
  return {
    id: r.id,
    deviceClientId: r.deviceClientId,
    // The client's own copy once it has proved it received the PushVerification; until then null.
    verificationCode: r.verified ? r.verificationCode : null,
    expires: utcDate(r.expires),
    types: r.types,
    url: r.url,
    keys: r.keys ? { ...r.keys } : null,
  };
}

function readTypes(v: Json | undefined): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= MAX_TYPE_NAME)) {
    bad('types', 'types must be null or a list of type names');
  }
  if (v.length > MAX_TYPES) bad('types', `at most ${MAX_TYPES} types`);
  return [...new Set(v)];
}

/** The expiry asked for, brought within [now, now + maximum] (RFC 8620 §7.2 lets the server shorten it). */
function clampExpiry(v: Json | undefined, maxSeconds: number): Date {
  const max = Date.now() + maxSeconds * 1000;
  if (v === undefined || v === null) return new Date(Math.floor(max / 1000) * 1000);
  let asked: Date | undefined;
  try {
    asked = parseUtcDate(v, 'expires');
  } catch {
    bad('expires', 'expires must be a UTCDate or null');
  }
  if (asked === undefined) return new Date(max);
  if (asked.getTime() <= Date.now()) bad('expires', 'expires is in the past');
  return asked.getTime() > max ? new Date(Math.floor(max / 1000) * 1000) : asked;
}

function sameCode(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function get(service: WebPushService, limits: CoreLimits, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const ids = readIds(args, ctx, limits.maxObjectsInGet);
  const asked = readStringList(args, 'properties');
  if (asked !== undefined) {
    const hidden = asked.filter((p) => PRIVATE.includes(p));
    if (hidden.length > 0) throw new MethodError('forbidden', `${hidden.join(' and ')} of a push subscription are never returned (RFC 8620 §7.2.1)`);
    for (const p of asked) if (!VISIBLE.includes(p)) throw invalid(`unknown property "${p}" in "properties"`);
  }
  const properties = asked ?? VISIBLE;
  const mine = await service.list(ctx.principal.user, credentialOf(ctx.principal).credential);
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? mine.map((r) => r.id)) {
    const r = mine.find((x) => x.id === id);
    if (r) list.push(pick(toJmap(r), properties));
    else notFound.push(id);
  }
  return [['PushSubscription/get', { list, notFound }]];
}

async function set(service: WebPushService, limits: CoreLimits, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const object = (name: string): JsonObject => {
    const v = args[name];
    return isJsonObject(v) ? v : {};
  };
  const request: SetRequest = { account: ctx.account, ifInState: null, create: object('create'), update: object('update'), destroy: readIdList(args, 'destroy') };
  const count = Object.keys(request.create).length + Object.keys(request.update).length + request.destroy.length;
  if (count > limits.maxObjectsInSet) throw new MethodError('requestTooLarge', `at most ${limits.maxObjectsInSet} objects per /set`);
  const binding = credentialOf(ctx.principal);
  const user = ctx.principal.user;
  const settings = service.settings;
  const mine = new Map((await service.list(user, binding.credential)).map((r) => [r.id, r]));
  // The cap counts every subscription of the user, whatever credentials made it.
  let total = await service.count(user);

  const out = await runSet(request, ctx, {
    rules: RULES,
    oldState: '',
    current: async (id) => {
      const r = mine.get(id);
      return r === undefined ? undefined : toJmap(r);
    },
    create: async (raw) => {
      const problems: string[] = [];
      const deviceClientId = raw.deviceClientId;
      if (typeof deviceClientId !== 'string' || deviceClientId.length === 0 || deviceClientId.length > MAX_DEVICE_CLIENT_ID) problems.push('deviceClientId');
      if (typeof raw.url !== 'string') problems.push('url');
      const keysRaw = raw.keys ?? null;
      // Other members of keys (none are defined) are not kept.
      if (keysRaw !== null && !(isJsonObject(keysRaw) && typeof keysRaw.p256dh === 'string' && typeof keysRaw.auth === 'string')) {
        problems.push('keys');
      }
      // §7.2: "This MUST be null (or omitted) when the subscription is created."
      if (raw.verificationCode !== undefined && raw.verificationCode !== null) problems.push('verificationCode');
      if (problems.length > 0) throw setError('invalidProperties', `invalid ${problems.join(', ')}`, { properties: problems });
      const keys = keysRaw === null ? null : { p256dh: (keysRaw as JsonObject).p256dh as string, auth: (keysRaw as JsonObject).auth as string };
      if (keys) {
        try {
          checkWebPushKeys(keys);
        } catch (err) {
          if (err instanceof WebPushKeyError) bad('keys', err.message);
          throw err;
        }
      }
      const types = readTypes(raw.types);
      const expires = clampExpiry(raw.expires, settings.maxExpirySeconds);
      const url = raw.url as string;
      try {
        await resolvePushTarget(parsePushUrl(url, { allowPrivate: settings.allowPrivate }), { allowPrivate: settings.allowPrivate });
      } catch (err) {
        if (!(err instanceof PushTargetError)) throw err;
        if (err.kind === 'forbidden') throw setError('forbidden', err.message);
        bad('url', err.message);
      }
      if (total >= MAX_SUBSCRIPTIONS_PER_USER) throw setError('overQuota', `at most ${MAX_SUBSCRIPTIONS_PER_USER} push subscriptions per user`);
      const record: PushSubscriptionRecord = {
        id: randomUUID(),
        user,
        binding,
        deviceClientId: deviceClientId as string,
        url,
        keys,
        verificationCode: randomBytes(16).toString('hex'),
        verified: false,
        expires,
        types,
        createdAt: new Date(),
      };
      await service.create(record);
      mine.set(record.id, record);
      total++;
      // §5.3: what the client did not send or the server changed (the RFC's example shows keys: null).
      const created: JsonObject = { id: record.id, expires: utcDate(expires) };
      if (raw.keys === undefined) created.keys = null;
      if (raw.types === undefined) created.types = null;
      if (raw.verificationCode === undefined) created.verificationCode = null;
      return created;
    },
    update: eachStep(async (id, patch) => {
      const r = mine.get(id);
      if (r === undefined) throw setError('notFound');
      const changes: PushSubscriptionChanges = {};
      const serverChanged: JsonObject = {};
      for (const [k, v] of Object.entries(patch)) {
        if (k === 'verificationCode') {
          // §7.2.2: a wrong code "MUST be rejected by the server with an invalidProperties SetError".
          if (typeof v !== 'string' || !sameCode(v, r.verificationCode)) bad('verificationCode', 'this is not the verification code that was pushed');
          changes.verified = true;
        } else if (k === 'expires') {
          changes.expires = clampExpiry(v, settings.maxExpirySeconds);
          if (v === null || changes.expires.getTime() !== new Date(v as string).getTime()) serverChanged.expires = utcDate(changes.expires);
        } else if (k === 'types') {
          changes.types = readTypes(v);
        } else {
          bad(k, `cannot patch ${k}`);
        }
      }
      if (Object.keys(changes).length > 0 && !(await service.update(r, changes))) throw setError('notFound');
      mine.set(id, { ...r, ...changes });
      return Object.keys(serverChanged).length > 0 ? serverChanged : null;
    }),
    destroy: eachStep(async (id) => {
      if (!mine.has(id)) throw setError('notFound');
      await service.destroy([id]);
      mine.delete(id);
      total--;
    }),
    newState: async () => '',
  });
  delete out.accountId;
  delete out.oldState;
  delete out.newState;
  return [['PushSubscription/set', out]];
}

export function pushSubscriptionMethods(service: WebPushService, deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: typeof get): MethodDefinition => defineMethod(CAP_CORE, deps, (d, args, ctx) => h(service, d.limits, args, ctx));
  return [
    ['PushSubscription/get', def(get)],
    ['PushSubscription/set', def(set)],
  ];
}
