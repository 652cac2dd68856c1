// James /domains/{domainName}/aliases: mail to any address of an alias domain reaches the same local
// part in the served domain.
import type { WebAdminDeps } from '../deps.js';
import { domainParam } from '../addresses.js';
import { empty, error, SOURCE_LIST } from '../schemas.js';
import { invalid, NO_CONTENT, notFound, type WebAdminRoute } from '../types.js';

const TAG = 'Domains';

export function domainAliasRoutes({ domains, rewrites }: WebAdminDeps): WebAdminRoute[] {
  const served = async (raw: string): Promise<string> => {
    const domain = domainParam(raw);
    if (!(await domains.contains(domain))) throw notFound(`domain ${domain} is not served`);
    return domain;
  };
  return [
    {
      method: 'GET',
      path: '/domains/{domainName}/aliases',
      tag: TAG,
      summary: 'List the alias domains of a domain',
      responses: {
        200: {
          description: 'The alias domains',
          schema: SOURCE_LIST,
        },
        400: error('Invalid domain name'),
        404: error('The domain is not served'),
      },
      handle: async ({ params }) => {
        const domain = await served(params['domainName']!);
        return { status: 200, body: (await rewrites.sourcesOf('domainAlias', domain)).map((source) => ({ source })) };
      },
    },
    {
      method: 'PUT',
      path: '/domains/{domainName}/aliases/{sourceDomain}',
      tag: TAG,
      summary: 'Make a domain an alias of a served domain (idempotent)',
      responses: {
        204: empty('Added'),
        400: error('Invalid domain name, the same domain, a served domain or an alias of another domain'),
        404: error('The domain is not served'),
      },
      handle: async ({ params }) => {
        const domain = await served(params['domainName']!);
        const alias = domainParam(params['sourceDomain']!);
        if (alias === domain) throw invalid('a domain cannot be an alias of itself');
        // A served domain is routed as itself, so the alias would never apply.
        if (await domains.contains(alias)) throw invalid(`${alias} is a served domain; remove it from the domain list first`);
        const [current] = await rewrites.targetsOf('domainAlias', alias);
        if (current !== undefined && current !== domain) throw invalid(`${alias} is already an alias of ${current}`);
        await rewrites.add('domainAlias', alias, domain);
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: '/domains/{domainName}/aliases/{sourceDomain}',
      tag: TAG,
      summary: 'Remove an alias domain (idempotent)',
      responses: { 204: empty('Removed'), 400: error('Invalid domain name'), 404: error('The domain is not served') },
      handle: async ({ params }) => {
        const domain = await served(params['domainName']!);
        await rewrites.remove('domainAlias', domainParam(params['sourceDomain']!), domain);
        return NO_CONTENT;
      },
    },
  ];
}
