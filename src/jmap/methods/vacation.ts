// VacationResponse/get and /set (RFC 8621 §8): one singleton per account, kept as a store setting
// that the delivery core reads to send auto-replies.
import { CAP_VACATION } from '../capabilities.js';
import { MethodError, setError, SetFailure, type SetError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import { accountId, checkSetSize, optObject, pick, readIds, readProperties } from './args.js';
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
  const account = accountId(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { value, state } = await readSetting<VacationResponse>(deps.store, account, SETTING_VACATION, OFF);
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? ['singleton']) {
    if (id === 'singleton') list.push(pick({ ...OFF, ...value } as unknown as Record<string, Json>, properties));
    else notFound.push(id);
  }
  return [['VacationResponse/get', { accountId: account, state, list, notFound }]];
}

function isDateOrNull(v: Json): boolean {
  return v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /T/.test(v));
}

async function set(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = accountId(args, ctx);
  checkSetSize(args, deps.limits.maxObjectsInSet);
  const { value, state: oldState } = await readSetting<VacationResponse>(deps.store, account, SETTING_VACATION, OFF);
  if (typeof args.ifInState === 'string' && args.ifInState !== oldState) throw new MethodError('stateMismatch');
  const next: VacationResponse = { ...OFF, ...value };
  const notCreated: Record<string, SetError> = {};
  for (const cid of Object.keys(optObject(args, 'create') ?? {})) notCreated[cid] = { type: 'singleton' };
  const notDestroyed: Record<string, SetError> = {};
  for (const id of (args.destroy as Json[] | undefined) ?? []) if (typeof id === 'string') notDestroyed[id] = { type: 'singleton' };
  const updated: JsonObject = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(optObject(args, 'update') ?? {})) {
    try {
      if (id !== 'singleton') throw setError('notFound');
      if (!isJsonObject(patch)) throw setError('invalidPatch');
      for (const [k, v] of Object.entries(patch)) {
        const bad = (): never => {
          throw setError('invalidProperties', `bad ${k}`, { properties: [k] });
        };
        if (k === 'isEnabled') next.isEnabled = typeof v === 'boolean' ? v : bad();
        else if (k === 'fromDate' || k === 'toDate') next[k] = isDateOrNull(v) ? (v as string | null) : bad();
        else if (k === 'subject' || k === 'textBody' || k === 'htmlBody') next[k] = v === null || typeof v === 'string' ? v : bad();
        else if (k !== 'id' || v !== 'singleton') bad();
      }
      updated[id] = null;
    } catch (err) {
      if (err instanceof SetFailure) notUpdated[id] = err.error;
      else throw err;
    }
  }
  const newState = Object.keys(updated).length > 0 ? await writeSetting(deps.store, account, SETTING_VACATION, next, oldState) : oldState;
  const out: JsonObject = { accountId: account, oldState, newState, created: {}, updated, destroyed: [] };
  if (Object.keys(notCreated).length) out.notCreated = notCreated as unknown as JsonObject;
  if (Object.keys(notUpdated).length) out.notUpdated = notUpdated as unknown as JsonObject;
  if (Object.keys(notDestroyed).length) out.notDestroyed = notDestroyed as unknown as JsonObject;
  return [['VacationResponse/set', out]];
}

export function vacationMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_VACATION, deps, h);
  return [
    ['VacationResponse/get', def(get)],
    ['VacationResponse/set', def(set)],
  ];
}
