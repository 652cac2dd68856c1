// CHUNKING (RFC 3030): BDAT argument parsing.

export type BdatArgs = { ok: true; size: number; last: boolean } | { ok: false; message: string };

/** Largest chunk size we accept on the line; bigger numbers are syntax errors, not allocations. */
const MAX_CHUNK_DIGITS = 15;

export function parseBdatArgs(args: string): BdatArgs {
  const m = /^(\d+)(?: +(LAST))? *$/i.exec(args);
  if (!m || m[1]!.length > MAX_CHUNK_DIGITS) {
    return { ok: false, message: 'Syntax: BDAT <chunk-size> [LAST]' };
  }
  return { ok: true, size: Number(m[1]), last: m[2] !== undefined };
}
