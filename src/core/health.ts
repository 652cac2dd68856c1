// Neutral (src/core): the control listener and WebAdmin both answer /healthcheck with it.
// Health checks per component, in James webadmin's /healthcheck JSON shape:
//   {status, checks:[{componentName, escapedComponentName, status: healthy|degraded|unhealthy, cause}]}
// The overall status is the worst component's. Each check is bounded in time so a hung LDAP server
// or IdP makes its component unhealthy instead of hanging the orchestrator's probe.

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface ComponentHealth {
  componentName: string;
  escapedComponentName: string;
  status: HealthStatus;
  cause: string | null;
}

export interface HealthReport {
  status: HealthStatus;
  checks: ComponentHealth[];
}

/** A verdict with its cause; a check that throws or times out is unhealthy with the error as cause. */
export interface HealthVerdict {
  status: HealthStatus;
  cause?: string;
}

export interface HealthCheck {
  readonly componentName: string;
  /** Readiness counts only critical components: without them no mail can be served at all. */
  readonly critical: boolean;
  check(): Promise<HealthVerdict>;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** How long one component may take before it counts as unhealthy. */
export const CHECK_TIMEOUT_MS = 5000;

async function run(check: HealthCheck, timeoutMs: number): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthVerdict>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'unhealthy', cause: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  let verdict: HealthVerdict;
  try {
    verdict = await Promise.race([check.check(), timeout]);
  } catch (err) {
    verdict = { status: 'unhealthy', cause: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
  return {
    componentName: check.componentName,
    escapedComponentName: encodeURIComponent(check.componentName),
    status: verdict.status,
    cause: verdict.cause ?? null,
  };
}

export async function healthReport(checks: readonly HealthCheck[], timeoutMs = CHECK_TIMEOUT_MS): Promise<HealthReport> {
  const results = await Promise.all(checks.map((c) => run(c, timeoutMs)));
  const status = results.reduce<HealthStatus>((worst, r) => (RANK[r.status] > RANK[worst] ? r.status : worst), 'healthy');
  return { status, checks: results };
}

/** James answers 200 while healthy or degraded, 503 once a component is unhealthy. */
export function healthHttpStatus(report: HealthReport): number {
  return report.status === 'unhealthy' ? 503 : 200;
}
