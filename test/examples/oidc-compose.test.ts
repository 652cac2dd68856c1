// examples/oidc for container users, validated without pulling an image: compose.yaml, the Keycloak
// realm export and the APISIX configuration parse (YAML through Python's yaml module, JSON through
// JSON.parse) and name the same clients, routes, audience, secrets and ports as Tessera's conf beside
// them; `docker compose config` checks compose.yaml when a compose client is installed; the Dockerfile
// is multi-stage, non-root, with a health check; and both Tessera conf folders of the example (local
// and compose) load with Tessera's own loader.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKCHANNEL_LOGOUT_PATH } from '../../src/sessions/index.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { tempConf } from '../config/fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'oidc');
const COMPOSE = join(EXAMPLE, 'compose');
const ci = process.env['CI'] === 'true';
const PYTHON = '/usr/bin/python3';

const yamlReadable = spawnSync(PYTHON, ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;
const yamlSkip = !yamlReadable && !ci ? 'python3 with its yaml module (Debian python3-yaml) is needed to read YAML' : false;
if (yamlSkip) console.log(`# ${yamlSkip}`);

/** A YAML file as data, read by PyYAML's safe loader (the repository has no YAML parser of its own). */
function readYaml(file: string): unknown {
  const r = spawnSync(PYTHON, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${file} is not valid YAML: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

type Json = Record<string, unknown>;
const obj = (v: unknown, what: string): Json => {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what} is an object`);
  return v as Json;
};
const arr = (v: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(v), `${what} is a list`);
  return v;
};

async function loadConfFolder(dir: string): Promise<LoadedConfig> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) files[name] = await readFile(join(dir, name), 'utf8');
  const conf = await tempConf(files);
  try {
    return await conf.load();
  } finally {
    await conf.cleanup();
  }
}

async function jmapProperty(dir: string, key: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'jmap.properties'), 'utf8');
  return new RegExp(`^${key.replace(/\./g, '\\.')}=(.*)$`, 'm').exec(text)?.[1]?.trim();
}

describe('examples/oidc: Tessera conf folders', () => {
  it('the local example conf loads: tokens only (no passwords), OIDC with audience and introspection, LDAP users, X-User behind the gateway', async () => {
    const loaded = await loadConfFolder(join(EXAMPLE, 'conf'));
    const { config } = loaded;
    assert.equal(config.users.kind, 'ldap');
    assert.deepEqual(config.jmap.strategies, ['xuser', 'jwt']);
    assert.equal(config.jmap.auth.plainAuthEnabled, false);
    for (const server of [...config.imap, ...config.smtp]) {
      assert.equal(server.auth.plainAuthEnabled, false, `${server.name}: passwords off`);
      assert.deepEqual(server.auth.oidc?.aud, ['urn:tessera:mail']);
      assert.ok(server.auth.oidc?.introspection?.url, `${server.name}: introspection`);
      assert.ok((server.auth.oidc?.revalidateInterval ?? 0) > 0, `${server.name}: re-introspection`);
    }
    assert.equal(config.settings.devIdp.enabled, false);
  });

  it('the compose example conf loads, pointing at the compose services', async () => {
    const { config } = await loadConfFolder(join(COMPOSE, 'conf'));
    assert.equal(config.users.kind, 'ldap');
    if (config.users.kind === 'ldap') assert.deepEqual(config.users.ldapHost, ['ldap://ldap:389']);
    assert.deepEqual(config.jmap.strategies, ['xuser', 'jwt']);
    for (const server of [...config.imap, ...config.smtp]) {
      assert.equal(server.auth.plainAuthEnabled, false);
      assert.match(server.auth.oidc?.oidcConfigurationURL ?? '', /^http:\/\/keycloak:8080\/realms\/tessera\//);
    }
  });
});

describe('examples/oidc: compose.yaml, Keycloak realm, APISIX, Dockerfile', { skip: yamlSkip }, () => {
  it('python3 can read YAML', () => assert.ok(yamlReadable, 'install python3-yaml'));

  it('compose.yaml names ldap, keycloak, apisix and tessera; every mounted file exists; ports on loopback; the X-User secret matches Tessera', async () => {
    const compose = obj(readYaml(join(EXAMPLE, 'compose.yaml')), 'compose.yaml');
    const services = obj(compose['services'], 'services');
    assert.deepEqual(Object.keys(services).sort(), ['apisix', 'keycloak', 'ldap', 'tessera']);
    for (const [name, raw] of Object.entries(services)) {
      const service = obj(raw, name);
      for (const volume of (service['volumes'] as string[] | undefined) ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.')) assert.ok(existsSync(join(EXAMPLE, source)), `${name}: ${source} exists`);
      }
      for (const port of (service['ports'] as string[] | undefined) ?? []) assert.match(port, /^127\.0\.0\.1:/, `${name}: ${port} on loopback only`);
    }
    const build = obj(obj(services['tessera'], 'tessera')['build'], 'tessera.build');
    assert.ok(existsSync(join(EXAMPLE, String(build['context']), String(build['dockerfile']))), 'the Dockerfile exists');
    const apisixEnv = obj(obj(services['apisix'], 'apisix')['environment'], 'apisix.environment');
    assert.equal(apisixEnv['X_USER_SECRET'], await jmapProperty(join(COMPOSE, 'conf'), 'authentication.strategy.rfc8621.xUser.secret'));
  });

  it('the Keycloak realm federates LDAP with a mail → email mapper and has the clients, audience and back-channel logout Tessera expects', async () => {
    const realm = obj(JSON.parse(await readFile(join(COMPOSE, 'keycloak', 'realm-tessera.json'), 'utf8')), 'realm');
    assert.equal(realm['realm'], 'tessera');
    const clients = arr(realm['clients'], 'clients').map((c) => obj(c, 'client'));
    const byId = new Map(clients.map((c) => [String(c['clientId']), c]));
    assert.deepEqual([...byId.keys()].sort(), ['jmap-gateway', 'tessera', 'thunderbird']);
    const { config } = await loadConfFolder(join(COMPOSE, 'conf'));
    const imapOidc = config.imap[0]?.auth.oidc;
    assert.ok(imapOidc);
    // The mail client's tokens: password grant allowed (scripts), PKCE, Tessera's audience, logout to Tessera.
    const jmapPort = config.jmap.bind.port;
    for (const id of [imapOidc.clientId, config.jmap.auth.oidc?.clientId]) {
      const client = byId.get(String(id));
      assert.ok(client, `client ${id} (Tessera's clientId) is in the realm`);
      const attributes = obj(client['attributes'], `${id}.attributes`);
      assert.equal(attributes['backchannel.logout.url'], `http://tessera:${jmapPort}${BACKCHANNEL_LOGOUT_PATH}`);
      assert.equal(attributes['pkce.code.challenge.method'], 'S256');
      const mappers = arr(client['protocolMappers'], `${id}.protocolMappers`).map((m) => obj(m, 'mapper'));
      const audience = mappers.find((m) => m['protocolMapper'] === 'oidc-audience-mapper');
      assert.deepEqual([obj(audience?.['config'], 'audience mapper config')['included.custom.audience']], imapOidc.aud);
    }
    assert.equal(byId.get('thunderbird')?.['directAccessGrantsEnabled'], true);
    // Tessera's introspection credentials are the `tessera` client's.
    const basic = Buffer.from((imapOidc.introspection?.auth ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    assert.equal(basic, `tessera:${String(byId.get('tessera')?.['secret'])}`);
    const ldap = arr(obj(realm['components'], 'components')['org.keycloak.storage.UserStorageProvider'], 'user storage').map((c) => obj(c, 'provider'))[0];
    assert.ok(ldap);
    const ldapConfig = obj(ldap['config'], 'ldap config');
    assert.deepEqual(ldapConfig['connectionUrl'], ['ldap://ldap:389']);
    assert.deepEqual(ldapConfig['usersDn'], ['ou=people,dc=localhost']);
    const mappers = arr(obj(ldap['subComponents'], 'subComponents')['org.keycloak.storage.ldap.mappers.LDAPStorageMapper'], 'ldap mappers').map((m) => obj(m, 'mapper'));
    const mail = mappers.find((m) => obj(m['config'], 'mapper config')['ldap.attribute']?.toString() === 'mail');
    assert.deepEqual(obj(mail?.['config'], 'mail mapper')['user.model.attribute'], ['email']);
  });

  it('APISIX routes the JMAP paths through token check, X-User stripping and the shared secret, to Tessera JMAP', async () => {
    const apisix = obj(readYaml(join(COMPOSE, 'apisix', 'apisix.yaml')), 'apisix.yaml');
    const routes = arr(apisix['routes'], 'routes').map((r) => obj(r, 'route'));
    const uris = routes.map((r) => r['uri']);
    for (const uri of ['/oidc/jmap/session', '/oidc/jmap', '/oidc/jmap/ws', '/oidc/upload/*', '/oidc/download/*', '/oidc/eventSource']) assert.ok(uris.includes(uri), `route ${uri}`);
    const services = arr(apisix['services'], 'services').map((s) => obj(s, 'service'));
    const { config } = await loadConfFolder(join(COMPOSE, 'conf'));
    for (const route of routes) {
      const service = services.find((s) => s['id'] === route['service_id']);
      assert.ok(service, `route ${String(route['id'])}: its service exists`);
      const plugins = obj(service['plugins'], 'service plugins');
      const oidc = obj(plugins['openid-connect'], 'openid-connect');
      assert.equal(oidc['bearer_only'], true);
      assert.equal(oidc['use_jwks'], true);
      assert.equal(oidc['client_id'], 'jmap-gateway');
      assert.equal(oidc['discovery'], config.jmap.auth.oidc?.oidcConfigurationURL);
      const pre = JSON.stringify(plugins['serverless-pre-function']);
      for (const header of ['X-User', 'X-User-Secret', 'X-Userinfo']) assert.ok(pre.includes(`'${header}', nil`), `the client's ${header} is dropped`);
      const post = JSON.stringify(plugins['serverless-post-function']);
      assert.ok(post.includes("'X-User', claims.email") && post.includes(`'${config.jmap.auth.oidc?.aud?.[0]}'`), 'X-User from the verified email claim, audience checked');
      const set = obj(obj(obj(obj(route['plugins'], 'route plugins')['proxy-rewrite'], 'proxy-rewrite')['headers'], 'headers')['set'], 'set');
      assert.equal(set['X-User-Secret'], '${{X_USER_SECRET}}');
      const upstream = arr(apisix['upstreams'], 'upstreams').map((u) => obj(u, 'upstream')).find((u) => u['id'] === service['upstream_id']);
      assert.deepEqual(Object.keys(obj(upstream?.['nodes'], 'nodes')), [`tessera:${config.jmap.bind.port}`]);
    }
    const conf = obj(readYaml(join(COMPOSE, 'apisix', 'config.yaml')), 'config.yaml');
    assert.equal(obj(obj(conf['deployment'], 'deployment')['role_data_plane'], 'role_data_plane')['config_provider'], 'yaml');
  });

  it('the Dockerfile is multi-stage, runs as a non-root user and has a health check', async () => {
    const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    assert.ok((text.match(/^FROM /gm) ?? []).length >= 2, 'two stages');
    const user = /^USER (\S+)/m.exec(text)?.[1];
    assert.ok(user && user !== 'root' && user !== '0', `USER ${user}`);
    assert.match(text, /^HEALTHCHECK /m);
    assert.match(text, /COPY --from=build /);
  });

  const composeClient = ((): string[] | undefined => {
    if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
    if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
    return undefined;
  })();
  // The issue asks for `docker compose config` where a compose client exists; it needs no engine.
  it('docker compose config accepts compose.yaml', { skip: composeClient ? false : 'no compose client (docker compose / docker-compose) installed' }, () => {
    const [cmd, ...args] = composeClient!;
    const r = spawnSync(cmd!, [...args, '-f', join(EXAMPLE, 'compose.yaml'), 'config', '--quiet'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
