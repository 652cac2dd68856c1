// Escaping of user-supplied text before it is placed in an LDAP filter (RFC 4515) or a DN (RFC 4514).
// A user name typed at a login prompt must only ever be compared as a value: `*` must not become a
// wildcard, and `)(uid=*` must not close the clause and open a new one.

/**
 * RFC 4515 §3: in an assertion value, `*`, `(`, `)`, `\` and NUL MUST be written as `\XX`.
 * Other characters are left as they are: ldapts' filter parser decodes each `\XX` as one Latin-1
 * character, so escaping the bytes of a UTF-8 sequence would corrupt non-ASCII names such as `zoë`.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\u0000]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * RFC 4514 §2.4: in an attribute value of a DN, `"`, `+`, `,`, `;`, `<`, `>` and `\` are escaped
 * with a backslash, as are a leading space or `#` and a trailing space; NUL becomes `\00`.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    const edge = (i === 0 && (c === ' ' || c === '#')) || (i === value.length - 1 && c === ' ');
    if (c === '\u0000') out += '\\00';
    else if (edge || '"+,;<>\\'.includes(c)) out += `\\${c}`;
    else out += c;
  }
  return out;
}
