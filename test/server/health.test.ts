// /healthcheck on a real control listener against a real OpenID provider: healthy, then unhealthy
// (503, with the cause) once the provider is really down, while liveness and readiness stay 200
// because the provider is not critical; a stopped LDAP server (real slapd) makes it not ready. The provider verdict is cached: probes do not hammer the IdP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlHttpServer } from '../../src/server/control-http.js';
import { operatorRoutes } from '../../src/server/operator-routes.js';
import { PROVIDER_CACHE_MS, providerChecks, usersCheck } from '../../src/server/health-checks.js';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { silentLogger } from '../../src/log/logger.js';
import { createLdapUsersRepository } from '../../src/auth/ldap/index.js';
import type { UsersRepository } from '../../src/auth/users/types.js';
import { startSlapd, type SlapdServer } from '../support/slapd.js';
import { ALICE, ldapConfig } from '../ldap/fixtures.js';

let idp: TestIdp;
let server: ControlHttpServer;
let base: string;
let clock = 1_000_000;
let providerRequests = 0;
let slapd: SlapdServer;
let repo: UsersRepository;

before(async () => {
  idp = await startTestIdp({ users: [] });
  slapd = await startSlapd({ users: [ALICE] });
  // No cache: every probe asks the directory, as a readiness probe must.
  repo = createLdapUsersRepository(ldapConfig(slapd), silentLogger(), { cacheTtlMs: 0 });
  const counting: typeof fetch = (input, init) => {
    providerRequests += 1;
    return fetch(input, init);
  };
  const checks = [
    usersCheck(repo),
    ...providerChecks([{ oidcConfigurationURL: idp.discoveryUrl }], counting, () => clock),
  ];
  server = new ControlHttpServer({ host: '127.0.0.1', port: 0 }, operatorRoutes(checks), silentLogger());
  await server.start();
  base = server.describe()[0]!.split(' ')[0]!.replace(/\/metrics$|\/healthcheck.*$/, '');
});

after(async () => {
  await server?.stop(new Date(Date.now() + 1000));
  await idp?.close();
  await repo?.close();
  await slapd?.close();
});

async function get(path: string): Promise<{ status: number; body: { status: string; checks: Array<{ componentName: string; status: string; cause: string | null }> } }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as never };
}

describe('healthcheck', () => {
  it('is healthy while the provider answers, and reuses the verdict within the cache window', async () => {
    const first = await get('/healthcheck');
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'healthy');
    await get('/healthcheck');
    await get('/healthcheck');
    assert.equal(providerRequests, 1, 'three probes, one request to the provider');
  });

  it('turns unhealthy (503, with the cause) once the provider is down, liveness and readiness unaffected', async () => {
    await idp.close();
    clock += PROVIDER_CACHE_MS;
    const down = await get('/healthcheck');
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'unhealthy');
    const provider = down.body.checks.find((c) => c.componentName.startsWith('OpenID provider'));
    assert.equal(provider?.status, 'unhealthy');
    assert.match(provider?.cause ?? '', /unreachable/);
    assert.equal((await get('/healthcheck/live')).status, 200);
    assert.equal((await get('/healthcheck/ready')).status, 200);
  });

  it('is not ready while the LDAP server is stopped, and ready again once it is back', async () => {
    await slapd.stop();
    const ready = await get('/healthcheck/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'unhealthy');
    assert.deepEqual(ready.body.checks.map((c) => [c.componentName, c.status]), [['Users repository', 'unhealthy']]);
    assert.ok(ready.body.checks[0]?.cause, 'the cause is given');
    assert.equal((await get('/healthcheck/live')).status, 200);
    await slapd.start();
    assert.equal((await get('/healthcheck/ready')).status, 200);
  });
});
