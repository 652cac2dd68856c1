// The benchmark's identity provider, in its own process: oidc-provider keeps an AsyncLocalStorage,
// which turns on promise hooks for every promise in its process and would bill the validator for a
// cost a production Tessera (talking to a remote IdP) never pays.
// Protocol (lines on stdin/stdout): first line out is {"issuer", "tokens":[…]}; "counts" in → the
// IdP's per-path request counts out; "reset" resets them; "quit" exits.
import { createInterface } from 'node:readline';
import { startTestIdp } from '../../test/support/oidc-provider.js';

const users = Number(process.argv[2] ?? 50);
const signed = Number(process.argv[3] ?? 500);
const emails = Array.from({ length: users }, (_, i) => `user${i}@example.com`);
const idp = await startTestIdp({ users: emails.map((email) => ({ email })) });
const tokens: string[] = [];
for (let i = 0; i < signed; i++) {
  tokens.push(await idp.signJwt({ email: emails[i % users], scope: 'openid email', sid: `s${i}`, jti: `j${i}`, client_id: 'tessera' }));
}
for (let i = 0; i < 20; i++) tokens.push(await idp.accessToken(emails[i % users] ?? ''));
process.stdout.write(`${JSON.stringify({ issuer: idp.issuer, discoveryUrl: idp.discoveryUrl, audience: idp.audience, tokens })}\n`);

const paths = ['/jwks', '/.well-known/openid-configuration', '/token/introspection', '/me'];
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'counts') process.stdout.write(`${JSON.stringify(Object.fromEntries(paths.map((p) => [p, idp.requestCount(p)])))}\n`);
  else if (line === 'reset') {
    idp.resetRequestCounts();
    process.stdout.write('{}\n');
  } else if (line === 'quit') break;
}
await idp.close();
process.exit(0);
