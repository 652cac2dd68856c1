// Authentication benchmark (not part of the test suite): `node --import tsx bench/auth/run.ts`.
// Prints:
//  1. RS256 JWT validations per second with warm keys, result cache off (every token fully verified:
//     signature, claims, user lookup), one libuv thread, sequential and 32 in flight — per wall-clock
//     second and per CPU-second of this process (the per-core figure on a busy machine);
//  2. the same with the result cache on (repeat logins with the same token);
//  3. identity-provider HTTP requests per 10,000 bearer logins through AuthService with warm keys.
// The identity provider (a real oidc-provider) runs in a child process, see idp-process.ts.
import './single-core.js';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { OidcTokenValidator } from '../../src/auth/token/validator.js';
import { AuthService } from '../../src/auth/service.js';
import type { OidcConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryUsersRepository } from '../../test/support/memory-users.js';

const USERS = 50;
const DISTINCT_TOKENS = 500;
const DURATION_MS = 3000;

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./idp-process.ts', import.meta.url)), String(USERS), String(DISTINCT_TOKENS)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function nextLine(): Promise<string> {
  const { value, done } = await replies.next();
  if (done) throw new Error('identity provider process ended');
  return value;
}
async function ask(command: string): Promise<Record<string, number>> {
  child.stdin.write(`${command}\n`);
  return JSON.parse(await nextLine()) as Record<string, number>;
}

process.stdout.write(`starting the identity provider and signing ${DISTINCT_TOKENS} RS256 tokens…\n`);
const setup = JSON.parse(await nextLine()) as { discoveryUrl: string; audience: string; tokens: string[] };
const tokens = setup.tokens;
const oidc: OidcConfig = { oidcConfigurationURL: setup.discoveryUrl, claim: 'email', scope: 'openid email', aud: [setup.audience], revalidateInterval: 0 };
const users = new MemoryUsersRepository(Object.fromEntries(Array.from({ length: USERS }, (_, i) => [`user${i}@example.com`, 'pw'])));

try {
  const uncached = new OidcTokenValidator(oidc, users, silentLogger(), { resultCacheSize: 0 });
  const cached = new OidcTokenValidator(oidc, users, silentLogger());
  for (const v of [uncached, cached]) {
    const warm = await v.validate(tokens[0] ?? '');
    if (!warm.ok) throw new Error(`warm-up failed: ${warm.reason}`);
  }

  const rate = async (label: string, validator: OidcTokenValidator, inFlight: number): Promise<void> => {
    let done = 0;
    let failures = 0;
    const cpuBefore = process.cpuUsage();
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
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(
      `${label.padEnd(50)} ${Math.round(done / seconds).toString().padStart(7)} /s wall  ${Math.round(done / cpuSeconds).toString().padStart(7)} /CPU-s  (${done} in ${seconds.toFixed(2)} s, ${failures} failures)\n`,
    );
  };

  process.stdout.write(`\nRS256 validations, warm keys, UV_THREADPOOL_SIZE=1, load average ${loadavg()[0]?.toFixed(1)}\n`);
  await rate('full verification, sequential', uncached, 1);
  await rate('full verification, 32 in flight', uncached, 32);
  await rate('result cache on (same tokens again), sequential', cached, 1);
  await rate('result cache on, 32 in flight', cached, 32);

  const service = new AuthService({ users, logger: silentLogger(), tokens: { resultCacheSize: 0 } });
  const ctx = { protocol: 'imap' as const, auth: { plainAuthEnabled: false, requireSSL: true, oidc }, secure: true, peer: '127.0.0.1' };
  const first = await service.loginWithBearer(tokens[0] ?? '', ctx);
  if (!first.ok) throw new Error('warm-up login failed');
  await ask('reset');
  let ok = 0;
  const started = performance.now();
  for (let i = 0; i < 10_000; i++) {
    const r = await service.loginWithBearer(tokens[i % tokens.length] ?? '', { ...ctx, peer: `10.0.${(i >> 8) & 255}.${i & 255}` });
    if (r.ok) ok++;
  }
  const seconds = (performance.now() - started) / 1000;
  const counts = await ask('counts');
  const requests = Object.values(counts).reduce((a, b) => a + b, 0);
  process.stdout.write(`\n10,000 bearer logins through AuthService (result cache off, warm keys): ${ok} ok in ${seconds.toFixed(2)} s\n`);
  process.stdout.write(`IdP HTTP requests during those logins: ${requests} (${Object.entries(counts).map(([p, n]) => `${p}=${n}`).join(', ')})\n`);
  await service.close();
} finally {
  child.stdin.write('quit\n');
}
