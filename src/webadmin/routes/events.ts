// Tessera's /events: the last login attempts (success or the failure code, mechanism, peer; never a
// secret), from the auth core's audit (src/auth/recent-events.ts).
import type { WebAdminDeps } from '../deps.js';
import { error } from '../schemas.js';
import { invalid, jsonOf, type Schema, type WebAdminRoute } from '../types.js';

const EVENT: Schema = {
  type: 'object',
  required: ['time', 'protocol', 'mechanism', 'peer', 'result'],
  properties: {
    time: { type: 'string', format: 'date-time' },
    protocol: { type: 'string' },
    mechanism: { type: 'string' },
    user: { type: 'string' },
    actor: { type: 'string' },
    peer: { type: 'string' },
    result: { type: 'string', description: 'success, or the failure code (invalid, throttled, temporary…)' },
    reason: { type: 'string' },
    clientId: { type: 'string' },
    sid: { type: 'string' },
  },
};

export function eventRoutes({ events }: WebAdminDeps): WebAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/events',
      tag: 'Events',
      summary: 'Recent login attempts, oldest first',
      query: [
        { name: 'user', description: 'Only those naming this user', schema: { type: 'string' } },
        { name: 'limit', description: 'Only the last this many', schema: { type: 'integer', minimum: 1 } },
      ],
      responses: { 200: { description: 'Events', schema: { type: 'array', items: EVENT } }, 400: error('Invalid limit') },
      handle: async ({ query }) => {
        const raw = query.get('limit');
        const limit = raw === null ? undefined : Number(raw);
        if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw invalid('limit must be a positive integer');
        const user = query.get('user') ?? undefined;
        const list = events.list({ ...(user !== undefined ? { user } : {}), ...(limit !== undefined ? { limit } : {}) });
        // Absent members stay absent (undefined is not JSON).
        return { status: 200, body: list.map(jsonOf) };
      },
    },
  ];
}
