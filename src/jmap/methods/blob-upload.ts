// Blob/upload (RFC 9404 §4.1): creates blobs from inline data and ranges of blobs the account can
// read, concatenated in order. The result is an upload like one through the HTTP upload endpoint
// (same expiry). Each creation is checked whole before a byte is written (kinds, types, ranges,
// maxDataSources, maxSizeBlobSet), then written to a spool file slice by slice, so building a blob
// holds at most one slice of a source blob in memory, whatever the sizes.
import { BLOB_MAX_DATA_SOURCES } from '../capabilities.js';
import { MethodError, setError, type SetFailure } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodOutput } from '../core/types.js';
import { isWellFormedUnicode, readAccount, resolveId } from './args.js';
import type { MailMethodDeps } from './deps.js';
import { createAll, orNull } from './set-engine.js';
import type { SetPropertyRules } from './set-properties.js';
import { blobSlices, openBlob, type BlobSource } from '../mail/blob-source.js';

type Piece = { bytes: Buffer } | { source: BlobSource; start: number; end: number };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const SOURCE_KINDS = ['data:asText', 'data:asBase64', 'blobId'];
const DEFAULT_TYPE = 'application/octet-stream';

function bad(property: string, why: string): SetFailure {
  return setError('invalidProperties', why, { properties: [property] });
}

function unsignedOrNull(v: Json | undefined, property: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(property, `${property} must be an UnsignedInt or null`);
  return v;
}

/** One DataSourceObject checked and resolved to bytes or a range of a readable blob. */
async function piece(deps: MailMethodDeps, account: string, ctx: MethodContext, raw: Json, at: string): Promise<Piece> {
  if (!isJsonObject(raw)) throw bad(at, `${at} must be a DataSourceObject`);
  const kinds = SOURCE_KINDS.filter((k) => raw[k] !== undefined);
  if (kinds.length !== 1) throw bad(at, `${at} must have exactly one of data:asText, data:asBase64 or blobId`);
  const kind = kinds[0]!;
  const allowed = kind === 'blobId' ? ['blobId', 'offset', 'length'] : [kind];
  const extra = Object.keys(raw).filter((k) => !allowed.includes(k));
  if (extra.length) throw setError('invalidProperties', `${at} has properties a ${kind} source does not take`, { properties: extra.map((k) => `${at}/${k}`) });
  const v = raw[kind];
  if (kind === 'data:asText') {
    if (v !== null && typeof v !== 'string') throw bad(`${at}/${kind}`, 'data:asText must be a String or null');
    // A lone surrogate has no UTF-8 form: invalid data, never a guessed U+FFFD.
    if (v !== null && !isWellFormedUnicode(v)) throw bad(`${at}/${kind}`, 'data:asText is not valid Unicode');
    return { bytes: Buffer.from(v ?? '', 'utf8') };
  }
  if (kind === 'data:asBase64') {
    if (v !== null && (typeof v !== 'string' || !BASE64.test(v))) throw bad(`${at}/${kind}`, 'data:asBase64 must be base64 (RFC 4648 §4)');
    return { bytes: Buffer.from(v ?? '', 'base64') };
  }
  if (typeof v !== 'string' || v.length === 0) throw bad(`${at}/blobId`, 'blobId must be an Id');
  const offset = unsignedOrNull(raw.offset, `${at}/offset`) ?? 0;
  const length = unsignedOrNull(raw.length, `${at}/length`);
  const blobId = resolveId(v, ctx);
  const source = blobId === undefined ? null : await openBlob(deps.store, account, blobId, deps.spool.dir);
  if (source === null) throw setError('blobNotFound', `no blob ${v}`, { notFound: [v] });
  const end = length === undefined ? source.size : offset + length;
  // "If the range cannot be fully satisfied ... the DataSourceObject is invalid."
  if (offset > source.size || end > source.size) {
    throw setError('invalidProperties', `the range ${offset}+${end - offset} lies outside the ${source.size} octets of ${v}`, {
      properties: [`${at}/offset`, `${at}/length`],
    });
  }
  return { source, start: offset, end };
}

const sizeOf = (p: Piece): number => ('bytes' in p ? p.bytes.length : p.end - p.start);

/** UploadObject (RFC 9404 §4.1): data and type given; the created BlobObject's id and size are the server's. */
const RULES: SetPropertyRules = { serverSet: ['id', 'size'], immutable: ['data', 'type'], mutable: [] };

async function createOne(deps: MailMethodDeps, account: string, ctx: MethodContext, raw: JsonObject): Promise<JsonObject> {
  if (raw.type !== undefined && raw.type !== null && typeof raw.type !== 'string') throw bad('type', 'type must be a String or null');
  if (!Array.isArray(raw.data)) throw bad('data', 'data must be a list of DataSourceObjects');
  if (raw.data.length > BLOB_MAX_DATA_SOURCES) {
    throw setError('tooLarge', `at most ${BLOB_MAX_DATA_SOURCES} data sources per blob (maxDataSources)`, { properties: ['data'] });
  }
  const max = deps.limits.maxSizeUpload;
  const pieces: Piece[] = [];
  let total = 0;
  for (const [i, source] of raw.data.entries()) {
    const p = await piece(deps, account, ctx, source, `data/${i}`);
    // Counted as they are resolved, so the octets held for a creation never pass maxSizeBlobSet.
    total += sizeOf(p);
    if (total > max) throw setError('tooLarge', `the blob would be over ${max} octets (maxSizeBlobSet)`);
    pieces.push(p);
  }

  const message = deps.spool.message(max);
  try {
    for (const p of pieces) {
      if ('bytes' in p) await message.append(p.bytes);
      else for await (const slice of blobSlices(p.source, p.start, p.end)) await message.append(slice);
    }
    const spooled = await message.finish();
    const type = typeof raw.type === 'string' && raw.type !== '' ? raw.type : DEFAULT_TYPE;
    const blob = await deps.store.uploadBlob(account, spooled, type);
    return { id: blob.blobId, type: blob.type, size: blob.size };
  } finally {
    await message.discard();
  }
}

export async function blobUpload(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const create = args.create ?? {};
  if (!isJsonObject(create)) throw new MethodError('invalidArguments', '"create" must be an object or null');
  const max = deps.limits.maxObjectsInSet;
  if (Object.keys(create).length > max) throw new MethodError('requestTooLarge', `at most ${max} blobs per Blob/upload`);
  // In order, so a creation may use a blob created before it in the same call ("#b4").
  const { created, notCreated } = await createAll(create, RULES, ctx, (raw) => createOne(deps, account.name, ctx, raw));
  // RFC 9404 §4.1: blobs have no state, so unlike a /set there is no oldState or newState.
  return [['Blob/upload', { accountId: account.id, created: orNull(created), notCreated: orNull(notCreated) }]];
}
