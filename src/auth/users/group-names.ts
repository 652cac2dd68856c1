// Group names, as ACLs name them after "$" (Dovecot's spelling, `$support`): case-insensitive and kept
// in one canonical form (Unicode NFC, lower case) so that a group written "Support" in LDAP and
// "$support" in a SETACL are one group. The characters are those an IMAP atom can carry without
// quoting trouble; a name outside them cannot be used in an ACL.

export class InvalidGroupNameError extends Error {
  override readonly name = 'InvalidGroupNameError';
}

export const MAX_GROUP_NAME_LENGTH = 100;

const GROUP_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._@+-]*$/u;

/** The canonical form of a group name, or undefined when it cannot name a group. */
export function canonicalGroupName(raw: string): string | undefined {
  const name = raw.normalize('NFC').toLowerCase();
  return name.length <= MAX_GROUP_NAME_LENGTH && GROUP_NAME.test(name) ? name : undefined;
}

/** The canonical form of a group name, or InvalidGroupNameError saying what a name may hold. */
export function parseGroupName(raw: string): string {
  const name = canonicalGroupName(raw);
  if (name === undefined) {
    throw new InvalidGroupNameError(
      `"${raw.slice(0, MAX_GROUP_NAME_LENGTH)}" is not a valid group name: use 1-${MAX_GROUP_NAME_LENGTH} letters, digits and . _ @ + -, starting with a letter or digit`,
    );
  }
  return name;
}
