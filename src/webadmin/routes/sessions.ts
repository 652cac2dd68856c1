// Tessera's /sessions: the live authenticated sessions of this node, every server process of it
// (IMAP, SMTP, POP3, JMAP push), and ending them. DELETE /sessions?user= ends every session of the
// user on every node at once and refuses the user's tokens issued so far (a recorded revocation), as
// `tessera sessions revoke --user` does.
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { invalid, jsonOf, NO_CONTENT, notFound, type Schema, type WebAdminRoute } from '../types.js';

const TAG = 'Sessions';
export const WEBADMIN_REVOKE_REASON = 'Session ended by the administrator';

const SESSION: Schema = {
  type: 'object',
  required: ['id', 'protocol', 'user', 'mechanism', 'peer', 'startedAt'],
  properties: {
    id: { type: 'string' },
    protocol: { type: 'string' },
    user: { type: 'string' },
    mechanism: { type: 'string' },
    peer: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' },
    tokenExpiry: { type: 'string', format: 'date-time' },
    clientId: { type: 'string' },
  },
};

export function sessionRoutes({ sessions, users }: WebAdminDeps): WebAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/sessions',
      tag: TAG,
      summary: 'Live sessions, all or of one user',
      query: [{ name: 'user', description: 'Only the sessions of this user', schema: { type: 'string' } }],
      responses: { 200: { description: 'Sessions', schema: { type: 'array', items: SESSION } } },
      handle: async ({ query }) => {
        const user = query.get('user')?.toLowerCase();
        const all = await sessions.list();
        return { status: 200, body: all.filter((s) => user === undefined || s.user.toLowerCase() === user).map(jsonOf) };
      },
    },
    {
      method: 'DELETE',
      path: '/sessions',
      tag: TAG,
      summary: "End every session of a user, everywhere, and refuse the user's current tokens",
      query: [{ name: 'user', description: 'The user (required)', schema: { type: 'string' } }],
      responses: {
        200: { description: 'How many sessions of this node ended', schema: { type: 'object', required: ['user', 'ended'], properties: { user: { type: 'string' }, ended: { type: 'integer' } } } },
        400: error('No user given'),
        404: error('No such user, and no session of that name'),
      },
      handle: async ({ query, admin }) => {
        const given = query.get('user');
        if (!given) throw invalid('name the user: DELETE /sessions?user=…');
        const record = await users.lookup(given);
        const user = record?.username ?? given;
        const ended = await sessions.revokeUser(user, `${WEBADMIN_REVOKE_REASON} (${admin})`, Boolean(record));
        if (ended === undefined) throw notFound(`no user ${given} and no live session of that name`);
        return { status: 200, body: { user, ended } };
      },
    },
    {
      method: 'DELETE',
      path: '/sessions/{sessionId}',
      tag: TAG,
      summary: 'End one session now',
      responses: { 204: empty('Ended'), 404: error('No such live session') },
      handle: async ({ params, admin }) => {
        if (!(await sessions.end(params['sessionId']!, `${WEBADMIN_REVOKE_REASON} (${admin})`))) throw notFound(`no live session ${params['sessionId']}`);
        return NO_CONTENT;
      },
    },
  ];
}
