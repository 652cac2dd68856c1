// James /address/aliases: alias addresses of a user. Mail to an alias reaches the user's mailbox
// (applied by the recipient router, src/delivery/router.ts).
import type { WebAdminDeps } from '../deps.js';
import { addAlias } from '../../auth/rewrite/manage.js';
import { addressParam, rewriteChange } from '../addresses.js';
import { empty, error, SOURCE_LIST, STRING_LIST } from '../schemas.js';
import { NO_CONTENT, type WebAdminRoute } from '../types.js';

const TAG = 'Address aliases';

export function aliasRoutes(deps: WebAdminDeps): WebAdminRoute[] {
  const { rewrites } = deps;
  return [
    {
      method: 'GET',
      path: '/address/aliases',
      tag: TAG,
      summary: 'List the users that have aliases',
      responses: { 200: { description: 'The users', schema: STRING_LIST } },
      handle: async () => ({ status: 200, body: [...new Set((await rewrites.list('alias')).map((m) => m.target))].sort() }),
    },
    {
      method: 'GET',
      path: '/address/aliases/{userAddress}',
      tag: TAG,
      summary: 'List the aliases of a user',
      responses: {
        200: {
          description: 'The aliases',
          schema: SOURCE_LIST,
        },
        400: error('Not a mail address'),
      },
      handle: async ({ params }) => {
        const user = addressParam(params['userAddress']!);
        return { status: 200, body: (await rewrites.sourcesOf('alias', user)).map((source) => ({ source })) };
      },
    },
    {
      method: 'PUT',
      path: '/address/aliases/{userAddress}/sources/{aliasAddress}',
      tag: TAG,
      summary: 'Add an alias to a user (idempotent)',
      responses: {
        204: empty('Added'),
        400: error('Not a mail address, the alias is the user, is an existing user or is not in a served domain'),
        404: error('No such user'),
      },
      handle: async ({ params }) => {
        const user = addressParam(params['userAddress']!);
        const alias = addressParam(params['aliasAddress']!);
        await rewriteChange(() => addAlias(deps, user, alias));
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: '/address/aliases/{userAddress}/sources/{aliasAddress}',
      tag: TAG,
      summary: 'Remove an alias from a user (idempotent)',
      responses: { 204: empty('Removed'), 400: error('Not a mail address') },
      handle: async ({ params }) => {
        const user = addressParam(params['userAddress']!);
        await rewrites.remove('alias', addressParam(params['aliasAddress']!), user);
        return NO_CONTENT;
      },
    },
  ];
}
