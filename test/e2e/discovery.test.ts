// Client discovery against a running Tessera: every document is fetched over HTTP from the JMAP
// listener and checked against a schema — the Thunderbird autoconfig and autodiscover XML parsed with
// fast-xml-parser and validated with ajv against their structure; RFC 9728 and RFC 8414 metadata
// against schemas written from the RFCs' member definitions. Ports are the ones the listeners bound,
// host names the listeners' helloName, OAuth endpoints the test provider's. The SRV generator prints
// records for the same listeners.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type Schema } from 'ajv';
import { XMLParser } from 'fast-xml-parser';
import { startTestIdp, type TestIdp } from '../support/oidc-provider.js';
import { cli } from '../cli/in-process.js';
import { DOMAIN, startTessera, writeE2eConf, type E2eConf, type E2eServer } from './harness.js';

const CLIENT_ID = 'tessera-mail-app';
const PUBLIC_HOST = 'mail.example.test';
const ajv = new Ajv({ allErrors: true, strict: true });
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name) => ['incomingServer', 'outgoingServer', 'authentication', 'Protocol'].includes(name) });

let idp: TestIdp;
let conf: E2eConf;
let srv: E2eServer;
let providerMetadata: Record<string, unknown>;

before(async () => {
  idp = await startTestIdp({ users: [{ email: `alice@${DOMAIN}` }] });
  conf = await writeE2eConf(idp);
  await appendFile(join(conf.confDir, 'tessera.properties'), `discovery.oauth2.clientId=${CLIENT_ID}\ndiscovery.displayName=Example Mail\n`);
  srv = await startTessera(conf);
  providerMetadata = (await (await fetch(idp.discoveryUrl)).json()) as Record<string, unknown>;
});

after(async () => {
  await srv?.running.stop();
  await idp?.close();
  await conf?.dispose();
});

function check(schema: Schema, value: unknown, what: string): void {
  const validate = ajv.compile(schema);
  assert.ok(validate(value), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value, null, 2)}`);
}

const URL_PATTERN = '^https?://[^\\s#?]+$';
const text = { type: 'string', minLength: 1 } as const;
const port = { type: 'string', pattern: '^[1-9][0-9]{0,4}$' } as const;

/** Thunderbird's clientConfig 1.1, as fast-xml-parser gives it. */
const AUTOCONFIG_SCHEMA = {
  type: 'object',
  required: ['?xml', 'clientConfig'],
  properties: {
    '?xml': { type: 'object' },
    clientConfig: {
      type: 'object',
      required: ['@version', 'emailProvider', 'oAuth2'],
      additionalProperties: false,
      properties: {
        '@version': { const: '1.1' },
        emailProvider: {
          type: 'object',
          required: ['@id', 'domain', 'displayName', 'incomingServer', 'outgoingServer'],
          additionalProperties: false,
          properties: {
            '@id': text,
            domain: text,
            displayName: text,
            displayShortName: text,
            incomingServer: { type: 'array', minItems: 1, items: { $ref: '#/$defs/server' } },
            outgoingServer: { type: 'array', minItems: 1, items: { $ref: '#/$defs/server' } },
          },
        },
        oAuth2: {
          type: 'object',
          required: ['issuer', 'scope', 'authURL', 'tokenURL'],
          additionalProperties: false,
          properties: { issuer: text, scope: text, authURL: { type: 'string', pattern: URL_PATTERN }, tokenURL: { type: 'string', pattern: URL_PATTERN }, clientID: text },
        },
      },
    },
  },
  $defs: {
    server: {
      type: 'object',
      required: ['@type', 'hostname', 'port', 'socketType', 'authentication', 'username'],
      additionalProperties: false,
      properties: {
        '@type': { enum: ['imap', 'pop3', 'smtp'] },
        hostname: text,
        port,
        socketType: { enum: ['SSL', 'STARTTLS', 'plain'] },
        authentication: { type: 'array', minItems: 1, items: { enum: ['OAuth2', 'password-cleartext', 'password-encrypted', 'NTLM', 'GSSAPI', 'client-IP-address', 'TLS-client-cert', 'none'] } },
        username: text,
      },
    },
  },
} as const;

/** [MS-OXDSCLI] outlook response schema 2006a, the parts a POP/IMAP/SMTP account uses. */
const AUTODISCOVER_SCHEMA = {
  type: 'object',
  required: ['Autodiscover'],
  properties: {
    Autodiscover: {
      type: 'object',
      required: ['@xmlns', 'Response'],
      properties: {
        '@xmlns': { const: 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006' },
        Response: {
          type: 'object',
          required: ['@xmlns', 'Account'],
          properties: {
            '@xmlns': { const: 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a' },
            Account: {
              type: 'object',
              required: ['AccountType', 'Action', 'Protocol'],
              additionalProperties: false,
              properties: {
                AccountType: { const: 'email' },
                Action: { const: 'settings' },
                Protocol: {
                  type: 'array',
                  minItems: 1,
                  items: {
                    type: 'object',
                    required: ['Type', 'Server', 'Port', 'LoginName', 'SSL'],
                    properties: {
                      Type: { enum: ['IMAP', 'POP3', 'SMTP'] },
                      Server: text,
                      Port: port,
                      DomainRequired: { enum: ['on', 'off'] },
                      LoginName: text,
                      SPA: { enum: ['on', 'off'] },
                      Encryption: { enum: ['None', 'SSL', 'TLS', 'Auto'] },
                      SSL: { enum: ['on', 'off'] },
                      AuthRequired: { enum: ['on', 'off'] },
                      UsePOPAuth: { enum: ['on', 'off'] },
                      SMTPLast: { enum: ['on', 'off'] },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** RFC 9728 §2: `resource` REQUIRED; the others OPTIONAL with the types the RFC gives them. */
const PROTECTED_RESOURCE_SCHEMA = {
  type: 'object',
  required: ['resource'],
  properties: {
    resource: { type: 'string', pattern: '^https?://[^#]+$' },
    authorization_servers: { type: 'array', items: { type: 'string', pattern: URL_PATTERN } },
    jwks_uri: { type: 'string', pattern: URL_PATTERN },
    scopes_supported: { type: 'array', items: text },
    bearer_methods_supported: { type: 'array', items: { enum: ['header', 'body', 'query'] } },
    resource_signing_alg_values_supported: { type: 'array', items: { type: 'string', not: { const: 'none' } } },
    resource_name: text,
    resource_documentation: { type: 'string', pattern: URL_PATTERN },
  },
} as const;

/** RFC 8414 §2: issuer (no query or fragment) and response_types_supported REQUIRED; endpoints are URLs. */
const AUTHORIZATION_SERVER_SCHEMA = {
  type: 'object',
  required: ['issuer', 'response_types_supported', 'authorization_endpoint', 'token_endpoint'],
  properties: {
    issuer: { type: 'string', pattern: URL_PATTERN },
    authorization_endpoint: { type: 'string', pattern: '^https?://[^#]+$' },
    token_endpoint: { type: 'string', pattern: '^https?://[^#]+$' },
    jwks_uri: { type: 'string', pattern: URL_PATTERN },
    registration_endpoint: { type: 'string', pattern: URL_PATTERN },
    scopes_supported: { type: 'array', items: text },
    response_types_supported: { type: 'array', minItems: 1, items: text },
    grant_types_supported: { type: 'array', items: text },
    code_challenge_methods_supported: { type: 'array', items: text },
    introspection_endpoint: { type: 'string', pattern: URL_PATTERN },
    revocation_endpoint: { type: 'string', pattern: URL_PATTERN },
  },
} as const;

const AUTODISCOVER_JSON_SCHEMA = {
  type: 'object',
  required: ['Protocol', 'Url'],
  additionalProperties: false,
  properties: { Protocol: { const: 'AutodiscoverV1' }, Url: { type: 'string', pattern: '^https?://[^\\s]+/autodiscover/autodiscover\\.xml$' } },
} as const;

function bound(name: string): string {
  const server = srv.running.servers.find((s) => s.name === name);
  assert.ok(server, name);
  return new URL(server.describe()[0]!.split(' ')[0]!).port;
}

function helloName(name: string): string {
  const listener = [...srv.running.config.imap, ...srv.running.config.smtp, ...srv.running.config.pop3].find((l) => l.name === name);
  assert.ok(listener, name);
  return listener.helloName;
}

type Server = { '@type': string; hostname: string; port: string; socketType: string; authentication: string[]; username: string };

describe('client discovery documents', () => {
  it('Thunderbird autoconfig lists the TLS listeners with their bound ports and the provider’s OAuth settings', async () => {
    for (const path of ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml']) {
      const res = await fetch(`${srv.endpoints.jmap}${path}?emailaddress=${encodeURIComponent(`alice@${DOMAIN}`)}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^application\/xml/);
      const doc = xml.parse(await res.text()) as { clientConfig: { emailProvider: { '@id': string; displayName: string; incomingServer: Server[]; outgoingServer: Server[] }; oAuth2: Record<string, string> } };
      check(AUTOCONFIG_SCHEMA, doc, path);
      const provider = doc.clientConfig.emailProvider;
      assert.equal(provider['@id'], DOMAIN);
      assert.equal(provider.displayName, 'Example Mail');
      const summary = (servers: Server[]): string[] => servers.map((s) => `${s['@type']} ${s.hostname}:${s.port} ${s.socketType} ${s.authentication.join('+')} ${s.username}`);
      assert.deepEqual(summary(provider.incomingServer), [
        `imap ${helloName('imaps')}:${bound('imaps')} SSL OAuth2+password-cleartext %EMAILADDRESS%`,
        `pop3 ${helloName('pop3s')}:${bound('pop3s')} SSL OAuth2+password-cleartext %EMAILADDRESS%`,
        `imap ${helloName('imap')}:${bound('imap')} STARTTLS OAuth2+password-cleartext %EMAILADDRESS%`,
        `pop3 ${helloName('pop3')}:${bound('pop3')} STARTTLS OAuth2+password-cleartext %EMAILADDRESS%`,
      ]);
      // The MX listener (no AUTH) is not for clients.
      assert.deepEqual(summary(provider.outgoingServer), [
        `smtp ${helloName('smtps')}:${bound('smtps')} SSL OAuth2+password-cleartext %EMAILADDRESS%`,
        `smtp ${helloName('smtp-submission')}:${bound('smtp-submission')} STARTTLS OAuth2+password-cleartext %EMAILADDRESS%`,
      ]);
      assert.deepEqual(doc.clientConfig.oAuth2, {
        issuer: idp.issuer,
        scope: idp.scope,
        authURL: providerMetadata['authorization_endpoint'],
        tokenURL: providerMetadata['token_endpoint'],
        clientID: CLIENT_ID,
      });
    }
    const foreign = await fetch(`${srv.endpoints.jmap}/mail/config-v1.1.xml?emailaddress=bob%40elsewhere.test`);
    assert.equal(foreign.status, 404);
    await foreign.body?.cancel();
    const junk = await fetch(`${srv.endpoints.jmap}/mail/config-v1.1.xml?emailaddress=%3Cscript%3E`);
    assert.equal(junk.status, 400);
    await junk.body?.cancel();
  });

  it('autodiscover answers Outlook’s POX request and the v2 JSON lookup', async () => {
    const request = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>alice@${DOMAIN}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;
    const res = await fetch(`${srv.endpoints.jmap}/autodiscover/autodiscover.xml`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: request });
    assert.equal(res.status, 200);
    const doc = xml.parse(await res.text()) as { Autodiscover: { Response: { Account: { Protocol: Array<Record<string, string>> } } } };
    check(AUTODISCOVER_SCHEMA, doc, 'autodiscover.xml');
    const protocols = doc.Autodiscover.Response.Account.Protocol.map((p) => `${p['Type']} ${p['Server']}:${p['Port']} ${p['Encryption']} ${p['LoginName']}`);
    assert.deepEqual(protocols, [
      `IMAP ${helloName('imaps')}:${bound('imaps')} SSL alice@${DOMAIN}`,
      `POP3 ${helloName('pop3s')}:${bound('pop3s')} SSL alice@${DOMAIN}`,
      `SMTP ${helloName('smtps')}:${bound('smtps')} SSL alice@${DOMAIN}`,
      `IMAP ${helloName('imap')}:${bound('imap')} TLS alice@${DOMAIN}`,
      `POP3 ${helloName('pop3')}:${bound('pop3')} TLS alice@${DOMAIN}`,
      `SMTP ${helloName('smtp-submission')}:${bound('smtp-submission')} TLS alice@${DOMAIN}`,
    ]);

    const unknown = await fetch(`${srv.endpoints.jmap}/Autodiscover/Autodiscover.xml`, { method: 'POST', body: request.replace(`alice@${DOMAIN}`, 'bob@elsewhere.test') });
    const error = xml.parse(await unknown.text()) as { Autodiscover: { Response: { Error: { ErrorCode: string } } } };
    assert.equal(error.Autodiscover.Response.Error.ErrorCode, '500');
    const garbage = await fetch(`${srv.endpoints.jmap}/autodiscover/autodiscover.xml`, { method: 'POST', body: '<not xml' });
    assert.equal((xml.parse(await garbage.text()) as { Autodiscover: { Response: { Error: { ErrorCode: string } } } }).Autodiscover.Response.Error.ErrorCode, '600');
    const huge = await fetch(`${srv.endpoints.jmap}/autodiscover/autodiscover.xml`, { method: 'POST', body: 'x'.repeat(64 * 1024) });
    assert.equal(huge.status, 413);
    await huge.body?.cancel();

    const v2 = await fetch(`${srv.endpoints.jmap}/autodiscover/autodiscover.json?Email=alice@${DOMAIN}&Protocol=AutodiscoverV1`);
    assert.equal(v2.status, 200);
    const body = await v2.json();
    check(AUTODISCOVER_JSON_SCHEMA, body, 'autodiscover.json');
    assert.equal((body as { Url: string }).Url, `${srv.endpoints.jmap}/autodiscover/autodiscover.xml`);
    const activeSync = await fetch(`${srv.endpoints.jmap}/autodiscover/autodiscover.json?Email=alice@${DOMAIN}&Protocol=ActiveSync`);
    assert.equal(activeSync.status, 400);
    assert.equal(((await activeSync.json()) as { ErrorCode: string }).ErrorCode, 'InvalidProtocol');
  });

  it('OAuth metadata points at the configured OpenID provider (RFC 9728, RFC 8414)', async () => {
    const resource = await fetch(`${srv.endpoints.jmap}/.well-known/oauth-protected-resource`);
    assert.equal(resource.status, 200);
    assert.match(resource.headers.get('content-type') ?? '', /^application\/json/);
    const prm = (await resource.json()) as Record<string, unknown>;
    check(PROTECTED_RESOURCE_SCHEMA, prm, 'RFC 9728 metadata');
    assert.deepEqual(prm['authorization_servers'], [idp.issuer]);
    assert.equal(prm['resource'], srv.endpoints.jmap);
    assert.deepEqual(prm['scopes_supported'], idp.scope.split(' '));

    const as = await fetch(`${srv.endpoints.jmap}/.well-known/oauth-authorization-server`);
    assert.equal(as.status, 200);
    const asm = (await as.json()) as Record<string, unknown>;
    check(AUTHORIZATION_SERVER_SCHEMA, asm, 'RFC 8414 metadata');
    assert.equal(asm['issuer'], idp.issuer);
    assert.equal(asm['token_endpoint'], providerMetadata['token_endpoint']);
  });

  it('JMAP session discovery is at /.well-known/jmap', async () => {
    const res = await fetch(`${srv.endpoints.jmap}/.well-known/jmap`, { redirect: 'manual' });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), '/jmap/session');
    await res.body?.cancel();
  });

  it('tessera dns-srv prints RFC 6186/8314 records for the configured listeners', async () => {
    await appendFile(join(conf.confDir, 'tessera.properties'), `discovery.hostname=${PUBLIC_HOST}\n`);
    const run = await cli(['dns-srv', DOMAIN, '--conf', conf.confDir]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    const record = /^(_[a-z0-9]+)\._tcp\.example\.test\. 3600 IN SRV (\d+) (\d+) (\d+) (\S+)$/;
    for (const l of lines) assert.match(l, record);
    const byService = new Map(lines.map((l) => { const m = record.exec(l)!; return [m[1], m.slice(2).join(' ')]; }));
    // The conf binds port 0 everywhere: the generator prints the configured ports, with the public name.
    assert.equal(byService.get('_imaps'), `0 1 0 ${PUBLIC_HOST}.`);
    assert.equal(byService.get('_imap'), `10 1 0 ${PUBLIC_HOST}.`);
    assert.equal(byService.get('_submissions'), `0 1 0 ${PUBLIC_HOST}.`);
    assert.equal(byService.get('_submission'), `10 1 0 ${PUBLIC_HOST}.`);
    assert.equal(byService.get('_pop3s'), `0 1 0 ${PUBLIC_HOST}.`);
    assert.equal(byService.get('_jmap'), '0 0 0 .', 'JMAP over plain HTTP is not published');
    const bad = await cli(['dns-srv', 'not a domain', '--conf', conf.confDir]);
    assert.equal(bad.code, 2);
  });
});
