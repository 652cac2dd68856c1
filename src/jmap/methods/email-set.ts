// Email/set (create, keyword and mailboxIds patches, destroy) and Email/import (RFC 8621 §4.6,
// §4.8); Email/copy is in ./email-copy.ts, Email/parse (§4.9) in ./email-parse.ts.
import { CAP_MAIL } from '../capabilities.js';
import { MethodError, setError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import type { EmailUpdate, MessageSource, SetPatch } from '../../store/types.js';
import { NoSuchBlobError } from '../../store/errors.js';
import { parsePartBlobId } from '../mail/blob-ids.js';
import { parseHeaderBlock } from '../../mime/headers.js';
import { latestReceivedDate } from '../../mime/date.js';
import { readAccount, invalid, optObject, parseUtcDate, resolveId } from './args.js';
import { batchStep, createAll, orNull, runSet, storeState } from './set-engine.js';
import type { SetPropertyRules } from './set-properties.js';
import { checkIfInState, readIfInState, readSetRequest } from './set-request.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { setFailureFrom } from './store-errors.js';
import { composeEmail, type ContentSource } from '../mail/compose.js';
import { openAnyBlob } from '../mail/blobs.js';
import { withSpooled } from '../mail/spool-source.js';
import { DEFAULT_BODY_PROPERTIES } from '../mail/body-structure.js';
import { emailView, isEmailProperty } from '../mail/email-view.js';
import { readBodyValues, storedPartReader, type BodyValueOptions } from '../mail/body-values.js';
import { BytesGoneError } from '../../store/api/byte-source.js';
import { emailParse } from './email-parse.js';

const KEYWORD = /^[\x21-\x7e]{1,255}$/;
const KEYWORD_FORBIDDEN = /[()\]{%*"\\]/;

function validKeyword(k: string): boolean {
  return KEYWORD.test(k) && !KEYWORD_FORBIDDEN.test(k);
}

export function readKeywords(v: Json | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (!isJsonObject(v)) throw setError('invalidProperties', 'keywords must be an object', { properties: ['keywords'] });
  const out: string[] = [];
  for (const [k, val] of Object.entries(v)) {
    if (val !== true || !validKeyword(k)) throw setError('invalidProperties', `bad keyword ${k}`, { properties: ['keywords'] });
    out.push(k.toLowerCase());
  }
  return out;
}

export function readMailboxIds(v: Json | undefined, ctx: MethodContext): string[] {
  if (!isJsonObject(v)) throw setError('invalidProperties', 'mailboxIds is required', { properties: ['mailboxIds'] });
  const out: string[] = [];
  for (const [k, val] of Object.entries(v)) {
    const id = resolveId(k, ctx);
    if (val !== true || id === undefined) throw setError('invalidProperties', `bad mailbox ${k}`, { properties: ['mailboxIds'] });
    out.push(id);
  }
  if (out.length === 0) throw setError('invalidProperties', 'an email must be in at least one mailbox', { properties: ['mailboxIds'] });
  return out;
}

/** Turns a checked PatchObject (keywords and mailboxIds only) into the store's set/add/remove form. */
export function readEmailPatch(emailId: string, patch: JsonObject, ctx: MethodContext): EmailUpdate {
  const update: EmailUpdate = { emailId };
  const add: Record<'keywords' | 'mailboxIds', string[]> = { keywords: [], mailboxIds: [] };
  const remove: Record<'keywords' | 'mailboxIds', string[]> = { keywords: [], mailboxIds: [] };
  for (const [path, value] of Object.entries(patch)) {
    if (path === 'keywords') {
      update.keywords = { set: readKeywords(value) };
      continue;
    }
    if (path === 'mailboxIds') {
      update.mailboxIds = { set: readMailboxIds(value, ctx) };
      continue;
    }
    const slash = path.indexOf('/');
    const head = path.slice(0, slash);
    const tail = path.slice(slash + 1).replace(/~1/g, '/').replace(/~0/g, '~');
    // The /set engine has refused every other property already; what is left is a bad pointer.
    if (slash < 0 || (head !== 'keywords' && head !== 'mailboxIds') || tail === '' || tail.includes('/')) {
      throw setError('invalidPatch', `cannot patch ${path}`);
    }
    if (value !== true && value !== null) throw setError('invalidPatch', `${path} must be true or null`);
    let item = tail;
    if (head === 'keywords') {
      if (!validKeyword(tail)) throw setError('invalidProperties', `bad keyword ${tail}`, { properties: ['keywords'] });
      item = tail.toLowerCase();
    } else {
      const id = resolveId(tail, ctx);
      if (id === undefined) throw setError('invalidProperties', `unknown creation id ${tail}`, { properties: ['mailboxIds'] });
      item = id;
    }
    (value === true ? add : remove)[head].push(item);
  }
  for (const key of ['keywords', 'mailboxIds'] as const) {
    if (add[key].length === 0 && remove[key].length === 0) continue;
    if (update[key] !== undefined) throw setError('invalidPatch', `${key} both replaced and patched`);
    const p: SetPatch = {};
    if (add[key].length) p.add = add[key];
    if (remove[key].length) p.remove = remove[key];
    update[key] = p;
  }
  return update;
}

function contentSource(deps: MailMethodDeps, account: string, bodyValues: Json | undefined): ContentSource {
  const values = isJsonObject(bodyValues) ? bodyValues : {};
  // The session's maxSizeAttachmentsPerEmail (RFC 8621 §1.3.1) is the upload limit: the blobs of one
  // Email together may not exceed it, counted in their unencoded sizes as the client sees them. It
  // also bounds the spool file the message is composed into.
  const maxAttached = deps.limits.maxSizeUpload;
  let attached = 0;
  return async (part) => {
    const charset = typeof part.charset === 'string' ? part.charset : undefined;
    if (typeof part.partId === 'string') {
      const v = values[part.partId];
      if (!isJsonObject(v) || typeof v.value !== 'string') {
        throw setError('invalidProperties', `no bodyValues entry for part ${part.partId}`, { properties: ['bodyValues'] });
      }
      if (v.isTruncated === true || v.isEncodingProblem === true) {
        throw setError('invalidProperties', 'bodyValues must not be truncated or have encoding problems', { properties: ['bodyValues'] });
      }
      return { content: v.value, charset: 'utf-8' };
    }
    if (typeof part.blobId === 'string') {
      // Opened, not read: the composed message streams it (a chunk at a time) into a spool file.
      const blobId = part.blobId;
      const open = () => openAnyBlob(deps.store, account, blobId, deps.spool.dir);
      const source = await open();
      if (source === null) throw setError('blobNotFound', `blob ${blobId} not found`, { notFound: [blobId] });
      attached += source.size;
      if (attached > maxAttached) {
        throw setError('tooLarge', `the Email's blobs total more than maxSizeAttachmentsPerEmail (${maxAttached} octets)`);
      }
      const content = { blobId, source, reopen: open };
      return charset === undefined ? { content } : { content, charset };
    }
    throw setError('invalidProperties', 'a body part needs partId or blobId', { properties: ['bodyStructure'] });
  };
}

function created(r: { emailId: string; blobId: string; threadId: string; size: number }): JsonObject {
  return { id: r.emailId, blobId: r.blobId, threadId: r.threadId, size: r.size };
}

/** RFC 8621 §4.1: only mailboxIds and keywords change after creation; the rest is fixed by the message. */
const EMAIL_RULES: SetPropertyRules = {
  serverSet: ['id', 'blobId', 'threadId', 'size', 'hasAttachment', 'preview'],
  immutable: isEmailProperty,
  mutable: ['mailboxIds', 'keywords'],
};

/** The current value of immutable properties, read only when an update repeats some of them. */
async function currentEmail(deps: MailMethodDeps, account: string, id: string, properties: string[]): Promise<Record<string, Json> | undefined> {
  const [meta] = await deps.store.getEmails(account, [id], { parsed: true });
  if (meta === undefined) return undefined;
  const opts: BodyValueOptions = { fetchTextBodyValues: false, fetchHTMLBodyValues: false, fetchAllBodyValues: true, maxBodyValueBytes: 0 };
  // Each text part read on its own: the update compares whole values, never the whole message.
  const values = properties.includes('bodyValues') && meta.parsed ? await readBodyValues(meta.parsed, opts, storedPartReader(deps.store, account, id)) : null;
  return emailView(meta, properties, DEFAULT_BODY_PROPERTIES, values);
}

export async function appendCreated(deps: MailMethodDeps, account: string, input: { mailboxIds: string[]; keywords: string[]; bytes: MessageSource; receivedAt: Date | undefined }): Promise<JsonObject> {
  const { receivedAt, ...rest } = input;
  try {
    return created(await deps.store.append(account, { ...rest, ...(receivedAt ? { receivedAt } : {}) }));
  } catch (err) {
    if (err instanceof NoSuchBlobError) throw err;
    throw setFailureFrom(err, 'mailboxIds');
  }
}

export async function emailSet(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, deps.limits.maxObjectsInSet);
  const account = request.account;
  const store = deps.store;
  const out = await runSet(request, ctx, {
    rules: EMAIL_RULES,
    ...(await storeState(store, account.name, 'Email')),
    current: (id, properties) => currentEmail(deps, account.name, id, properties),
    create: {
      prepare: async (raw, _cid, errors) => {
        const mailboxIds = errors.read(() => readMailboxIds(raw.mailboxIds, ctx));
        const keywords = errors.read(() => readKeywords(raw.keywords));
        const receivedAt = raw.receivedAt === undefined || raw.receivedAt === null ? undefined : new Date(String(raw.receivedAt));
        if (receivedAt && Number.isNaN(receivedAt.getTime())) errors.add(['receivedAt'], 'bad receivedAt');
        const message = await composeEmail({ email: raw, content: contentSource(deps, account.name, raw.bodyValues), hostname: deps.hostname, errors });
        if (mailboxIds === undefined || keywords === undefined || message === undefined) {
          // Each was recorded as invalid; the engine's check names them all.
          errors.check();
          throw setError('invalidProperties');
        }
        return { mailboxIds, keywords, message, receivedAt };
      },
      // The message is written to a spool file as it is composed (its blobs read a chunk at a time),
      // and the store takes that file; it is removed if the store did not.
      commit: ({ message, ...prepared }: { mailboxIds: string[]; keywords: string[]; message: AsyncIterable<Buffer>; receivedAt: Date | undefined }) =>
        withSpooled(deps.spool, message, (bytes) => appendCreated(deps, account.name, { ...prepared, bytes })),
    },
    // Patches are checked one by one, then written in one store transaction.
    update: batchStep(
      (id, patch) => readEmailPatch(id, patch, ctx),
      async (items) => {
        const changes = items.map(([, u]) => u).filter((u) => u.keywords !== undefined || u.mailboxIds !== undefined);
        const unchanged = items.filter(([, u]) => u.keywords === undefined && u.mailboxIds === undefined).map(([id]) => id);
        if (changes.length === 0) return { done: unchanged, failed: [] };
        const r = await store.updateEmails(account.name, changes);
        return {
          done: [...unchanged, ...r.updated],
          failed: r.notUpdated.map((n) => ({ id: n.emailId, error: { type: n.type, description: n.description, ...(n.properties ? { properties: n.properties } : {}) } })),
        };
      },
    ),
    destroy: batchStep(
      (id) => id,
      async (items) => {
        const r = await store.destroyEmails(account.name, items.map(([id]) => id));
        return { done: r.destroyed, failed: r.notDestroyed.map((n) => ({ id: n.id, error: { type: n.type, description: n.description } })) };
      },
    ),
  });
  return [['Email/set', out]];
}

const IMPORT_RULES: SetPropertyRules = { serverSet: [], immutable: [], mutable: ['blobId', 'mailboxIds', 'keywords', 'receivedAt'] };

/** Bytes of a message read to find its Received fields (a header block longer than this is not searched further). */
const HEADER_PEEK = 64 * 1024;

/** Email/import (RFC 8621 §4.8): creation only, from uploaded blobs. */
async function importEmails(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ifInState = readIfInState(args);
  const emails = optObject(args, 'emails');
  if (emails === undefined) throw invalid('"emails" is required');
  if (Object.keys(emails).length > deps.limits.maxObjectsInSet) throw new MethodError('requestTooLarge');
  const { oldState, newState } = await storeState(deps.store, account.name, 'Email');
  checkIfInState(ifInState, oldState);
  const result = await createAll(emails, IMPORT_RULES, ctx, {
    prepare: (raw, _cid, errors) => {
      // RFC 8621 §4.8: invalid blobId, mailboxIds or keywords are invalidProperties, every one named.
      if (typeof raw.blobId !== 'string') errors.add(['blobId'], 'blobId is required');
      const mailboxIds = errors.read(() => readMailboxIds(raw.mailboxIds, ctx));
      const keywords = errors.read(() => readKeywords(raw.keywords));
      let receivedAt: Date | undefined;
      try {
        receivedAt = parseUtcDate(raw.receivedAt, 'receivedAt');
      } catch {
        errors.add(['receivedAt'], 'bad receivedAt');
      }
      if (typeof raw.blobId !== 'string' || mailboxIds === undefined || keywords === undefined) {
        errors.check();
        throw setError('invalidProperties');
      }
      return { blobId: raw.blobId, mailboxIds, keywords, receivedAt };
    },
    commit: async ({ blobId, mailboxIds, keywords, receivedAt: given }: { blobId: string; mailboxIds: string[]; keywords: string[]; receivedAt: Date | undefined }) => {
      // RFC 8621 §4.8: "If the blobId, mailboxIds, or keywords properties are invalid (e.g. missing,
      // wrong type, id not found), the server MUST reject the import with an invalidProperties
      // SetError" (blobNotFound is only defined for EmailBodyPart blobs of Email/set create).
      const notFound = (): Error => setError('invalidProperties', `blob ${blobId} not found`, { properties: ['blobId'] });
      // An upload or a whole message is imported from its blob file (the store reads it back within
      // its memory budget); a part of a message is decoded into a spool file first, a chunk at a
      // time, and appended from there (the file is removed afterwards unless the store took it).
      const append = async (bytes: MessageSource, head: Buffer): Promise<JsonObject> => {
        const bin = head.toString('latin1');
        const headers = parseHeaderBlock(bin, 0, bin.length).headers;
        // RFC 8621 §4.8: a blob that is not an RFC 5322 message MAY be rejected with invalidEmail. One
        // without a single header field is what Email/parse reports as notParsable: refused alike.
        if (headers.length === 0) throw setError('invalidEmail', 'the blob is not an RFC 5322 message: it has no header fields');
        // RFC 8621 §4.8: receivedAt defaults to the time of the most recent Received header, else now.
        const receivedAt = given ?? latestReceivedDate(headers) ?? undefined;
        try {
          return await appendCreated(deps, account.name, { mailboxIds, keywords, bytes, receivedAt });
        } catch (err) {
          if (err instanceof NoSuchBlobError) throw notFound();
          throw err;
        }
      };
      if (parsePartBlobId(blobId) === undefined) {
        const peek = await deps.store.readBlob(account.name, blobId, { start: 0, end: HEADER_PEEK });
        if (peek === null) throw notFound();
        return append({ storedBlob: blobId }, peek);
      }
      const part = await openAnyBlob(deps.store, account.name, blobId, deps.spool.dir);
      if (part === null) throw notFound();
      try {
        return await withSpooled(deps.spool, part, async (spooled) => append(spooled, await spooled.head(HEADER_PEEK)));
      } catch (err) {
        // The part's message went away while it was copied.
        if (err instanceof BytesGoneError) throw notFound();
        throw err;
      }
    },
  });
  const state = await newState(Object.keys(result.created).length > 0);
  return [['Email/import', { accountId: account.id, oldState, newState: state, created: orNull(result.created), notCreated: orNull(result.notCreated) }]];
}

export function emailWriteMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_MAIL, deps, h);
  return [
    ['Email/set', def(emailSet)],
    ['Email/import', def(importEmails)],
    ['Email/parse', def(emailParse)],
  ];
}
