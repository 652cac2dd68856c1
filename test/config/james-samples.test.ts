// Apache James' own sample configuration files (../shared/james-conf, unchanged copies), read as an
// administrator moving over would use them: no real James key of usersrepository.xml, jmap.properties
// or the OIDC example's imapserver.xml/smtpserver.xml is reported as unknown (a misspelling); each is
// honoured, refused with one line, or named as a James setting Tessera does not use. The examples
// James keeps in comments (LDAP repositories, the JMAP OIDC strategy) are read uncommented too.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/errors.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { tempConf } from './fixtures.js';

const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/james-conf');
const present = existsSync(SAMPLES);
const skip = !present && process.env.CI !== 'true';
if (skip) console.log(`# skipping James sample configurations: ${SAMPLES} not found`);

const APPS = ['memory-app', 'distributed-app', 'distributed-pop3-app', 'jpa-app', 'jpa-smtp-app', 'postgres-app', 'scaling-pulsar-smtp'];

function sample(...parts: string[]): Promise<string> {
  return readFile(path.join(SAMPLES, ...parts), 'utf8');
}

async function load(files: Record<string, string>): Promise<LoadedConfig> {
  const conf = await tempConf(files);
  try {
    return await conf.load();
  } finally {
    await conf.cleanup();
  }
}

/** Warnings that call a key unknown: a real James key must never get one. */
function unknownKeyWarnings(loaded: LoadedConfig): string[] {
  return loaded.warnings.filter((w) => /unknown|check its spelling/.test(w.message)).map((w) => `${path.basename(w.file)}: ${w.key}: ${w.message}`);
}

/** The `<usersrepository>` examples James keeps inside XML comments. */
function commentedRepositories(xml: string): string[] {
  return [...xml.matchAll(/<!--([\s\S]*?)-->/g)].map((m) => m[1] ?? '').filter((c) => c.includes('<usersrepository'));
}

describe("James' sample usersrepository.xml and jmap.properties", { skip }, () => {
  it('the samples are there', () => assert.ok(present, `${SAMPLES} must exist under CI`));

  for (const app of APPS) {
    it(`${app}: usersrepository.xml loads with no key reported as unknown`, async () => {
      const loaded = await load({ 'usersrepository.xml': await sample(app, 'usersrepository.xml') });
      assert.deepEqual(unknownKeyWarnings(loaded), []);
      assert.equal(loaded.config.users.enableVirtualHosting, true);
    });

    it(`${app}: the LDAP examples in its comments load with no key reported as unknown`, async () => {
      for (const example of commentedRepositories(await sample(app, 'usersrepository.xml'))) {
        const loaded = await load({ 'usersrepository.xml': example });
        assert.deepEqual(unknownKeyWarnings(loaded), []);
        assert.equal(loaded.config.users.kind, 'ldap');
      }
    });

    const jmap = path.join(SAMPLES, app, 'jmap.properties');
    if (present && existsSync(jmap)) {
      it(`${app}: jmap.properties, also with its commented OIDC keys, loads with no key reported as unknown`, async () => {
        const text = await readFile(jmap, 'utf8');
        assert.deepEqual(unknownKeyWarnings(await load({ 'jmap.properties': text })), []);
        const oidc = text
          .split('\n')
          .filter((l) => /^#\s*(oidc\.|authentication\.strategy\.rfc8621=OidcAuthenticationStrategy)/.test(l))
          .map((l) => l.replace(/^#\s*/, ''))
          .join('\n');
        const loaded = await load({ 'jmap.properties': `${text}\n${oidc}\n` });
        assert.deepEqual(unknownKeyWarnings(loaded), []);
        assert.deepEqual(loaded.config.jmap.strategies, ['oidc']);
        const o = loaded.config.jmap.auth.oidc;
        assert.equal(o?.introspection?.url, 'https://oidc.example.com/protocol/openid-connect/token/introspect');
        assert.equal(o?.introspection?.auth, 'Basic base64(client_id:client_secret)');
        assert.equal(o?.userinfo?.url, 'https://oidc.example.com/protocol/openid-connect/userinfo');
        assert.equal(o?.claim, 'email');
        assert.deepEqual(o?.aud, ['james']);
        assert.deepEqual(o?.cache, { ttlMs: 300_000, maxEntries: 10_000 });
      });
    }
  }

  it('memory-app: its administratorIds are administrators', async () => {
    const loaded = await load({ 'usersrepository.xml': await sample('memory-app', 'usersrepository.xml') });
    assert.deepEqual(loaded.config.users.administratorIds, ['admin1@domain.tld', 'admin2@domain.tld']);
  });

  it("distributed-app: the multiple-LDAP-servers example keeps both hosts, in order", async () => {
    const [, multi] = commentedRepositories(await sample('distributed-app', 'usersrepository.xml'));
    assert.ok(multi);
    const loaded = await load({ 'usersrepository.xml': multi });
    assert.equal(loaded.config.users.kind, 'ldap');
    if (loaded.config.users.kind === 'ldap') assert.deepEqual(loaded.config.users.ldapHost, ['ldap://ldapServer1:389', 'ldaps://ldapServer2:636']);
  });
});

describe("James' OIDC example (examples-oidc/james)", { skip }, () => {
  const files = async (extra: Record<string, string> = {}): Promise<Record<string, string>> => ({
    'usersrepository.xml': await sample('examples-oidc', 'james', 'usersrepository.xml'),
    'jmap.properties': await sample('examples-oidc', 'james', 'jmap.properties'),
    'imapserver.xml': await sample('examples-oidc', 'james', 'imapserver.xml'),
    'smtpserver.xml': await sample('examples-oidc', 'james', 'smtpserver.xml'),
    ...extra,
  });

  it('stops, as James does, on the <oidc> block without <aud>, in one line naming the file, the key and the fix', async () => {
    const conf = await tempConf(await files());
    try {
      const err = await conf.load().then(
        () => assert.fail('expected a start-up error'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.key, 'imapserver[1].auth.oidc.aud');
      assert.match(err.message, /imapserver\.xml: imapserver\[1\]\.auth\.oidc\.aud: missing/);
      assert.match(err.message, /auth\.oidc\.requireAudience=false/);
      assert.ok(!err.message.includes('\n'));
    } finally {
      await conf.cleanup();
    }
  });

  it('with auth.oidc.requireAudience=false it loads: every key read, LDAP virtual hosting from supportsVirtualHosting, X-User on its secret', async () => {
    const loaded = await load(await files({ 'tessera.properties': 'auth.oidc.requireAudience=false\n' }));
    assert.deepEqual(unknownKeyWarnings(loaded), []);
    const security = loaded.warnings.filter((w) => w.message.startsWith('SECURITY'));
    assert.deepEqual(security.map((w) => w.key).sort(), ['imapserver[1].auth.oidc.aud', 'smtpserver[1].auth.oidc.aud']);
    const users = loaded.config.users;
    assert.equal(users.kind, 'ldap');
    assert.equal(users.enableVirtualHosting, true);
    assert.deepEqual(loaded.config.jmap.strategies, ['basic', 'xuser']);
    assert.deepEqual(loaded.config.jmap.xUser.secrets, ['xusersecret123']);
    assert.deepEqual(loaded.config.jmap.xUser.trustedProxies, []);
    const oidc = loaded.config.imap[0]?.auth.oidc;
    assert.equal(oidc?.introspection?.url, 'http://sso.example.com:8080/auth/realms/oidc/protocol/openid-connect/token/introspect');
    assert.equal(oidc?.scope, 'openid profile email');
  });
});
