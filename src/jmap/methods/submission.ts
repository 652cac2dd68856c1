// EmailSubmission/get, /changes, /query, /set (RFC 8621 §7): sends an existing email through the
// delivery core (local recipients delivered, remote ones queued durably before we answer), then runs
// the implicit Email/set of onSuccessUpdateEmail / onSuccessDestroyEmail.
import { randomUUID } from 'node:crypto';
import { CAP_SUBMISSION } from '../capabilities.js';
import { MethodError, setError, SetFailure, type SetError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import { accountId, checkSetSize, invalid, optBool, optObject, pick, readIds, readProperties, resolveId, utcDate } from './args.js';
import { stateOnlyChanges, stateOnlyQueryChanges } from './changes.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { emailSet } from './email-set.js';
import { listIdentities } from './identity.js';
import { readSetting, SETTING_SUBMISSION, writeSetting } from './settings.js';
import { applyWindow } from './window.js';

interface SubmissionRecord {
  id: string;
  identityId: string;
  emailId: string;
  threadId: string;
  envelope: { mailFrom: { email: string; parameters: null }; rcptTo: Array<{ email: string; parameters: null }> };
  sendAt: string;
  undoStatus: 'final';
  deliveryStatus: Record<string, { smtpReply: string; delivered: 'queued' | 'yes' | 'no' | 'unknown'; displayed: 'unknown' }>;
  dsnBlobIds: string[];
  mdnBlobIds: string[];
}

/** Submissions are kept for /get and /query; the oldest are forgotten past this many. */
const KEEP = 200;
const PROPERTIES = ['id', 'identityId', 'emailId', 'threadId', 'envelope', 'sendAt', 'undoStatus', 'deliveryStatus', 'dsnBlobIds', 'mdnBlobIds'];

async function load(deps: MailMethodDeps, account: string): Promise<{ list: SubmissionRecord[]; state: string }> {
  const { value, state } = await readSetting<{ submissions: SubmissionRecord[] }>(deps.store, account, SETTING_SUBMISSION, { submissions: [] });
  return { list: value.submissions, state };
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = accountId(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { list, state } = await load(deps, account);
  const out: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? list.map((s) => s.id)) {
    const s = list.find((x) => x.id === id);
    if (s) out.push(pick(s as unknown as Record<string, Json>, properties));
    else notFound.push(id);
  }
  return [['EmailSubmission/get', { accountId: account, state, list: out, notFound }]];
}

function envelopeFrom(v: Json | undefined): { from: string; to: string[] } | undefined {
  if (v === undefined || v === null) return undefined;
  const bad = (): never => {
    throw setError('invalidProperties', 'bad envelope', { properties: ['envelope'] });
  };
  if (!isJsonObject(v) || !isJsonObject(v.mailFrom) || typeof v.mailFrom.email !== 'string' || !Array.isArray(v.rcptTo)) return bad();
  const to = v.rcptTo.map((r) => (isJsonObject(r) && typeof r.email === 'string' ? r.email : bad()));
  return { from: v.mailFrom.email, to };
}

function stripBcc(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const kept = head.replace(/^Bcc:.*(?:\r?\n[ \t].*)*(?:\r?\n|$)/gim, '');
  return Buffer.from(kept + (end < 0 ? '' : text.slice(end)), 'latin1');
}

async function submitOne(deps: MailMethodDeps, account: string, raw: Json, ctx: MethodContext): Promise<SubmissionRecord> {
  const delivery = deps.delivery;
  if (delivery === undefined) throw setError('forbiddenToSend', 'sending is not configured');
  if (!isJsonObject(raw)) throw setError('invalidProperties', 'not an object');
  if (typeof raw.identityId !== 'string') throw setError('invalidProperties', 'identityId is required', { properties: ['identityId'] });
  if (typeof raw.emailId !== 'string') throw setError('invalidProperties', 'emailId is required', { properties: ['emailId'] });
  const identityId = resolveId(raw.identityId, ctx) ?? raw.identityId;
  const emailId = resolveId(raw.emailId, ctx);
  if (emailId === undefined) throw setError('invalidProperties', 'unknown creation id', { properties: ['emailId'] });
  const identity = (await listIdentities(deps, account)).list.find((i) => i.id === identityId);
  if (identity === undefined) throw setError('invalidProperties', 'no such identity', { properties: ['identityId'] });
  const [email] = await deps.store.getEmails(account, [emailId], { parsed: true });
  if (email?.parsed === undefined) throw setError('invalidProperties', 'no such email', { properties: ['emailId'] });
  const fromHeader = email.parsed.from ?? [];
  if (fromHeader.length === 0 || !fromHeader.every((a) => a.email.toLowerCase() === identity.email.toLowerCase())) {
    throw setError('forbiddenFrom', `the From header must be ${identity.email}`);
  }
  const parsed = email.parsed;
  const envelope = envelopeFrom(raw.envelope) ?? {
    from: identity.email,
    to: [...new Set([...(parsed.to ?? []), ...(parsed.cc ?? []), ...(parsed.bcc ?? [])].map((a) => a.email))],
  };
  if (envelope.from.toLowerCase() !== identity.email.toLowerCase()) throw setError('forbiddenMailFrom', `MAIL FROM must be ${identity.email}`);
  if (envelope.to.length === 0) throw setError('noRecipients', 'the email has no recipients');
  const unknown: string[] = [];
  for (const address of envelope.to) if ((await delivery.route(address)).kind === 'unknown') unknown.push(address);
  if (unknown.length > 0) throw setError('invalidRecipients', 'no such local users', { invalidRecipients: unknown });
  const bytes = await deps.store.readMessage(account, emailId);
  if (bytes === null) throw setError('invalidProperties', 'no such email', { properties: ['emailId'] });
  const result = await delivery.submit({ from: envelope.from, to: envelope.to, bytes: stripBcc(bytes), principal: ctx.principal });
  const deliveryStatus: SubmissionRecord['deliveryStatus'] = {};
  for (const o of result.outcomes) {
    deliveryStatus[o.address] =
      o.status === 'failed'
        ? { smtpReply: `550 5.0.0 ${o.message}`, delivered: 'no', displayed: 'unknown' }
        : { smtpReply: '250 2.0.0 OK', delivered: o.status === 'delivered' ? 'yes' : 'queued', displayed: 'unknown' };
  }
  return {
    id: randomUUID(),
    identityId,
    emailId,
    threadId: email.threadId,
    envelope: { mailFrom: { email: envelope.from, parameters: null }, rcptTo: envelope.to.map((e) => ({ email: e, parameters: null })) },
    sendAt: utcDate(new Date()),
    undoStatus: 'final',
    deliveryStatus,
    dsnBlobIds: [],
    mdnBlobIds: [],
  };
}

async function set(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = accountId(args, ctx);
  checkSetSize(args, deps.limits.maxObjectsInSet);
  const { list, state: oldState } = await load(deps, account);
  if (typeof args.ifInState === 'string' && args.ifInState !== oldState) throw new MethodError('stateMismatch');
  const created: JsonObject = {};
  const notCreated: Record<string, SetError> = {};
  const fresh: SubmissionRecord[] = [];
  for (const [cid, raw] of Object.entries(optObject(args, 'create') ?? {})) {
    try {
      const rec = await submitOne(deps, account, raw, ctx);
      fresh.push(rec);
      ctx.createdIds.set(cid, rec.id);
      created[cid] = { id: rec.id, sendAt: rec.sendAt, undoStatus: rec.undoStatus, threadId: rec.threadId };
    } catch (err) {
      if (err instanceof SetFailure) notCreated[cid] = err.error;
      else throw err;
    }
  }
  // Sent mail cannot be recalled: every submission is final, so updates (undoStatus: canceled) fail.
  const notUpdated: Record<string, SetError> = {};
  for (const id of Object.keys(optObject(args, 'update') ?? {})) {
    notUpdated[id] = list.some((s) => s.id === (resolveId(id, ctx) ?? id)) ? { type: 'cannotUnsend' } : { type: 'notFound' };
  }
  const destroyed: string[] = [];
  const notDestroyed: Record<string, SetError> = {};
  let next = [...list, ...fresh];
  for (const raw of (args.destroy as Json[] | undefined) ?? []) {
    if (typeof raw !== 'string') throw invalid('"destroy" must list ids');
    const id = resolveId(raw, ctx) ?? raw;
    if (next.some((s) => s.id === id)) {
      next = next.filter((s) => s.id !== id);
      destroyed.push(id);
    } else notDestroyed[id] = { type: 'notFound' };
  }
  const changed = fresh.length > 0 || destroyed.length > 0;
  const newState = changed ? await writeSetting(deps.store, account, SETTING_SUBMISSION, { submissions: next.slice(-KEEP) }, oldState) : oldState;
  const out: JsonObject = { accountId: account, oldState, newState, created, updated: {}, destroyed };
  if (Object.keys(notCreated).length) out.notCreated = notCreated as unknown as JsonObject;
  if (Object.keys(notUpdated).length) out.notUpdated = notUpdated as unknown as JsonObject;
  if (Object.keys(notDestroyed).length) out.notDestroyed = notDestroyed as unknown as JsonObject;
  const outputs: MethodOutput = [['EmailSubmission/set', out]];

  // Implicit Email/set (§7.5): keys are submission ids or "#creationId" of a submission just made.
  const emailOf = (key: string): string | undefined => {
    const subId = key.startsWith('#') ? ctx.createdIds.get(key.slice(1)) : key;
    if (key.startsWith('#') && !(key.slice(1) in created)) return undefined;
    return next.find((s) => s.id === subId)?.emailId;
  };
  const update: JsonObject = {};
  for (const [key, patch] of Object.entries(optObject(args, 'onSuccessUpdateEmail') ?? {})) {
    const emailId = emailOf(key);
    if (emailId !== undefined) update[emailId] = patch;
  }
  const destroyEmails: string[] = [];
  for (const key of (args.onSuccessDestroyEmail as Json[] | undefined) ?? []) {
    const emailId = typeof key === 'string' ? emailOf(key) : undefined;
    if (emailId !== undefined) destroyEmails.push(emailId);
  }
  if (Object.keys(update).length > 0 || destroyEmails.length > 0) {
    outputs.push(...(await emailSet(deps, { accountId: account, update, destroy: destroyEmails }, ctx)));
  }
  return outputs;
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = accountId(args, ctx);
  const { list, state } = await load(deps, account);
  const f = optObject(args, 'filter') ?? {};
  const inList = (v: Json | undefined, x: string): boolean => !Array.isArray(v) || v.includes(x);
  const matching = list
    .filter((s) => inList(f.identityIds, s.identityId) && inList(f.emailIds, s.emailId) && inList(f.threadIds, s.threadId))
    .filter((s) => typeof f.undoStatus !== 'string' || s.undoStatus === f.undoStatus)
    .filter((s) => typeof f.before !== 'string' || s.sendAt < f.before)
    .filter((s) => typeof f.after !== 'string' || s.sendAt >= f.after)
    .sort((a, b) => (a.sendAt < b.sendAt ? 1 : a.sendAt > b.sendAt ? -1 : 0));
  const ids = matching.map((s) => s.id);
  const w = applyWindow(ids, args);
  const out: JsonObject = { accountId: account, queryState: state, canCalculateChanges: false, position: w.position, ids: w.ids };
  if (optBool(args, 'calculateTotal', false)) out.total = ids.length;
  return [['EmailSubmission/query', out]];
}

export function submissionMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_SUBMISSION, deps, h);
  return [
    ['EmailSubmission/get', def(get)],
    ['EmailSubmission/changes', def(async (d, a, c) => {
      const account = accountId(a, c);
      return stateOnlyChanges('EmailSubmission/changes', account, a.sinceState, (await load(d, account)).state);
    })],
    ['EmailSubmission/query', def(query)],
    ['EmailSubmission/queryChanges', def(async (d, a, c) => {
      const account = accountId(a, c);
      return stateOnlyQueryChanges('EmailSubmission/queryChanges', account, a, (await load(d, account)).state);
    })],
    ['EmailSubmission/set', def(set)],
  ];
}
