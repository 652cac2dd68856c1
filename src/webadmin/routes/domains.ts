// James /domains: list, add, remove, and test one domain (204 when served, 404 otherwise).
import { DomainExistsError, DomainInUseError, InvalidDomainNameError, UnknownDomainError } from '../../auth/users/errors.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error, STRING_LIST } from '../schemas.js';
import { conflict, invalid, NO_CONTENT, notFound, type WebAdminRoute } from '../types.js';

const TAG = 'Domains';

export function domainRoutes({ domains }: WebAdminDeps): WebAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/domains',
      tag: TAG,
      summary: 'List the served domains',
      responses: { 200: { description: 'The domains', schema: STRING_LIST } },
      handle: async () => ({ status: 200, body: await domains.list() }),
    },
    {
      method: 'GET',
      path: '/domains/{domainName}',
      tag: TAG,
      summary: 'Whether a domain is served',
      responses: { 204: empty('Served'), 404: error('Not served') },
      handle: async ({ params }) => {
        if (!(await domains.contains(params['domainName']!))) throw notFound(`domain ${params['domainName']} is not served`);
        return NO_CONTENT;
      },
    },
    {
      method: 'PUT',
      path: '/domains/{domainName}',
      tag: TAG,
      summary: 'Serve a domain (idempotent)',
      responses: { 204: empty('Served'), 400: error('Invalid domain name') },
      handle: async ({ params }) => {
        try {
          await domains.add(params['domainName']!);
        } catch (err) {
          if (err instanceof DomainExistsError) return NO_CONTENT;
          if (err instanceof InvalidDomainNameError) throw invalid(err.message);
          throw err;
        }
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: '/domains/{domainName}',
      tag: TAG,
      summary: 'Stop serving a domain (idempotent); refused while it has users or is configured in domainlist.xml',
      responses: { 204: empty('Not served any more'), 400: error('Invalid domain name'), 409: error('The domain has users or is configured') },
      handle: async ({ params }) => {
        try {
          await domains.remove(params['domainName']!);
        } catch (err) {
          if (err instanceof UnknownDomainError) return NO_CONTENT;
          if (err instanceof InvalidDomainNameError) throw invalid(err.message);
          if (err instanceof DomainInUseError) throw conflict(err.message);
          throw err;
        }
        return NO_CONTENT;
      },
    },
  ];
}
