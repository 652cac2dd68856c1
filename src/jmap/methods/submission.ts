// EmailSubmission/get, /changes, /query, /set (RFC 8621 §7): sends an existing email through the
// delivery core (local recipients delivered, remote ones queued durably before we answer), then runs
// the implicit Email/set of onSuccessUpdateEmail / onSuccessDestroyEmail.
import { randomUUID } from 'node:crypto';
import { CAP_SUBMISSION } from '../capabilities.js';
import { setError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import { readAccount, optObject, pick, readIds, readProperties, resolveId, utcDate } from './args.js';
import { checkedEachStep, eachStep, runSet } from './set-engine.js';
import type { PropertyErrors, SetPropertyRules } from './set-properties.js';
import { readIdList, readSetRequest } from './set-request.js';
import { stateOnlyChanges, stateOnlyQueryChanges } from './changes.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { emailSet } from './email-set.js';
import { withBccStripped } from '../mail/bcc-stripped.js';
import { listIdentities } from '../../store/identities.js';
import { readSetting, SETTING_SUBMISSION, writeSetting } from './settings.js';
import { applyWindow, queryResponse, readLimit } from './window.js';
import { sameMailbox } from '../../mime/subaddress.js';
import { envelopeExtensions, readParameters, type EnvelopeExtensions, type EnvelopeParameters } from './submission-params.js';

interface SubmissionRecord {
  id: string;
  identityId: string;
  emailId: string;
  threadId: string;
  envelope: { mailFrom: { email: string; parameters: EnvelopeParameters | null }; rcptTo: Array<{ email: string; parameters: EnvelopeParameters | null }> };
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
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const { list, state } = await load(deps, account.name);
  const out: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? list.map((s) => s.id)) {
    const s = list.find((x) => x.id === id);
    if (s) out.push(pick(s as unknown as Record<string, Json>, properties));
    else notFound.push(id);
  }
  return [['EmailSubmission/get', { accountId: account.id, state, list: out, notFound }]];
}

/** A client's envelope (RFC 8621 §7): addresses, their parameters, and what those ask of delivery. */
interface GivenEnvelope {
  from: string;
  to: string[];
  record: SubmissionRecord['envelope'];
  extensions: EnvelopeExtensions;
}

function envelopeFrom(v: Json | undefined): GivenEnvelope | undefined {
  if (v === undefined || v === null) return undefined;
  const bad = (): never => {
    throw setError('invalidProperties', 'bad envelope', { properties: ['envelope'] });
  };
  if (!isJsonObject(v) || !isJsonObject(v.mailFrom) || typeof v.mailFrom.email !== 'string' || !Array.isArray(v.rcptTo)) return bad();
  const rcptTo = v.rcptTo.map((r) => (isJsonObject(r) && typeof r.email === 'string' ? { email: r.email, parameters: readParameters(r.parameters) } : bad()));
  const mailFrom = { email: v.mailFrom.email, parameters: readParameters(v.mailFrom.parameters) };
  return { from: mailFrom.email, to: rcptTo.map((r) => r.email), record: { mailFrom, rcptTo }, extensions: envelopeExtensions(mailFrom.parameters, rcptTo) };
}

interface PreparedSubmission {
  /** The account whose email is sent. */
  account: string;
  identityId: string;
  emailId: string;
  threadId: string;
  envelope: { from: string; to: string[]; record?: SubmissionRecord['envelope']; extensions?: EnvelopeExtensions };
}

/** Checks one EmailSubmission create, recording every invalid property in errors; sends nothing. */
async function prepareSubmission(deps: MailMethodDeps, account: string, raw: JsonObject, ctx: MethodContext, errors: PropertyErrors): Promise<PreparedSubmission> {
  const delivery = deps.delivery;
  if (delivery === undefined) throw setError('forbiddenToSend', 'sending is not configured');
  const given = errors.read(() => envelopeFrom(raw.envelope));
  if (typeof raw.identityId !== 'string') errors.add(['identityId'], 'identityId is required');
  if (typeof raw.emailId !== 'string') errors.add(['emailId'], 'emailId is required');
  const identityId = typeof raw.identityId === 'string' ? (resolveId(raw.identityId, ctx) ?? raw.identityId) : undefined;
  const emailId = typeof raw.emailId === 'string' ? resolveId(raw.emailId, ctx) : undefined;
  if (typeof raw.emailId === 'string' && emailId === undefined) errors.add(['emailId'], 'unknown creation id');
  const identity = identityId === undefined ? undefined : (await listIdentities(deps.store, account)).list.find((i) => i.id === identityId);
  if (identityId !== undefined && identity === undefined) errors.add(['identityId'], 'no such identity');
  const [email] = emailId === undefined ? [] : await deps.store.getEmails(account, [emailId], { parsed: true });
  if (emailId !== undefined && email?.parsed === undefined) errors.add(['emailId'], 'no such email');
  if (identity === undefined || emailId === undefined || email?.parsed === undefined || !errors.empty) {
    // Each missing piece was recorded above; the engine's check names them all.
    errors.check();
    throw setError('invalidProperties');
  }
  const fromHeader = email.parsed.from ?? [];
  // Subaddresses of the identity's mailbox count as the identity (alice+news@ is alice@, RFC 5233).
  if (fromHeader.length === 0 || !fromHeader.every((a) => sameMailbox(a.email, identity.email))) {
    throw setError('forbiddenFrom', `the From header must be ${identity.email}`);
  }
  const parsed = email.parsed;
  const envelope = given ?? {
    from: identity.email,
    to: [...new Set([...(parsed.to ?? []), ...(parsed.cc ?? []), ...(parsed.bcc ?? [])].map((a) => a.email))],
  };
  if (!sameMailbox(envelope.from, identity.email)) throw setError('forbiddenMailFrom', `MAIL FROM must be ${identity.email}`);
  if (envelope.to.length === 0) throw setError('noRecipients', 'the email has no recipients');
  const unknown: string[] = [];
  for (const address of envelope.to) if ((await delivery.route(address)).kind === 'unknown') unknown.push(address);
  if (unknown.length > 0) throw setError('invalidRecipients', 'no such local users', { invalidRecipients: unknown });
  return { account, identityId: identity.id, emailId, threadId: email.threadId, envelope };
}

/** Hands a checked submission to delivery and returns its record. */
async function sendSubmission(deps: MailMethodDeps, prepared: PreparedSubmission, ctx: MethodContext): Promise<SubmissionRecord> {
  const delivery = deps.delivery;
  if (delivery === undefined) throw setError('forbiddenToSend', 'sending is not configured');
  const { account, identityId, emailId, envelope } = prepared;
  // Spooled from the store without its Bcc fields (../mail/bcc-stripped.ts), never read whole.
  const result = await withBccStripped(
    deps.spool,
    () => deps.store.openMessage(account, emailId),
    (bytes) => delivery.submit({ from: envelope.from, to: envelope.to, bytes, principal: ctx.principal, ...envelope.extensions }),
  );
  if (result === null) throw setError('invalidProperties', 'no such email', { properties: ['emailId'] });
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
    threadId: prepared.threadId,
    envelope: envelope.record ?? { mailFrom: { email: envelope.from, parameters: null }, rcptTo: envelope.to.map((e) => ({ email: e, parameters: null })) },
    sendAt: utcDate(new Date()),
    undoStatus: 'final',
    deliveryStatus,
    dsnBlobIds: [],
    mdnBlobIds: [],
  };
}

/** RFC 8621 §7: undoStatus is the only property that changes after a submission is made. */
const RULES: SetPropertyRules = {
  serverSet: ['id', 'threadId', 'sendAt', 'deliveryStatus', 'dsnBlobIds', 'mdnBlobIds'],
  immutable: ['identityId', 'emailId', 'envelope'],
  mutable: ['undoStatus'],
};

async function set(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, deps.limits.maxObjectsInSet);
  const onSuccessUpdate = optObject(args, 'onSuccessUpdateEmail') ?? {};
  const onSuccessDestroy = readIdList(args, 'onSuccessDestroyEmail');
  const account = request.account;
  const { list, state: oldState } = await load(deps, account.name);
  let next = [...list];
  const out = await runSet(request, ctx, {
    rules: RULES,
    oldState,
    current: async (id) => next.find((s) => s.id === id) as unknown as Record<string, Json> | undefined,
    create: {
      prepare: (raw, _cid, errors) => prepareSubmission(deps, account.name, raw, ctx, errors),
      commit: async (prepared: PreparedSubmission) => {
        const rec = await sendSubmission(deps, prepared, ctx);
        next.push(rec);
        return { id: rec.id, sendAt: rec.sendAt, undoStatus: rec.undoStatus, threadId: rec.threadId };
      },
    },
    // Sent mail cannot be recalled: every submission is final, so canceling fails.
    update: checkedEachStep(
      (id, patch: JsonObject, errors) => {
        if (!next.some((s) => s.id === id)) throw setError('notFound');
        const undo = patch.undoStatus;
        if (undo !== undefined && undo !== 'final' && undo !== 'canceled') errors.add(['undoStatus'], 'undoStatus can only be canceled');
        return undo;
      },
      async (_id, undo) => {
        if (undo === 'canceled') throw setError('cannotUnsend', 'the message has already been sent');
        return null;
      },
    ),
    destroy: eachStep(async (id) => {
      if (!next.some((s) => s.id === id)) throw setError('notFound');
      next = next.filter((s) => s.id !== id);
    }),
    newState: async (changed) => (changed ? writeSetting(deps.store, account.name, SETTING_SUBMISSION, { submissions: next.slice(-KEEP) }, oldState) : oldState),
  });
  const outputs: MethodOutput = [['EmailSubmission/set', out]];

  // Implicit Email/set (§7.5): keys are submission ids or "#creationId" of a submission just made.
  const createdHere = isJsonObject(out.created) ? out.created : {};
  const emailOf = (key: string): string | undefined => {
    if (key.startsWith('#') && !(key.slice(1) in createdHere)) return undefined;
    const subId = resolveId(key, ctx);
    return next.find((s) => s.id === subId)?.emailId;
  };
  const update: JsonObject = {};
  for (const [key, patch] of Object.entries(onSuccessUpdate)) {
    const emailId = emailOf(key);
    if (emailId !== undefined) update[emailId] = patch;
  }
  const destroy = onSuccessDestroy.map(emailOf).filter((id): id is string => id !== undefined);
  if (Object.keys(update).length > 0 || destroy.length > 0) {
    outputs.push(...(await emailSet(deps, { accountId: account.id, update, destroy }, ctx)));
  }
  return outputs;
}

/** The submissions the query's filter selects, newest first. */
function matching(list: SubmissionRecord[], args: JsonObject): SubmissionRecord[] {
  const f = optObject(args, 'filter') ?? {};
  const inList = (v: Json | undefined, x: string): boolean => !Array.isArray(v) || v.includes(x);
  return list
    .filter((s) => inList(f.identityIds, s.identityId) && inList(f.emailIds, s.emailId) && inList(f.threadIds, s.threadId))
    .filter((s) => typeof f.undoStatus !== 'string' || s.undoStatus === f.undoStatus)
    .filter((s) => typeof f.before !== 'string' || s.sendAt < f.before)
    .filter((s) => typeof f.after !== 'string' || s.sendAt >= f.after)
    .sort((a, b) => (a.sendAt < b.sendAt ? 1 : a.sendAt > b.sendAt ? -1 : 0));
}

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const { list, state } = await load(deps, account.name);
  const ids = matching(list, args).map((s) => s.id);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const w = applyWindow(ids, args, limit);
  return [['EmailSubmission/query', queryResponse(account, args, limit, { ...w, queryState: state, canCalculateChanges: false, total: ids.length })]];
}

export function submissionMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_SUBMISSION, deps, h);
  return [
    ['EmailSubmission/get', def(get)],
    ['EmailSubmission/changes', def(async (d, a, c) => {
      const account = readAccount(a, c);
      return stateOnlyChanges('EmailSubmission/changes', account, a.sinceState, (await load(d, account.name)).state);
    })],
    ['EmailSubmission/query', def(query)],
    ['EmailSubmission/queryChanges', def(async (d, a, c) => {
      const account = readAccount(a, c);
      const { list, state } = await load(d, account.name);
      return stateOnlyQueryChanges('EmailSubmission/queryChanges', account, a, state, () => matching(list, a).length);
    })],
    ['EmailSubmission/set', def(set)],
  ];
}
