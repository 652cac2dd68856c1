// Identity/get, /changes, /set (RFC 8621 §6). Every account has one built-in identity for the
// user's own address; more can be added, but only for that address (anything else would let a
// user send as someone else).
import { randomUUID } from 'node:crypto';
import { CAP_SUBMISSION } from '../capabilities.js';
import { setError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import { readAccount, pick, readIds, readProperties } from './args.js';
import { checkedEachStep, eachStep, runSet } from './set-engine.js';
import type { PropertyErrors, SetPropertyRules } from './set-properties.js';
import { readSetRequest } from './set-request.js';
import { identityChanges } from './identity-log.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { writeSetting } from './settings.js';
import {
  builtInIdentity,
  DEFAULT_IDENTITY_ID,
  identitiesValue,
  listIdentities,
  SETTING_IDENTITY,
  type IdentityEdits,
  type IdentityRecord,
} from '../../store/identities.js';
import { sameMailbox } from '../../mime/subaddress.js';

const PROPERTIES = ['id', 'name', 'email', 'replyTo', 'bcc', 'textSignature', 'htmlSignature', 'mayDelete'];

function toJmap(i: IdentityRecord): Record<string, Json> {
  return { ...(i as unknown as Record<string, Json>), mayDelete: i.id !== DEFAULT_IDENTITY_ID };
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { list, state } = await listIdentities(deps.store, account.name);
  const out: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? list.map((i) => i.id)) {
    const i = list.find((x) => x.id === id);
    if (i) out.push(pick(toJmap(i), properties));
    else notFound.push(id);
  }
  return [['Identity/get', { accountId: account.id, state, list: out, notFound }]];
}

function addressList(v: Json | undefined, prop: string): IdentityRecord['replyTo'] {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((a) => isJsonObject(a) && typeof a.email === 'string')) {
    throw setError('invalidProperties', `${prop} must be a list of EmailAddress`, { properties: [prop] });
  }
  return v.map((a) => ({ name: typeof (a as JsonObject).name === 'string' ? ((a as JsonObject).name as string) : null, email: (a as JsonObject).email as string }));
}

const RULES: SetPropertyRules = {
  serverSet: ['id', 'mayDelete'],
  immutable: ['email'],
  mutable: ['name', 'replyTo', 'bcc', 'textSignature', 'htmlSignature'],
};

/** Writes checked properties into a record, recording every bad one in errors; email arrives only on create (it is immutable). */
function applyProps(target: IdentityRecord, props: JsonObject, account: string, errors: PropertyErrors): void {
  for (const [k, v] of Object.entries(props)) {
    switch (k) {
      case 'name':
      case 'textSignature':
      case 'htmlSignature':
        if (typeof v === 'string') target[k] = v;
        else errors.add([k], `${k} must be a string`);
        break;
      case 'email':
        // The user's own address or one of its subaddresses (alice+news@…, RFC 5233).
        if (typeof v !== 'string') errors.add([k], 'email must be a string');
        else if (!sameMailbox(v, account)) throw setError('forbiddenFrom', 'you may only send as your own address or one of its subaddresses');
        else target.email = v;
        break;
      case 'replyTo':
      case 'bcc': {
        const list = errors.read(() => addressList(v, k));
        if (list !== undefined) target[k] = list;
        break;
      }
      default:
        // A pointer into a property ("name/x") patches nothing that exists.
        errors.add([k], `cannot patch ${k}`);
    }
  }
}

async function set(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, deps.limits.maxObjectsInSet);
  const account = request.account;
  const current = await listIdentities(deps.store, account.name);
  const { list, state: oldState } = current;
  const next = list.map((i) => ({ ...i }));
  // What this call changed, for the change log (an identity created and destroyed here never existed).
  const edits: IdentityEdits = { created: new Set(), updated: new Set(), destroyed: new Set() };
  const out = await runSet(request, ctx, {
    rules: RULES,
    oldState,
    current: async (id) => {
      const rec = next.find((i) => i.id === id);
      return rec === undefined ? undefined : toJmap(rec);
    },
    create: {
      prepare: (raw, _cid, errors) => {
        const rec: IdentityRecord = { ...builtInIdentity(account.name), id: randomUUID(), email: '' };
        applyProps(rec, raw, account.name, errors);
        if (!('email' in raw)) errors.add(['email'], 'email is required');
        return rec;
      },
      commit: async (rec: IdentityRecord) => {
        next.push(rec);
        edits.created.add(rec.id);
        return { id: rec.id, mayDelete: true };
      },
    },
    update: checkedEachStep(
      (id, patch: JsonObject, errors) => {
        const rec = next.find((i) => i.id === id);
        if (rec === undefined) throw setError('notFound');
        // Read into a copy: a patch with an invalid property changes nothing.
        const changed = { ...rec };
        applyProps(changed, patch, account.name, errors);
        return { rec, changed };
      },
      async (id, { rec, changed }) => {
        Object.assign(rec, changed);
        if (!edits.created.has(id)) edits.updated.add(id);
        return null;
      },
    ),
    destroy: eachStep(async (id) => {
      const idx = next.findIndex((i) => i.id === id);
      if (idx < 0) throw setError('notFound');
      if (id === DEFAULT_IDENTITY_ID) throw setError('forbidden', 'the built-in identity cannot be deleted');
      next.splice(idx, 1);
      if (!edits.created.delete(id)) edits.destroyed.add(id);
      edits.updated.delete(id);
    }),
    newState: async (changed) => {
      if (!changed) return oldState;
      return writeSetting(deps.store, account.name, SETTING_IDENTITY, identitiesValue(current, next, edits), oldState);
    },
  });
  return [['Identity/set', out]];
}

export function identityMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_SUBMISSION, deps, h);
  return [
    ['Identity/get', def(get)],
    [
      'Identity/changes',
      def(async (d, a, c) => {
        const { list, state, stored, written } = await listIdentities(d.store, readAccount(a, c).name);
        return identityChanges(a, c, { ids: list.map((i) => i.id), log: stored, state, stored: written });
      }),
    ],
    ['Identity/set', def(set)],
  ];
}
