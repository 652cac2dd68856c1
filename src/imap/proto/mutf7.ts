// Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself except `&`,
// written `&-`; other characters are UTF-16 in modified base64 (`,` for `/`) between `&` and `-`.
import { ImapSyntaxError } from './errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

export function encodeMutf7(name: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const bytes = Buffer.alloc(pending.length * 2);
    pending.forEach((u, i) => bytes.writeUInt16BE(u, i * 2));
    out += '&' + bytes.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += code === 0x26 ? '&-' : name[i];
    } else {
      pending.push(code);
    }
  }
  flush();
  return out;
}

/** Decodes a modified UTF-7 name; throws ImapSyntaxError (tagged BAD) for an invalid encoding. */
export function decodeMutf7(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new ImapSyntaxError('Mailbox name is not valid modified UTF-7');
    if (c !== 0x26) {
      out += name[i];
      i++;
      continue;
    }
    const end = name.indexOf('-', i + 1);
    if (end < 0) throw new ImapSyntaxError('Mailbox name has an unterminated modified UTF-7 sequence');
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    const b64 = name.slice(i + 1, end);
    for (const ch of b64) if (!B64.includes(ch)) throw new ImapSyntaxError('Invalid modified base64 in mailbox name');
    const bits = b64.length * 6;
    if (![0, 3, 6].includes(b64.length % 8)) {
      throw new ImapSyntaxError('Invalid modified UTF-7 length in mailbox name');
    }
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    // Leftover bits must be zero and a whole number of UTF-16 units must be present.
    if (bytes.length % 2 !== 0 || bits - bytes.length * 8 >= 6) {
      throw new ImapSyntaxError('Invalid modified UTF-7 padding in mailbox name');
    }
    const lastVal = B64.indexOf(b64[b64.length - 1]!);
    const spare = bits - bytes.length * 8;
    if (spare > 0 && (lastVal & ((1 << spare) - 1)) !== 0) {
      throw new ImapSyntaxError('Invalid modified UTF-7 padding in mailbox name');
    }
    let chunk = '';
    for (let k = 0; k < bytes.length; k += 2) chunk += String.fromCharCode(bytes.readUInt16BE(k));
    // Printable ASCII must not be encoded, and surrogates must pair up.
    for (let k = 0; k < chunk.length; k++) {
      const u = chunk.charCodeAt(k);
      if (u >= 0x20 && u <= 0x7e) throw new ImapSyntaxError('Mailbox name encodes printable ASCII in modified UTF-7');
      if (u >= 0xd800 && u <= 0xdbff) {
        const lo = chunk.charCodeAt(k + 1);
        if (!(lo >= 0xdc00 && lo <= 0xdfff)) throw new ImapSyntaxError('Unpaired surrogate in mailbox name');
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        throw new ImapSyntaxError('Unpaired surrogate in mailbox name');
      }
    }
    out += chunk;
    i = end + 1;
    // Two encoded runs back to back must have been one run.
    if (name[i] === '&' && name[i + 1] !== '-') throw new ImapSyntaxError('Adjacent modified UTF-7 sequences');
  }
  return out;
}
