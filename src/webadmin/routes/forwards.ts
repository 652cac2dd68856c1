// James /address/forwards: a user's mail goes to other addresses, local or remote (through the
// outbound queue); the user's own address among the targets keeps a local copy, as in James.
import type { WebAdminDeps } from '../deps.js';
import { addForward } from '../../auth/rewrite/manage.js';
import { addressParam, rewriteChange } from '../addresses.js';
import { empty, error, STRING_LIST } from '../schemas.js';
import { NO_CONTENT, notFound, type WebAdminRoute } from '../types.js';

const TAG = 'Address forwards';

export function forwardRoutes(deps: WebAdminDeps): WebAdminRoute[] {
  const { rewrites } = deps;
  return [
    {
      method: 'GET',
      path: '/address/forwards',
      tag: TAG,
      summary: 'List the users whose mail is forwarded',
      responses: { 200: { description: 'The users', schema: STRING_LIST } },
      handle: async () => ({ status: 200, body: [...new Set((await rewrites.list('forward')).map((m) => m.source))].sort() }),
    },
    {
      method: 'GET',
      path: '/address/forwards/{baseAddress}',
      tag: TAG,
      summary: 'List where a user’s mail is forwarded',
      responses: {
        200: {
          description: 'The destinations',
          schema: { type: 'array', items: { type: 'object', required: ['mailAddress'], properties: { mailAddress: { type: 'string' } } } },
        },
        400: error('Not a mail address'),
        404: error('The address has no forward'),
      },
      handle: async ({ params }) => {
        const base = addressParam(params['baseAddress']!);
        const targets = await rewrites.targetsOf('forward', base);
        if (targets.length === 0) throw notFound(`${base} has no forward`);
        return { status: 200, body: targets.map((mailAddress) => ({ mailAddress })) };
      },
    },
    {
      method: 'PUT',
      path: '/address/forwards/{baseAddress}/targets/{destinationAddress}',
      tag: TAG,
      summary: 'Forward a user’s mail to an address (idempotent); the user’s own address keeps a local copy',
      responses: { 204: empty('Added'), 400: error('Not a mail address'), 404: error('No such user or domain') },
      handle: async ({ params }) => {
        const base = addressParam(params['baseAddress']!);
        const destination = addressParam(params['destinationAddress']!);
        await rewriteChange(() => addForward(deps, base, destination));
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: '/address/forwards/{baseAddress}/targets/{destinationAddress}',
      tag: TAG,
      summary: 'Stop forwarding a user’s mail to an address (idempotent)',
      responses: { 204: empty('Removed'), 400: error('Not a mail address') },
      handle: async ({ params }) => {
        const base = addressParam(params['baseAddress']!);
        await rewrites.remove('forward', base, addressParam(params['destinationAddress']!));
        return NO_CONTENT;
      },
    },
  ];
}
