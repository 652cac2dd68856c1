// Checking a script before it is stored (PUTSCRIPT) or on request (CHECKSCRIPT): UTF-8, the size
// limit, then the Sieve compiler. Errors go back as one NO whose text lists them line by line.
import { compileSieve } from '../../sieve/index.js';
import { no } from '../proto/response.js';
import type { Token } from '../proto/tokens.js';
import { utf8 } from '../proto/tokens.js';
import type { ManageSieveSession } from '../session.js';

/** At most this many compiler errors are listed. */
const MAX_LISTED_ERRORS = 20;

/** The script text when it may be stored; undefined after answering NO. */
export function checkScript(s: ManageSieveSession, token: Token): string | undefined {
  const maxSize = s.scriptLimits.maxSize;
  if (token.kind === 'string' && token.discarded !== undefined) {
    s.send(no(`Script too large (at most ${maxSize} octets)`, 'QUOTA/MAXSIZE'));
    return undefined;
  }
  const text = utf8(token);
  if (text === undefined) {
    s.send(no('Script is not valid UTF-8'));
    return undefined;
  }
  if (maxSize > 0 && Buffer.byteLength(text, 'utf8') > maxSize) {
    s.send(no(`Script too large (at most ${maxSize} octets)`, 'QUOTA/MAXSIZE'));
    return undefined;
  }
  const compiled = compileSieve(text, maxSize > 0 ? { maxSize } : undefined);
  if (!compiled.ok) {
    const lines = compiled.errors.slice(0, MAX_LISTED_ERRORS).map((e) => `line ${e.line}, column ${e.column}: ${e.message}`);
    s.send(no(lines.join('\r\n')));
    return undefined;
  }
  return text;
}
