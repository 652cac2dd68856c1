// The <auth> block of imapserver.xml / smtpserver.xml blocks, including <oidc>. The original
// proposal spelled them <authentication> and <oauth>: both still work, with a warning, and their
// values are checked against the current spelling so the two can never silently disagree.
import { resolveAliases, deprecationMessage, type Candidate } from './aliases.js';
import type { FileContext } from './context.js';
import type { AuthConfig, IntrospectionConfig, OidcConfig } from './types.js';
import { parseBoolean, parseSeconds, parseUrl, splitList } from './values.js';
import type { RawValue, XmlSection } from './xml.js';

export const DEFAULT_OIDC_CLAIM = 'email_address';
/** Re-introspection period when introspection is configured but no interval is given. */
export const DEFAULT_REVALIDATE_SECONDS = 300;

/** The block's auth sections: `<auth>` and, deprecated, `<authentication>`. */
export function authSections(block: XmlSection): XmlSection[] {
  const current = block.child('auth');
  const old = block.child('authentication');
  if (old) block.ctx.warn(old.key, deprecationMessage(block.childKey('auth'), "the original proposal's name"));
  return [current, old].filter((s): s is XmlSection => s !== undefined);
}

/** Candidates for one leaf read from every section that may hold it. */
export function leaf<T>(sections: XmlSection[], name: string, parse: (raw: string) => T): Candidate<T>[] {
  return sections.map((s) => ({ value: s.text(name), parse }));
}

function readString(ctx: FileContext, sections: XmlSection[], name: string): string | undefined {
  return resolveAliases(ctx, leaf(sections, name, (raw) => raw))?.value;
}

export interface AuthDefaults {
  /**
   * requireSSL when neither it nor its legacy name is written: James' default for the protocol
   * (IMAP: true, through plainAuthDisallowed's default; SMTP: false). A James conf/ means there what
   * it meant in James; the start-up check (src/server/startup-checks.ts) warns about every listener
   * that takes credentials in clear text because of it.
   */
  requireSSL: boolean;
  /** A legacy top-level element that also sets requireSSL (IMAP `plainAuthDisallowed`). */
  legacyRequireSSL?: Candidate<boolean>;
}

export function readAuth(block: XmlSection, sections: XmlSection[], defaults: AuthDefaults): AuthConfig {
  const ctx: FileContext = block.ctx;
  const plainAuthEnabled = resolveAliases(ctx, leaf(sections, 'plainAuthEnabled', parseBoolean))?.value ?? true;
  const requireSSLCandidates = leaf(sections, 'requireSSL', parseBoolean);
  if (defaults.legacyRequireSSL) requireSSLCandidates.push(defaults.legacyRequireSSL);
  const configured = resolveAliases(ctx, requireSSLCandidates)?.value;
  const requireSSL = configured ?? defaults.requireSSL;
  const oidc = readOidc(block, sections);
  return { plainAuthEnabled, requireSSL, ...(configured === undefined ? { requireSSLDefaulted: true } : {}), ...(oidc ? { oidc } : {}) };
}

function readOidc(block: XmlSection, authSecs: XmlSection[]): OidcConfig | undefined {
  const ctx: FileContext = block.ctx;
  const sections: XmlSection[] = [];
  for (const auth of authSecs) {
    const current = auth.child('oidc');
    const old = auth.child('oauth');
    if (old) ctx.warn(old.key, deprecationMessage(auth.childKey('oidc'), "the original proposal's name"));
    if (current) sections.push(current);
    if (old) sections.push(old);
  }
  const [first] = sections;
  if (!first) return undefined;

  const url = (raw: string): string => parseUrl(raw);
  const jwksURL = resolveAliases(ctx, leaf(sections, 'jwksURL', url))?.value;
  const oidcConfigurationURL = resolveAliases(ctx, leaf(sections, 'oidcConfigurationURL', url))?.value;
  if (jwksURL === undefined && oidcConfigurationURL === undefined) {
    ctx.fail(first.key, '', 'add <jwksURL> (the provider\'s JWKS endpoint) or <oidcConfigurationURL> (its .well-known/openid-configuration), or remove the block', 'incomplete OIDC block');
  }
  const issuer = readString(ctx, sections, 'issuer');
  const claim = readString(ctx, sections, 'claim') ?? DEFAULT_OIDC_CLAIM;
  const scope = readString(ctx, sections, 'scope');
  const aud = resolveAliases(ctx, leaf(sections, 'aud', (raw) => splitList(raw)))?.value ?? [];
  const clientId = readString(ctx, sections, 'clientId');

  const introspection = readIntrospection(block, sections);
  const userinfoUrl = resolveAliases(ctx, sections.map((s) => ({ value: s.child('userinfo')?.text('url'), parse: url })));
  const userinfoSec = sections.map((s) => s.child('userinfo')).find((s) => s !== undefined);
  if (userinfoSec && !userinfoUrl) ctx.fail(userinfoSec.childKey('url'), '', 'add <url> with the provider\'s userinfo endpoint, or remove <userinfo>', 'incomplete userinfo block');

  const revalidateInterval =
    resolveAliases(ctx, leaf(sections, 'revalidateInterval', parseSeconds))?.value ?? (introspection ? DEFAULT_REVALIDATE_SECONDS : 0);
  // Last, so that a block with a more basic mistake reports that one first.
  if (aud.length === 0) checkMissingAudience(ctx, first);

  return {
    ...(jwksURL !== undefined ? { jwksURL } : {}),
    ...(oidcConfigurationURL !== undefined ? { oidcConfigurationURL } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
    claim,
    ...(scope !== undefined ? { scope } : {}),
    aud,
    ...(clientId !== undefined ? { clientId } : {}),
    ...(introspection ? { introspection } : {}),
    ...(userinfoUrl ? { userinfo: { url: userinfoUrl.value } } : {}),
    revalidateInterval,
  };
}

/**
 * James refuses an `<oidc>` block without `<aud>` (OidcSASLConfiguration, unless started with
 * -Djames.sasl.oidc.validate.aud=false): without it, a token the provider issued for any other
 * application would log in here. Tessera refuses too, unless tessera.properties sets
 * auth.oidc.requireAudience=false, and then says so on every start.
 */
function checkMissingAudience(ctx: FileContext, oidc: XmlSection): void {
  const key = oidc.childKey('aud');
  if (ctx.policy.oidcRequireAudience) {
    ctx.fail(
      key,
      '',
      "add <aud> with the audience your provider puts in tokens meant for this server (e.g. <aud>james</aud>), so tokens issued for other applications are refused; to accept any audience knowingly, set auth.oidc.requireAudience=false in tessera.properties (James: -Djames.sasl.oidc.validate.aud=false)",
      'missing: the token audience would not be checked',
    );
  }
  ctx.warn(
    key,
    'SECURITY: no <aud>, so the token audience is not checked: a token the provider issued for ANY application logs in here (accepted because tessera.properties sets auth.oidc.requireAudience=false)',
  );
}

function readIntrospection(block: XmlSection, oidcSections: XmlSection[]): IntrospectionConfig | undefined {
  const ctx: FileContext = block.ctx;
  const secs = oidcSections.map((s) => s.child('introspection')).filter((s): s is XmlSection => s !== undefined);
  const [first] = secs;
  if (!first) return undefined;
  const url = resolveAliases(ctx, leaf(secs, 'url', (raw) => parseUrl(raw)))?.value;
  if (url === undefined) {
    ctx.fail(first.childKey('url'), '', 'add <url> with the provider\'s RFC 7662 introspection endpoint, or remove <introspection>', 'incomplete introspection block');
  }
  const auth = resolveAliases(ctx, leaf(secs, 'auth', (raw) => raw))?.value;
  return { url, ...(auth !== undefined ? { auth } : {}) };
}

/** A top-level legacy element as an alias candidate. */
export function legacyCandidate<T>(value: RawValue | undefined, parse: (raw: string) => T, replacement: string): Candidate<T> {
  return { value, parse, deprecated: { replacement, origin: 'legacy James name' } };
}
