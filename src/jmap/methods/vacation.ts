// VacationResponse/get and /set (RFC 8621 §8): one singleton per account, kept as a store setting
// that the delivery core reads to send auto-replies.
import { CAP_VACATION } from '../capabilities.js';
import { setError } from '../errors.js';
import { type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import { readAccount, pick, readIds, readProperties } from './args.js';
import { checkedEachStep, eachStep, runSet } from './set-engine.js';
import type { SetPropertyRules } from './set-properties.js';
import { readSetRequest } from './set-request.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { readSetting, SETTING_VACATION, writeSetting } from './settings.js';

export interface VacationResponse {
  id: 'singleton';
  isEnabled: boolean;
  fromDate: string | null;
  toDate: string | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

const PROPERTIES = ['id', 'isEnabled', 'fromDate', 'toDate', 'subject', 'textBody', 'htmlBody'];
const OFF: VacationResponse = { id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null };

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { value, state } = await readSetting<VacationResponse>(deps.store, account.name, SETTING_VACATION, OFF);
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? ['singleton']) {
    if (id === 'singleton') list.push(pick({ ...OFF, ...value } as unknown as Record<string, Json>, properties));
    else notFound.push(id);
  }
  return [['VacationResponse/get', { accountId: account.id, state, list, notFound }]];
}

function isDateOrNull(v: Json): boolean {
  return v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /T/.test(v));
}

const RULES: SetPropertyRules = { serverSet: ['id'], immutable: [], mutable: PROPERTIES.filter((p) => p !== 'id') };

/** The one VacationResponse always exists: it can be updated, never created or destroyed. */
async function set(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, deps.limits.maxObjectsInSet);
  const account = request.account;
  const { value, state: oldState } = await readSetting<VacationResponse>(deps.store, account.name, SETTING_VACATION, OFF);
  const next: VacationResponse = { ...OFF, ...value };
  const singleton = (): never => {
    throw setError('singleton', 'there is exactly one VacationResponse, with id "singleton"');
  };
  const out = await runSet(request, ctx, {
    rules: RULES,
    oldState,
    current: async (id) => (id === 'singleton' ? (next as unknown as Record<string, Json>) : undefined),
    create: async () => singleton(),
    update: checkedEachStep(
      (id, patch: JsonObject, errors) => {
        if (id !== 'singleton') throw setError('notFound');
        // Read into a copy: a patch with an invalid property changes nothing.
        const changed: VacationResponse = { ...next };
        const bad: string[] = [];
        for (const [k, v] of Object.entries(patch)) {
          if (k === 'isEnabled' && typeof v === 'boolean') changed.isEnabled = v;
          else if ((k === 'fromDate' || k === 'toDate') && isDateOrNull(v)) changed[k] = v as string | null;
          else if ((k === 'subject' || k === 'textBody' || k === 'htmlBody') && (v === null || typeof v === 'string')) changed[k] = v;
          else bad.push(k);
        }
        if (bad.length > 0) errors.add(bad, `bad ${bad.join(', ')}`);
        return changed;
      },
      async (_id, changed) => {
        Object.assign(next, changed);
        return null;
      },
    ),
    destroy: eachStep(async () => singleton()),
    newState: async (changed) => (changed ? writeSetting(deps.store, account.name, SETTING_VACATION, next, oldState) : oldState),
  });
  return [['VacationResponse/set', out]];
}

export function vacationMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_VACATION, deps, h);
  return [
    ['VacationResponse/get', def(get)],
    ['VacationResponse/set', def(set)],
  ];
}
