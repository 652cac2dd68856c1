// Authentication benchmark (not part of the test suite): `node --import tsx bench/auth/run.ts`.
// Prints:
//  1. RS256 JWT validations per second with warm keys, result cache off (every token fully verified:
//     signature, claims, user lookup), one libuv thread, sequential and 32 in flight;
//  2. the same with the result cache on (repeat logins with the same token);
//  3. identity-provider HTTP requests per 10,000 bearer logins through AuthService with warm keys.
import './single-core.js';
import { OidcTokenValidator } from '../../src/auth/token/validator.js';
import { AuthService } from '../../src/auth/service.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryUsersRepository } from '../../src/testing/memory-users.js';
import { startTestIdp } from '../../src/testing/oidc-provider.js';

const USERS = 50;
const DISTINCT_TOKENS = 500;
const DURATION_MS = 3000;

const emails = Array.from({ length: USERS }, (_, i) => `user${i}@example.com`);
const idp = await startTestIdp({ users: emails.map((email) => ({ email })) });
const users = new MemoryUsersRepository(Object.fromEntries(emails.map((e) => [e, 'pw'])));

try {
  process.stdout.write(`signing ${DISTINCT_TOKENS} RS256 tokens with the provider's key…\n`);
  const tokens: string[] = [];
  for (let i = 0; i < DISTINCT_TOKENS; i++) {
    tokens.push(await idp.signJwt({ email: emails[i % USERS], scope: 'openid email', sid: `s${i}`, jti: `j${i}`, client_id: 'tessera' }));
  }
  // Plus real provider-issued tokens, so the mix includes what oidc-provider signs.
  for (let i = 0; i < 20; i++) tokens.push(await idp.accessToken(emails[i % USERS] ?? ''));

  const uncached = new OidcTokenValidator(idp.oidcConfig(), users, silentLogger(), { resultCacheSize: 0 });
  const cached = new OidcTokenValidator(idp.oidcConfig(), users, silentLogger());
  for (const v of [uncached, cached]) {
    const warm = await v.validate(tokens[0] ?? '');
    if (!warm.ok) throw new Error(`warm-up failed: ${warm.reason}`);
  }

  const rate = async (label: string, validator: OidcTokenValidator, inFlight: number): Promise<void> => {
    let done = 0;
    let failures = 0;
    const started = performance.now();
    const deadline = started + DURATION_MS;
    const worker = async (offset: number): Promise<void> => {
      let i = offset;
      while (performance.now() < deadline) {
        const verdict = await validator.validate(tokens[i % tokens.length] ?? '');
        if (!verdict.ok) failures++;
        done++;
        i += inFlight;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, (_, k) => worker(k)));
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`${label.padEnd(58)} ${Math.round(done / seconds).toString().padStart(8)} /s  (${done} in ${seconds.toFixed(2)} s, ${failures} failures)\n`);
  };

  process.stdout.write('\nRS256 validations, warm keys, UV_THREADPOOL_SIZE=1\n');
  await rate('full verification, sequential', uncached, 1);
  await rate('full verification, 32 in flight', uncached, 32);
  await rate('result cache on (same tokens again), sequential', cached, 1);
  await rate('result cache on, 32 in flight', cached, 32);

  const service = new AuthService({ users, logger: silentLogger(), tokens: { resultCacheSize: 0 } });
  const oidc = idp.oidcConfig();
  const ctx = { protocol: 'imap' as const, auth: { plainAuthEnabled: false, requireSSL: true, oidc }, secure: true, peer: '127.0.0.1' };
  const first = await service.loginWithBearer(tokens[0] ?? '', ctx);
  if (!first.ok) throw new Error('warm-up login failed');
  idp.resetRequestCounts();
  const paths = ['/jwks', '/.well-known/openid-configuration', '/token/introspection', '/me'];
  let ok = 0;
  const started = performance.now();
  for (let i = 0; i < 10_000; i++) {
    const r = await service.loginWithBearer(tokens[i % tokens.length] ?? '', { ...ctx, peer: `10.0.${(i >> 8) & 255}.${i & 255}` });
    if (r.ok) ok++;
  }
  const seconds = (performance.now() - started) / 1000;
  const requests = paths.reduce((n, p) => n + idp.requestCount(p), 0);
  process.stdout.write(`\n10,000 bearer logins through AuthService (cache off, warm keys): ${ok} ok in ${seconds.toFixed(2)} s\n`);
  process.stdout.write(`IdP HTTP requests during those logins: ${requests} (${paths.map((p) => `${p}=${idp.requestCount(p)}`).join(', ')})\n`);
  await service.close();
} finally {
  await idp.close();
}
