// The groups of the embedded users repository, which ACLs name as "$group" (Dovecot's spelling):
// written by WebAdmin (/groups), read at every IMAP command and JMAP request through
// UsersRepository.groupsOf, so a member taken out loses the group's rights at once, on every node.
import type { Logger } from '../../log/logger.js';
import { UnknownUserError } from './types.js';
import { parseGroupName } from './group-names.js';
import { parseExistingUserName } from './names.js';
import type { GroupTable } from './tables.js';

/** The group has no members (groups exist while they have some). */
export class UnknownGroupError extends Error {
  override readonly name = 'UnknownGroupError';
}

export class EmbeddedGroups {
  constructor(
    private readonly table: GroupTable,
    private readonly virtualHosting: boolean,
    private readonly logger: Logger,
  ) {}

  /** Group names with at least one member, sorted. */
  list(): Promise<string[]> {
    return this.table.list();
  }

  /** The members of a group; UnknownGroupError when it has none, InvalidGroupNameError for a bad name. */
  async members(group: string): Promise<string[]> {
    const members = await this.table.members(parseGroupName(group));
    if (members.length === 0) throw new UnknownGroupError(`group ${group} does not exist (it has no members)`);
    return members;
  }

  /** Adds an existing user (idempotent); false when it was a member already. */
  async addMember(group: string, username: string): Promise<boolean> {
    const name = parseGroupName(group);
    const user = parseExistingUserName(username, this.virtualHosting).username;
    const outcome = await this.table.addMember(name, user, new Date().toISOString());
    if (outcome === 'unknown-user') throw new UnknownUserError(`user ${user} does not exist`);
    if (outcome === 'added') this.logger.info({ group: name, user }, 'group member added');
    return outcome === 'added';
  }

  /** False when the user was not a member. */
  async removeMember(group: string, username: string): Promise<boolean> {
    const name = parseGroupName(group);
    const user = parseExistingUserName(username, this.virtualHosting).username;
    const removed = await this.table.removeMember(name, user);
    if (removed) this.logger.info({ group: name, user }, 'group member removed');
    return removed;
  }

  /** Removes the group (every membership); UnknownGroupError when it had no members. */
  async remove(group: string): Promise<void> {
    const name = parseGroupName(group);
    const removed = await this.table.deleteGroup(name);
    if (removed === 0) throw new UnknownGroupError(`group ${name} does not exist`);
    this.logger.info({ group: name, members: removed }, 'group removed');
  }
}
