// Blob/get (RFC 9404 §4.2): a blob's bytes in a selected range, as text or base64, with digests of
// that range and the size of the whole blob. Digests are computed over slices read one at a time;
// data properties hold the selected bytes, so all data returned by one call is bounded by the
// largest blob the server accepts (maxSizeUpload) and a bigger selection is requestTooLarge.
import { createHash } from 'node:crypto';
import { BLOB_DIGEST_ALGORITHMS } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { Json, JsonObject, MethodContext, MethodOutput } from '../core/types.js';
import { optInt, readAccount, readIds, readProperties } from './args.js';
import type { MailMethodDeps } from './deps.js';
import { blobSlices, openBlob, type BlobSource } from '../mail/blob-source.js';

const DATA_PROPERTIES = ['data', 'data:asText', 'data:asBase64'];
const DIGEST_PROPERTIES = BLOB_DIGEST_ALGORITHMS.map((a) => `digest:${a}`);
const PROPERTIES = [...DATA_PROPERTIES, ...DIGEST_PROPERTIES, 'size'];
/** RFC 9404 §4.2: "If not given, properties defaults to data and size." */
const DEFAULT_PROPERTIES = ['data', 'size'];
/** node:crypto names of the RFC 3230 algorithms offered. */
const NODE_HASH: Record<(typeof BLOB_DIGEST_ALGORITHMS)[number], string> = { 'sha-256': 'sha256', sha: 'sha1' };

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The octets as UTF-8 text, or null when they are not valid UTF-8 (a cut multi-octet sequence too). */
function asText(bytes: Buffer): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

interface Range {
  start: number;
  end: number;
  /** The selection reached past the end of the blob (RFC 9404 §4.2 `isTruncated`). */
  truncated: boolean;
}

function selection(size: number, offset: number, length: number | undefined): Range {
  const start = Math.min(offset, size);
  const wanted = length === undefined ? size : offset + length;
  return { start, end: Math.min(wanted, size), truncated: offset > size || wanted > size };
}

async function digest(source: BlobSource, range: Range, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const slice of blobSlices(source, range.start, range.end)) hash.update(slice);
  return hash.digest('base64');
}

async function readRange(source: BlobSource, range: Range): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const slice of blobSlices(source, range.start, range.end)) parts.push(slice);
  return Buffer.concat(parts);
}

async function entry(id: string, source: BlobSource, range: Range, properties: string[], wantsData: boolean): Promise<JsonObject> {
  const out: Record<string, Json> = { id };
  const bytes = wantsData ? await readRange(source, range) : undefined;
  const text = bytes === undefined ? null : asText(bytes);
  for (const p of properties) {
    if (p === 'size') out.size = source.size;
    else if (p === 'data:asBase64') out[p] = bytes!.toString('base64');
    else if (p === 'data:asText' || p === 'data') {
      // "data" selects data:asText for valid UTF-8 and data:asBase64 otherwise.
      if (text !== null) out['data:asText'] = text;
      else {
        if (p === 'data:asText') out['data:asText'] = null;
        else out['data:asBase64'] = bytes!.toString('base64');
        out.isEncodingProblem = true;
      }
    } else {
      const algorithm = p.slice('digest:'.length) as (typeof BLOB_DIGEST_ALGORITHMS)[number];
      out[p] = await digest(source, range, NODE_HASH[algorithm]);
    }
  }
  if (range.truncated) out.isTruncated = true;
  return out;
}

export async function blobGet(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  if (ids === null) throw new MethodError('requestTooLarge', 'Blob/get needs a list of ids: blobs cannot be listed');
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), DEFAULT_PROPERTIES);
  const offset = optInt(args, 'offset', { min: 0 }) ?? 0;
  const length = optInt(args, 'length', { min: 0 });
  const wantsData = properties.some((p) => DATA_PROPERTIES.includes(p));

  // One blob at a time: a decoded MIME part is held only while its entry is built.
  const budget = deps.limits.maxSizeUpload;
  let dataBytes = 0;
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids) {
    const source = await openBlob(deps.store, account.name, id, deps.spool.dir);
    if (source === null) {
      notFound.push(id);
      continue;
    }
    const range = selection(source.size, offset, length);
    if (wantsData) {
      dataBytes += range.end - range.start;
      if (dataBytes > budget) throw new MethodError('requestTooLarge', `the selected data is over ${budget} octets; one Blob/get returns at most that`);
    }
    list.push(await entry(id, source, range, properties, wantsData));
  }
  return [['Blob/get', { accountId: account.id, list, notFound }]];
}
