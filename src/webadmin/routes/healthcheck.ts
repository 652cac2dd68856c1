// James /healthcheck on WebAdmin: the same components and JSON as the control listener's
// (src/core/health.ts), plus James' per-component routes.
import { healthHttpStatus, healthReport, type HealthReport } from '../../core/health.js';
import type { JsonValue } from '../../store/types.js';
import type { WebAdminDeps } from '../deps.js';
import { error } from '../schemas.js';
import { notFound, type Schema, type WebAdminRoute } from '../types.js';

const TAG = 'Healthcheck';

const STATUS: Schema = { type: 'string', enum: ['healthy', 'degraded', 'unhealthy'] };
const COMPONENT: Schema = {
  type: 'object',
  required: ['componentName', 'escapedComponentName', 'status'],
  properties: {
    componentName: { type: 'string' },
    escapedComponentName: { type: 'string' },
    status: STATUS,
    cause: { type: ['string', 'null'] },
  },
};
const REPORT: Schema = { type: 'object', required: ['status', 'checks'], properties: { status: STATUS, checks: { type: 'array', items: COMPONENT } } };

const json = (r: HealthReport): JsonValue => ({ status: r.status, checks: r.checks.map((c) => ({ ...c })) });

export function healthRoutes({ health }: WebAdminDeps): WebAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthcheck',
      tag: TAG,
      summary: 'Every component; 503 once one is unhealthy',
      responses: { 200: { description: 'Healthy or degraded', schema: REPORT }, 503: { description: 'A component is unhealthy', schema: REPORT } },
      handle: async () => {
        const report = await healthReport(health);
        return { status: healthHttpStatus(report), body: json(report) };
      },
    },
    {
      method: 'GET',
      path: '/healthcheck/checks',
      tag: TAG,
      summary: 'The components checked',
      responses: {
        200: {
          description: 'Components',
          schema: { type: 'array', items: { type: 'object', properties: { componentName: { type: 'string' }, escapedComponentName: { type: 'string' } } } },
        },
      },
      handle: async () => ({
        status: 200,
        body: health.map((c) => ({ componentName: c.componentName, escapedComponentName: encodeURIComponent(c.componentName) })),
      }),
    },
    {
      method: 'GET',
      path: '/healthcheck/checks/{componentName}',
      tag: TAG,
      summary: 'One component (its name percent-encoded)',
      responses: { 200: { description: 'Healthy or degraded', schema: COMPONENT }, 503: { description: 'Unhealthy', schema: COMPONENT }, 404: error('No such component') },
      handle: async ({ params }) => {
        const check = health.find((c) => c.componentName === params['componentName']);
        if (!check) throw notFound(`no health check named ${params['componentName']}`);
        const report = await healthReport([check]);
        return { status: healthHttpStatus(report), body: { ...report.checks[0]! } };
      },
    },
  ];
}
