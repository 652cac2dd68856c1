// /groups: the groups of the embedded users repository, which ACLs name as "$group" (IMAP SETACL
// "$support", Dovecot's spelling). In the manner of James' WebAdmin groups: list the groups, list a
// group's members, add (PUT) and remove (DELETE) one member, remove a whole group. A group exists
// while it has members. With LDAP users the groups are the directory's (usersrepository.xml
// <groups>), read-only here: every route but the listings answers 409.
import { InvalidGroupNameError } from '../../auth/users/group-names.js';
import { UnknownGroupError } from '../../auth/users/groups.js';
import { UnknownUserError } from '../../auth/users/types.js';
import type { GroupAdmin, WebAdminDeps } from '../deps.js';
import { empty, error, STRING_LIST } from '../schemas.js';
import { conflict, invalid, NO_CONTENT, notFound, type WebAdminRoute } from '../types.js';

const TAG = 'Groups';

function writable(groups: GroupAdmin | undefined): GroupAdmin {
  if (!groups) throw conflict('the users live in LDAP: groups are the directory\'s (usersrepository.xml <groups>); change their members there');
  return groups;
}

function mapGroupError(err: unknown): never {
  if (err instanceof InvalidGroupNameError) throw invalid(err.message);
  if (err instanceof UnknownGroupError || err instanceof UnknownUserError) throw notFound(err.message);
  throw err;
}

export function groupRoutes({ groups }: WebAdminDeps): WebAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/groups',
      tag: TAG,
      summary: 'List the groups that have members',
      responses: { 200: { description: 'The group names', schema: STRING_LIST }, 409: error('Groups live in LDAP') },
      handle: async () => ({ status: 200, body: await writable(groups).list() }),
    },
    {
      method: 'GET',
      path: '/groups/{group}',
      tag: TAG,
      summary: "List a group's members",
      responses: { 200: { description: 'The members', schema: STRING_LIST }, 400: error('Invalid group name'), 404: error('No such group'), 409: error('Groups live in LDAP') },
      handle: async ({ params }) => {
        try {
          return { status: 200, body: await writable(groups).members(params['group']!) };
        } catch (err) {
          return mapGroupError(err);
        }
      },
    },
    {
      method: 'DELETE',
      path: '/groups/{group}',
      tag: TAG,
      summary: 'Remove a group: every member leaves it (idempotent); its members lose the rights "$group" grants at their next command',
      responses: { 204: empty('Removed'), 400: error('Invalid group name'), 409: error('Groups live in LDAP') },
      handle: async ({ params }) => {
        try {
          await writable(groups).remove(params['group']!);
        } catch (err) {
          if (err instanceof UnknownGroupError) return NO_CONTENT;
          return mapGroupError(err);
        }
        return NO_CONTENT;
      },
    },
    {
      method: 'PUT',
      path: '/groups/{group}/members/{username}',
      tag: TAG,
      summary: 'Add an existing user to a group (idempotent; creates the group)',
      responses: { 204: empty('Member'), 400: error('Invalid group name'), 404: error('No such user'), 409: error('Groups live in LDAP') },
      handle: async ({ params }) => {
        try {
          await writable(groups).addMember(params['group']!, params['username']!);
        } catch (err) {
          return mapGroupError(err);
        }
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: '/groups/{group}/members/{username}',
      tag: TAG,
      summary: 'Take a user out of a group (idempotent); the user loses the rights "$group" grants at its next command',
      responses: { 204: empty('Not a member'), 400: error('Invalid group name'), 409: error('Groups live in LDAP') },
      handle: async ({ params }) => {
        try {
          await writable(groups).removeMember(params['group']!, params['username']!);
        } catch (err) {
          if (err instanceof UnknownUserError) return NO_CONTENT;
          return mapGroupError(err);
        }
        return NO_CONTENT;
      },
    },
  ];
}
