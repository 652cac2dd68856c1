// Random bytes for ids made per connection and per login (log session ids, session-control ids),
// drawn from one pooled buffer: randomBytes() per id cost a call into OpenSSL and a Buffer each,
// twice per connection. The pool is filled from the same CSPRNG and each byte is handed out once.
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** `bytes` fresh random bytes (at most POOL_SIZE) encoded as `encoding`. */
export function randomId(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (bytes > POOL_SIZE) throw new RangeError(`randomId: at most ${POOL_SIZE} bytes`);
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString(encoding, offset, offset + bytes);
  offset += bytes;
  return id;
}
