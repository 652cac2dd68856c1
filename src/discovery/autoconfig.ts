// Thunderbird autoconfig (clientConfig version 1.1, https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat),
// served at /.well-known/autoconfig/mail/config-v1.1.xml and at autoconfig.<domain>/mail/config-v1.1.xml.
// Thunderbird, K-9/Thunderbird Android and others read it; the oAuth2 element tells them where to sign in.
import type { DiscoveryView, MailEndpoint } from './types.js';
import { el, xmlDocument, type XmlNode } from './xml.js';

function server(endpoint: MailEndpoint, view: DiscoveryView, oauth: boolean): XmlNode {
  const methods: XmlNode[] = [];
  // Tokens first: a client that can do OAuth should, and the user's IdP password stays at the IdP.
  if (oauth && endpoint.oauth) methods.push(el('authentication', 'OAuth2'));
  if (endpoint.passwords) methods.push(el('authentication', 'password-cleartext'));
  return el(endpoint.protocol === 'smtp' ? 'outgoingServer' : 'incomingServer', [
    el('hostname', endpoint.host),
    el('port', endpoint.port),
    el('socketType', endpoint.security === 'tls' ? 'SSL' : 'STARTTLS'),
    ...methods,
    el('username', view.virtualHosting ? '%EMAILADDRESS%' : '%EMAILLOCALPART%'),
  ], { type: endpoint.protocol });
}

export function autoconfigXml(view: DiscoveryView, domain: string): string {
  // Without the provider's endpoints a client cannot run the OAuth flow: offer passwords only.
  const oauth = view.oauth?.authorizationEndpoint !== undefined && view.oauth.tokenEndpoint !== undefined ? view.oauth : undefined;
  const usable = view.endpoints.filter((e) => e.passwords || (oauth && e.oauth));
  const incoming = usable.filter((e) => e.protocol !== 'smtp');
  const outgoing = usable.filter((e) => e.protocol === 'smtp');
  const name = view.displayName ?? domain;
  const children: XmlNode[] = [
    el('emailProvider', [
      el('domain', domain),
      el('displayName', name),
      el('displayShortName', name),
      ...incoming.map((e) => server(e, view, oauth !== undefined)),
      ...outgoing.map((e) => server(e, view, oauth !== undefined)),
    ], { id: domain }),
  ];
  if (oauth) {
    children.push(
      el('oAuth2', [
        el('issuer', oauth.issuer),
        el('scope', oauth.scopes.join(' ')),
        el('authURL', oauth.authorizationEndpoint!),
        el('tokenURL', oauth.tokenEndpoint!),
        ...(oauth.clientId !== undefined ? [el('clientID', oauth.clientId)] : []),
      ]),
    );
  }
  return xmlDocument(el('clientConfig', children, { version: '1.1' }));
}
