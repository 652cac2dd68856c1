// The OpenAPI 3.1 description of WebAdmin, built from the route table itself: a route exists in the
// document exactly when it is served, with the statuses its handler may answer (the server refuses
// any other, see ./server.ts) and the ones every route shares.
import type { JsonValue } from '../store/types.js';
import { ERROR_SCHEMA, error } from './schemas.js';
import { COMMON_STATUSES } from './server.js';
import type { ResponseSpec, WebAdminRoute } from './types.js';

const COMMON: Record<number, ResponseSpec> = {
  400: error('Invalid request (path, query or body)'),
  401: error('No or no valid administrator token'),
  403: error('The token is valid but not an administrator’s'),
  413: error('Request body too large'),
  500: error('Internal error'),
  503: error('A service WebAdmin needs (the OpenID provider) is unavailable'),
};

export function openApiDocument(routes: readonly WebAdminRoute[], version: string): { [key: string]: JsonValue } {
  const paths: { [path: string]: { [method: string]: JsonValue } } = {};
  for (const route of routes) {
    const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' } }));
    const query = (route.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: json(q.schema) }));
    const responses: { [status: string]: JsonValue } = {};
    const common = COMMON_STATUSES.filter((s) => !route.public || s >= 500);
    for (const [status, spec] of [...Object.entries(route.responses), ...common.map((s) => [String(s), COMMON[s]!] as const)]) {
      if (status in responses) continue;
      responses[status] = spec.schema
        ? { description: spec.description, content: { 'application/json': { schema: json(spec.schema) } } }
        : { description: spec.description };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      tags: [route.tag],
      summary: route.summary,
      operationId: `${route.method.toLowerCase()}${route.path.replace(/\{([^}]+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(route.body) } } } } : {}),
      ...(route.public ? { security: [] } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tessera WebAdmin',
      version,
      description: "James-compatible administration API (domains, users, mailboxes, quotas, mail queues, health) and Tessera's sessions and login events.",
    },
    components: {
      schemas: { Error: json(ERROR_SCHEMA) },
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ adminToken: [] }],
    paths,
  };
}

function json(schema: object): JsonValue {
  return schema as JsonValue;
}
