// The one table of WebAdmin route groups: dispatch (../server.ts) and the OpenAPI document
// (../openapi.ts) both come from it. A new group is one file in this folder and one line here.
import type { WebAdminDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';
import { TaskLog } from '../tasks.js';
import type { WebAdminRoute } from '../types.js';
import { aliasRoutes } from './aliases.js';
import { appPasswordRoutes } from './app-passwords.js';
import { delegationRoutes } from './delegation.js';
import { domainAliasRoutes } from './domain-aliases.js';
import { domainRoutes } from './domains.js';
import { eventRoutes } from './events.js';
import { forwardRoutes } from './forwards.js';
import { groupRoutes } from './groups.js';
import { healthRoutes } from './healthcheck.js';
import { identityRoutes } from './identities.js';
import { mailQueueRoutes } from './mail-queues.js';
import { mailboxRoutes } from './mailboxes.js';
import { quotaRoutes } from './quota.js';
import { sessionRoutes } from './sessions.js';
import { taskRoutes } from './tasks.js';
import { userRoutes } from './users.js';

/** What a route group may need besides the deps: state WebAdmin keeps itself. */
export interface RouteShared {
  tasks: TaskLog;
}

export type RouteGroup = (deps: WebAdminDeps, shared: RouteShared) => WebAdminRoute[];

export const ROUTE_GROUPS: readonly RouteGroup[] = [
  (d) => domainRoutes(d),
  (d) => domainAliasRoutes(d),
  (d) => userRoutes(d),
  (d) => groupRoutes(d),
  (d) => identityRoutes(d),
  (d) => appPasswordRoutes(d),
  (d) => delegationRoutes(d),
  (d) => aliasRoutes(d),
  (d) => forwardRoutes(d),
  (d) => mailboxRoutes(d),
  (d) => quotaRoutes(d),
  (d, s) => mailQueueRoutes(d, s.tasks),
  (_d, s) => taskRoutes(s.tasks),
  (d) => healthRoutes(d),
  (d) => sessionRoutes(d),
  (d) => eventRoutes(d),
];

export const OPENAPI_PATH = '/openapi.json';

/** Every route, the OpenAPI document's own included (it describes itself too). */
export function webAdminRoutes(deps: WebAdminDeps, version: string): WebAdminRoute[] {
  const shared: RouteShared = { tasks: new TaskLog() };
  const routes = ROUTE_GROUPS.flatMap((group) => group(deps, shared));
  const self: WebAdminRoute = {
    method: 'GET',
    path: OPENAPI_PATH,
    tag: 'API description',
    summary: 'This OpenAPI 3.1 document',
    public: true,
    responses: { 200: { description: 'The document', schema: { type: 'object' } } },
    handle: async () => ({ status: 200, body: document }),
  };
  const all = [...routes, self];
  const document = openApiDocument(all, version);
  return all;
}
