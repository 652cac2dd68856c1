#!/usr/bin/env node
// Writes LemonLDAP::NG's whole configuration for the example: lemonldap-ng.ini (where the
// configuration and the caches live) and lmConf-1.json (the portal, its LDAP backend and the OpenID
// provider), so nothing is clicked in the manager. LemonLDAP::NG fills every key not written here with
// its own default (Lemonldap::NG::Common::Conf::DefaultValues).
//
//   node make-conf.mjs <run dir> <json with ports and secrets>
//
// The signing key (RS256) is made here, once per run.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [run, settingsJson] = process.argv.slice(2);
if (!run || !settingsJson) {
  console.error('usage: make-conf.mjs <run dir> <settings json>');
  process.exit(2);
}
/** @type {{opPort:number, ldapPort:number, jmapPort:number, ldapAdminPassword:string, thunderbirdSecret:string, gatewaySecret:string, tesseraSecret:string, mailAudience:string}} */
const s = JSON.parse(settingsJson);
const dir = join(run, 'llng');
for (const sub of ['conf', 'sessions', 'sessions/lock', 'psessions', 'psessions/lock', 'cache']) mkdirSync(join(dir, sub), { recursive: true });

const issuer = `http://127.0.0.1:${s.opPort}`;
// Tessera's back-channel logout endpoint: served by its JMAP listener, on loopback.
const backchannel = `http://127.0.0.1:${s.jmapPort}/oidc/backchannel-logout`;
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});

// Claims each relying party receives, from the LDAP attributes the portal keeps in the session.
const claims = { email: 'mail', name: 'cn', preferred_username: 'uid' };

/** Options shared by both relying parties: RS256 JWT access tokens carrying the claims and Tessera's audience. */
function relyingParty(clientId, secret, extra) {
  return {
    oidcRPMetaDataOptionsClientID: clientId,
    oidcRPMetaDataOptionsClientSecret: secret,
    oidcRPMetaDataOptionsPublic: 0,
    oidcRPMetaDataOptionsBypassConsent: 1,
    oidcRPMetaDataOptionsIDTokenSignAlg: 'RS256',
    oidcRPMetaDataOptionsAccessTokenSignAlg: 'RS256',
    oidcRPMetaDataOptionsAccessTokenJWT: 1,
    // The claims (email …) go into the JWT access token itself, so Tessera and the gateway read them there.
    oidcRPMetaDataOptionsAccessTokenClaims: 1,
    oidcRPMetaDataOptionsAdditionalAudiences: s.mailAudience,
    // Short-lived: the gateway checks tokens locally (signature, exp), so a token of a session that
    // was logged out passes there until it expires.
    oidcRPMetaDataOptionsAccessTokenExpiration: 600,
    oidcRPMetaDataOptionsIDTokenExpiration: 3600,
    oidcRPMetaDataOptionsRefreshToken: 1,
    oidcRPMetaDataOptionsUserIDAttr: 'uid',
    // Logging out at the portal tells Tessera at once (OpenID Connect Back-Channel Logout 1.0).
    oidcRPMetaDataOptionsLogoutType: 'back',
    oidcRPMetaDataOptionsLogoutUrl: backchannel,
    oidcRPMetaDataOptionsLogoutSessionRequired: 1,
    oidcRPMetaDataOptionsLogoutBypassConfirm: 1,
    ...extra,
  };
}

const conf = {
  cfgNum: 1,
  cfgAuthor: 'tessera examples/oidc',
  cfgDate: Math.floor(Date.now() / 1000),
  cfgVersion: '2.16.1',
  portal: `${issuer}/`,
  domain: '127.0.0.1',
  securedCookie: 0,
  timeout: 72000,
  whatToTrace: 'uid',
  // LDAP: the people of James' example directory; passwords are checked by binding as the user.
  authentication: 'LDAP',
  userDB: 'Same',
  passwordDB: 'LDAP',
  registerDB: 'Null',
  ldapServer: `ldap://127.0.0.1:${s.ldapPort}`,
  ldapBase: 'ou=people,dc=localhost',
  managerDn: 'cn=admin,dc=localhost',
  managerPassword: s.ldapAdminPassword,
  AuthLDAPFilter: '(&(uid=$user)(objectClass=inetOrgPerson))',
  LDAPFilter: '(&(uid=$user)(objectClass=inetOrgPerson))',
  mailLDAPFilter: '(&(mail=$mail)(objectClass=inetOrgPerson))',
  ldapExportedVars: { uid: 'uid', cn: 'cn', mail: 'mail' },
  exportedVars: {},
  macros: {},
  groups: {},
  locationRules: {},
  exportedHeaders: {},
  applicationList: {},
  notification: 0,
  loginHistoryEnabled: 0,
  portalSkin: 'bootstrap',
  // Sessions and caches in this run's directory, not in /var/lib/lemonldap-ng.
  globalStorage: 'Apache::Session::File',
  globalStorageOptions: { Directory: join(dir, 'sessions'), LockDirectory: join(dir, 'sessions/lock'), generateModule: 'Lemonldap::NG::Common::Apache::Session::Generate::SHA256' },
  persistentStorage: 'Apache::Session::File',
  persistentStorageOptions: { Directory: join(dir, 'psessions'), LockDirectory: join(dir, 'psessions/lock') },
  localSessionStorage: 'Cache::FileCache',
  localSessionStorageOptions: { namespace: 'lemonldap-ng-sessions', default_expires_in: 600, directory_umask: '007', cache_root: join(dir, 'cache'), cache_depth: 3 },
  // The OpenID provider.
  issuerDBOpenIDConnectActivation: 1,
  oidcServiceMetaDataIssuer: issuer,
  oidcServicePrivateKeySig: privateKey,
  oidcServicePublicKeySig: publicKey,
  oidcServiceKeyIdSig: 'tessera-example',
  oidcServiceAllowAuthorizationCodeFlow: 1,
  oidcServiceIgnoreScopeForClaims: 0,
  oidcRPMetaDataOptions: {
    // Mail clients (Thunderbird …): password grant for scripts, authorization code with PKCE for the app.
    thunderbird: relyingParty('thunderbird', s.thunderbirdSecret, {
      oidcRPMetaDataOptionsAllowPasswordGrant: 1,
      oidcRPMetaDataOptionsRequirePKCE: 1,
      oidcRPMetaDataOptionsRedirectUris: 'https://localhost http://localhost http://127.0.0.1',
    }),
    // Web clients of JMAP behind the gateway (authorization code with PKCE).
    'jmap-gateway': relyingParty('jmap-gateway', s.gatewaySecret, {
      oidcRPMetaDataOptionsAllowPasswordGrant: 1,
      oidcRPMetaDataOptionsRequirePKCE: 1,
      oidcRPMetaDataOptionsRedirectUris: `http://127.0.0.1/`,
    }),
    // Tessera itself: only introspects tokens (RFC 7662); it never logs anyone in.
    tessera: relyingParty('tessera', s.tesseraSecret, { oidcRPMetaDataOptionsLogoutType: 'front', oidcRPMetaDataOptionsLogoutUrl: '' }),
  },
  oidcRPMetaDataExportedVars: { thunderbird: claims, 'jmap-gateway': claims, tessera: claims },
  oidcRPMetaDataMacros: {},
  oidcRPMetaDataOptionsExtraClaims: {},
};

writeFileSync(join(dir, 'conf', 'lmConf-1.json'), JSON.stringify(conf, null, 2));
writeFileSync(
  join(dir, 'lemonldap-ng.ini'),
  [
    '; Written by examples/oidc/lemonldap/make-conf.mjs for one run.',
    '[all]',
    'logLevel = notice',
    'checkTime = 1',
    '[configuration]',
    'type = File',
    `dirName = ${join(dir, 'conf')}`,
    'localStorage = Cache::FileCache',
    `localStorageOptions = { 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, 'directory_umask' => '007', 'cache_root' => '${join(dir, 'cache')}', 'cache_depth' => 3 }`,
    '[portal]',
    'staticPrefix = /static',
    'templateDir = /usr/share/lemonldap-ng/portal/templates',
    'languages = en',
    '[handler]',
    'status = 0',
    '',
  ].join('\n'),
);
