// James /users/{baseUser}/authorizedUsers: who may log in as a user (a delegation grant, kept in the
// mail store; the delegate names the owner as SASL authorization identity). James' shapes and codes:
// the list is an array of names, adding and removing answer 200, an unknown base user 404, and a
// delegate the repository does not know may still be named (as James allows). Taking a grant back
// ends the delegate's live sessions as the owner at once, on every node, as `tessera delegation
// revoke` does.
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { invalid, type WebAdminRoute } from '../types.js';
import { existingUser } from './users.js';

const TAG = 'Delegation';

export function delegationRoutes({ users, store, sessions }: WebAdminDeps): WebAdminRoute[] {
  /** A delegate's canonical name when the repository knows it, else the name as given. */
  const delegateName = async (name: string): Promise<string> => (await users.lookup(name))?.username ?? name;
  const revoke = async (owner: string, delegate: string): Promise<void> => {
    if (await store.revokeDelegation(owner, delegate)) await sessions.endDelegated(owner, delegate);
  };
  // James answers 200 with an empty body.
  const ok = { status: 200 };
  return [
    {
      method: 'GET',
      path: '/users/{username}/authorizedUsers',
      tag: TAG,
      summary: 'The users who may log in as this user',
      responses: { 200: { description: 'Their names', schema: { type: 'array', items: { type: 'string' } } }, 404: error('No such user') },
      handle: async ({ params }) => {
        const owner = await existingUser(users, params['username']!);
        return { status: 200, body: await store.listDelegates(owner) };
      },
    },
    {
      method: 'PUT',
      path: '/users/{username}/authorizedUsers/{delegate}',
      tag: TAG,
      summary: 'Let a user log in as this user (idempotent)',
      responses: { 200: empty('Granted'), 400: error('A user cannot be their own delegate'), 404: error('No such user') },
      handle: async ({ params }) => {
        const owner = await existingUser(users, params['username']!);
        const delegate = await delegateName(params['delegate']!);
        if (delegate === owner) throw invalid('a user cannot delegate to themselves');
        await store.grantDelegation(owner, delegate);
        return ok;
      },
    },
    {
      method: 'DELETE',
      path: '/users/{username}/authorizedUsers/{delegate}',
      tag: TAG,
      summary: "Take back a user's delegation (idempotent); their live sessions as this user end",
      responses: { 200: empty('Taken back, or there was none'), 404: error('No such user') },
      handle: async ({ params }) => {
        const owner = await existingUser(users, params['username']!);
        await revoke(owner, await delegateName(params['delegate']!));
        return ok;
      },
    },
    {
      method: 'DELETE',
      path: '/users/{username}/authorizedUsers',
      tag: TAG,
      summary: 'Take back every delegation of this user; the delegates\' live sessions as this user end',
      responses: { 200: empty('Taken back'), 404: error('No such user') },
      handle: async ({ params }) => {
        const owner = await existingUser(users, params['username']!);
        for (const delegate of await store.listDelegates(owner)) await revoke(owner, delegate);
        return ok;
      },
    },
  ];
}
