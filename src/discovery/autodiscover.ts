// Microsoft-style autodiscover, as Outlook and several mobile clients use it for IMAP/SMTP/POP3:
//  - POX: POST /autodiscover/autodiscover.xml with an <Autodiscover><Request><EMailAddress>… body,
//    answered with the "outlook" response schema 2006a ([MS-OXDSCLI]).
//  - v2 JSON: GET /autodiscover/autodiscover.json?Email=…&Protocol=AutodiscoverV1 → where the POX
//    endpoint is ([MS-OXDISCO]); other protocols (ActiveSync, EWS) are not served by Tessera.
import { XMLParser } from 'fast-xml-parser';
import type { DiscoveryView, MailEndpoint } from './types.js';
import { el, xmlDocument, type XmlNode } from './xml.js';

export const AUTODISCOVER_XML_PATH = '/autodiscover/autodiscover.xml';
export const AUTODISCOVER_JSON_PATH = '/autodiscover/autodiscover.json';
const RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
export const OUTLOOK_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
/** A request is a few hundred bytes; anything much larger is not one. */
export const MAX_AUTODISCOVER_BODY_BYTES = 16 * 1024;

export type AutodiscoverRequest =
  | { ok: true; email: string; schema: string | undefined }
  | { ok: false; reason: string };

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, processEntities: false });

/** Reads the e-mail address (and accepted schema) from a POX request body. */
export function parseAutodiscoverRequest(body: Buffer): AutodiscoverRequest {
  let doc: unknown;
  try {
    doc = parser.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the request is not XML' };
  }
  const request = field(field(doc, 'Autodiscover'), 'Request');
  const email = field(request, 'EMailAddress');
  const schema = field(request, 'AcceptableResponseSchema');
  if (typeof email !== 'string' || !isAddress(email.trim())) return { ok: false, reason: 'no EMailAddress in the request' };
  return { ok: true, email: email.trim(), schema: typeof schema === 'string' ? schema.trim() : undefined };
}

function field(node: unknown, name: string): unknown {
  return typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>)[name] : undefined;
}

export function isAddress(text: string): boolean {
  return text.length <= 320 && /^[^\s@<>"]+@[A-Za-z0-9.-]+$/.test(text);
}

function protocol(endpoint: MailEndpoint, loginName: string): XmlNode {
  const tls = endpoint.security === 'tls';
  return el('Protocol', [
    el('Type', endpoint.protocol.toUpperCase()),
    el('Server', endpoint.host),
    el('Port', endpoint.port),
    el('DomainRequired', 'off'),
    el('LoginName', loginName),
    el('SPA', 'off'),
    // SSL=on with Encryption names which TLS: implicit ("SSL") or STARTTLS ("TLS").
    el('Encryption', tls ? 'SSL' : 'TLS'),
    el('SSL', 'on'),
    el('AuthRequired', 'on'),
    ...(endpoint.protocol === 'smtp' ? [el('UsePOPAuth', 'off'), el('SMTPLast', 'off')] : []),
  ]);
}

/** The POX answer for one address; only endpoints that take passwords (Outlook does not do OAuth here). */
export function autodiscoverXml(view: DiscoveryView, email: string): string {
  const loginName = view.virtualHosting ? email : email.slice(0, email.lastIndexOf('@'));
  const endpoints = view.endpoints.filter((e) => e.passwords);
  return xmlDocument(
    el('Autodiscover', [
      el('Response', [
        el('Account', [el('AccountType', 'email'), el('Action', 'settings'), ...endpoints.map((e) => protocol(e, loginName))]),
      ], { xmlns: OUTLOOK_SCHEMA }),
    ], { xmlns: RESPONSE_NS }),
  );
}

/** An autodiscover error answer ([MS-OXDSCLI] 2.2.4.2.1.1): 500 unknown address, 600 invalid request. */
export function autodiscoverErrorXml(code: 500 | 600, message: string, now: Date): string {
  return xmlDocument(
    el('Autodiscover', [
      el('Response', [
        el('Error', [el('ErrorCode', code), el('Message', message), el('DebugData')], { Time: now.toISOString().slice(11, 23), Id: '0' }),
      ]),
    ], { xmlns: RESPONSE_NS }),
  );
}

export type AutodiscoverJson = { status: 200; body: { Protocol: string; Url: string } } | { status: 400; body: { ErrorCode: string; ErrorMessage: string } };

/** The v2 JSON answer: for AutodiscoverV1, the POX URL; anything else is not served here. */
export function autodiscoverJson(baseUrl: string, email: string | null, protocolName: string | null): AutodiscoverJson {
  if (email === null || !isAddress(email)) {
    return { status: 400, body: { ErrorCode: 'InvalidRequest', ErrorMessage: 'An Email parameter with an e-mail address is required.' } };
  }
  if (protocolName === null || protocolName.toLowerCase() !== 'autodiscoverv1') {
    return {
      status: 400,
      body: { ErrorCode: 'InvalidProtocol', ErrorMessage: `The given protocol value '${protocolName ?? ''}' is invalid. Supported values are 'AutodiscoverV1'.` },
    };
  }
  return { status: 200, body: { Protocol: 'AutodiscoverV1', Url: `${baseUrl}${AUTODISCOVER_XML_PATH}` } };
}
