// James' group restriction (<restriction memberAttribute="…"><group>DN</group>…</restriction>): only
// entries whose DN is a value of `memberAttribute` in at least one listed group are users. Group
// entries hold member DNs as the directory wrote them, so DNs are compared in a normal form.

/** Splits at `sep` where it is not backslash-escaped (RFC 4514). */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      current += c + (s[i + 1] as string);
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/**
 * A DN in a form where two spellings of one entry compare equal: attribute types and values in
 * lower case (the naming attributes of users and groups — uid, cn, ou, dc, mail — compare without
 * case), blanks around separators dropped.
 */
export function normalizeDn(dn: string): string {
  return splitUnescaped(dn.trim(), ',')
    .map((rdn) =>
      splitUnescaped(rdn, '+')
        .map((ava) => {
          const [type = '', ...rest] = splitUnescaped(ava, '=');
          return `${type.trim().toLowerCase()}=${rest.join('=').trim().toLowerCase()}`;
        })
        .join('+'),
    )
    .join(',');
}

export interface GroupRestriction {
  memberAttribute: string;
  groups: string[];
}

/** Reads one group's member DNs (normalized); a group that does not exist has none. */
export type GroupReader = (groupDn: string, memberAttribute: string) => Promise<string[] | undefined>;

/** The normalized DNs of every member of the restriction's groups. */
export async function restrictedMembers(restriction: GroupRestriction, read: GroupReader): Promise<Set<string>> {
  const members = new Set<string>();
  for (const group of restriction.groups) {
    for (const dn of (await read(group, restriction.memberAttribute)) ?? []) members.add(normalizeDn(dn));
  }
  return members;
}
