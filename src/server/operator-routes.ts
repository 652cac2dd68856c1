// What an operator's tooling scrapes on the control listener (loopback by default, never on the
// public JMAP port): Prometheus /metrics and James-style health, with liveness and readiness apart.
//   GET /metrics            Prometheus text 0.0.4
//   GET /healthcheck        every component; 200 healthy/degraded, 503 unhealthy
//   GET /healthcheck/live   the process answers HTTP (restart it when this fails)
//   GET /healthcheck/ready  the critical components (store, users repository) are healthy
import type { ServerResponse } from 'node:http';
import type { HttpRoute } from '../core/http.js';
import { metrics, METRICS_CONTENT_TYPE } from '../core/metrics.js';
import { healthHttpStatus, healthReport, type HealthCheck, type HealthReport } from '../core/health.js';

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendHealth(res: ServerResponse, report: HealthReport): void {
  send(res, healthHttpStatus(report), 'application/json', JSON.stringify(report));
}

/** `renderMetrics`: this process's series (the default), or every server process's (cluster/worker-gather.ts). */
export function operatorRoutes(checks: readonly HealthCheck[], renderMetrics: () => Promise<string> = () => metrics.render()): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      handle: async (req, res) => {
        req.resume();
        let text: string;
        try {
          text = await renderMetrics();
        } catch (err) {
          // Several server processes and the supervisor did not answer: say so, rather than show one worker's figures as the server's.
          return send(res, 503, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
        }
        send(res, 200, METRICS_CONTENT_TYPE, text);
      },
    },
    {
      method: 'GET',
      path: '/healthcheck',
      handle: async (req, res) => {
        req.resume();
        sendHealth(res, await healthReport(checks));
      },
    },
    {
      method: 'GET',
      path: '/healthcheck/live',
      handle: async (req, res) => {
        req.resume();
        sendHealth(res, { status: 'healthy', checks: [] });
      },
    },
    {
      method: 'GET',
      path: '/healthcheck/ready',
      handle: async (req, res) => {
        req.resume();
        sendHealth(res, await healthReport(checks.filter((c) => c.critical)));
      },
    },
  ];
}
