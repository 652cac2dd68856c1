// The discovery documents as HttpRoutes (src/core/http.ts), mounted by `tessera serve` on the JMAP
// listener (the public HTTPS port), or on the control listener when JMAP is off. All are public and
// unauthenticated: they describe the server, never a user (an unknown domain gets 404).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { readBoundedBody, type HttpRoute } from '../core/http.js';
import { autoconfigXml } from './autoconfig.js';
import {
  AUTODISCOVER_JSON_PATH,
  AUTODISCOVER_XML_PATH,
  MAX_AUTODISCOVER_BODY_BYTES,
  OUTLOOK_SCHEMA,
  autodiscoverErrorXml,
  autodiscoverJson,
  autodiscoverXml,
  isAddress,
  parseAutodiscoverRequest,
} from './autodiscover.js';
import { AUTHORIZATION_SERVER_PATH, PROTECTED_RESOURCE_PATH, protectedResourceMetadata } from './oauth-metadata.js';
import type { DiscoverySource } from './types.js';

export const AUTOCONFIG_PATHS = ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml'] as const;

/** Clients fetch these once at account set-up; an hour keeps an outage of ours from mattering. */
const CACHE = 'public, max-age=3600';

function send(res: ServerResponse, status: number, type: string, body: string, cache = CACHE): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': status === 200 ? cache : 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}

/** The URL the client used, when no public prefix is configured. */
function requestBase(req: IncomingMessage): string {
  const tls = (req.socket as Partial<TLSSocket>).encrypted === true;
  const host = req.headers.host && /^[A-Za-z0-9.:[\]-]{1,300}$/.test(req.headers.host) ? req.headers.host : 'localhost';
  return `${tls ? 'https' : 'http'}://${host}`;
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

export function discoveryRoutes(source: DiscoverySource): HttpRoute[] {
  const autoconfig = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const view = await source.view();
    // Thunderbird sends ?emailaddress=; without it, describe the default domain.
    const email = query(req).get('emailaddress');
    if (email !== null && !isAddress(email)) return send(res, 400, 'text/plain; charset=utf-8', 'emailaddress is not an e-mail address\n');
    const domain = email !== null ? domainOf(email) : view.defaultDomain;
    if (!(await source.isLocalDomain(domain))) return send(res, 404, 'text/plain; charset=utf-8', `${domain} is not served here\n`);
    send(res, 200, 'application/xml; charset=utf-8', autoconfigXml(view, domain));
  };

  const autodiscover = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBoundedBody(req, MAX_AUTODISCOVER_BODY_BYTES);
    const xml = 'text/xml; charset=utf-8';
    if (body === undefined) return send(res, 413, 'text/plain; charset=utf-8', `at most ${MAX_AUTODISCOVER_BODY_BYTES} bytes\n`);
    const request = parseAutodiscoverRequest(body);
    // Exchange answers request errors with 200 and an Error element; Outlook reads that.
    if (!request.ok) return send(res, 200, xml, autodiscoverErrorXml(600, `Invalid Request: ${request.reason}`, new Date()), 'no-store');
    if (request.schema !== undefined && request.schema !== OUTLOOK_SCHEMA) {
      return send(res, 200, xml, autodiscoverErrorXml(600, 'Invalid Request: only the outlook response schema 2006a is served', new Date()), 'no-store');
    }
    if (!(await source.isLocalDomain(domainOf(request.email)))) {
      return send(res, 200, xml, autodiscoverErrorXml(500, 'The e-mail address cannot be found.', new Date()), 'no-store');
    }
    send(res, 200, xml, autodiscoverXml(await source.view(), request.email), 'no-store');
  };

  const autodiscoverV2 = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const params = query(req);
    const view = await source.view();
    const email = params.get('Email') ?? params.get('email');
    const answer = autodiscoverJson(view.baseUrl ?? requestBase(req), email, params.get('Protocol') ?? params.get('protocol'));
    if (answer.status === 200 && email !== null && !(await source.isLocalDomain(domainOf(email)))) {
      return sendJson(res, 404, { ErrorCode: 'NotFound', ErrorMessage: 'The e-mail address cannot be found.' });
    }
    sendJson(res, answer.status, answer.body);
  };

  const protectedResource = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const view = await source.view();
    const doc = protectedResourceMetadata(view, view.baseUrl ?? requestBase(req));
    if (!doc) return sendJson(res, 404, { error: 'no OpenID provider is configured' });
    sendJson(res, 200, doc);
  };

  const authorizationServer = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const view = await source.view();
    if (!view.oauth) return sendJson(res, 404, { error: 'no OpenID provider is configured' });
    if (!view.providerDocument) {
      res.setHeader('Retry-After', '30');
      return sendJson(res, 503, { error: 'the OpenID provider’s metadata is unavailable, try again later' });
    }
    sendJson(res, 200, view.providerDocument);
  };

  const route = (method: string, path: string, handle: HttpRoute['handle']): HttpRoute => ({ method, path, handle });
  return [
    ...AUTOCONFIG_PATHS.map((p) => route('GET', p, autoconfig)),
    // Outlook asks with both spellings; paths are matched exactly.
    route('POST', AUTODISCOVER_XML_PATH, autodiscover),
    route('POST', '/Autodiscover/Autodiscover.xml', autodiscover),
    route('GET', AUTODISCOVER_JSON_PATH, autodiscoverV2),
    route('GET', PROTECTED_RESOURCE_PATH, protectedResource),
    route('GET', AUTHORIZATION_SERVER_PATH, authorizationServer),
  ];
}
