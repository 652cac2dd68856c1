// mailetcontainer.xml → the pieces of James' mail pipeline Tessera takes over:
//  - the postmaster address (`<context><postmaster>`): mail to postmaster@ every local domain goes there;
//  - the RemoteDelivery mailet's smarthost (`gateway`, `gatewayPort`, `gatewayUsername`,
//    `gatewayPassword`, `sslEnable`, `startTLS`, `verifyServerIdentity`): remote mail is relayed there
//    instead of to the recipients' MX hosts;
//  - James' DKIMSign mailets (`<mailet class="DKIMSign">` in any processor): their signatureTemplate's
//    d=, s= and h=, and their key (<privateKey> inline or <privateKeyFilepath>, <privateKeyPassword>),
//    which Tessera signs outbound mail with at submission.
// The other processors and mailets are James' own machinery (Tessera delivers as James' default
// pipeline does), so the rest of the file is not read and not warned about.
import type { FileContext } from './context.js';
import type { DkimMailetKey, SmarthostSettings } from './types.js';
import { InvalidValue, parseBoolean, parsePort, splitList, parseHost } from './values.js';
import { parseXmlDocument, XmlSection, type XmlElement } from './xml.js';
import { parseSelector, parseSignedHeaders } from './mailauth.js';

export interface MailetContainerConfig {
  /** `<context><postmaster>`, lower-cased, with a domain. */
  postmaster?: string;
  /** The first RemoteDelivery mailet's gateway. */
  smarthost?: SmarthostSettings;
  dkimKeys: DkimMailetKey[];
}

/** Tag=value pairs of a DKIM-Signature template (RFC 6376 §3.2). */
function templateTags(template: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of template.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  return tags;
}

/** Every `<mailet>` below `el`, with its key path, in document order. */
function mailets(sec: XmlSection): XmlSection[] {
  const out: XmlSection[] = [];
  const walk = (s: XmlSection): void => {
    const counts = new Map<string, number>();
    for (const child of s.el.children) {
      const n = (counts.get(child.name) ?? 0) + 1;
      counts.set(child.name, n);
      const sub = new XmlSection(s.ctx, child, `${s.key}.${child.name}[${n}]`);
      if (child.name === 'mailet') out.push(sub);
      else walk(sub);
    }
  };
  walk(sec);
  return out;
}

function isDkimSign(el: XmlElement): boolean {
  const cls = el.attrs.get('class')?.trim() ?? '';
  return cls === 'DKIMSign' || cls.endsWith('.DKIMSign');
}

async function dkimKey(ctx: FileContext, m: XmlSection): Promise<DkimMailetKey> {
  const template = m.text('signatureTemplate');
  if (!template) ctx.fail(m.childKey('signatureTemplate'), '', 'a template such as "v=1; s=selector; d=example.org; h=from:to:subject:date; a=rsa-sha256; bh=; b=;"', 'missing');
  const tags = templateTags(template.raw);
  const domain = tags.get('d')?.toLowerCase();
  const selectorRaw = tags.get('s');
  if (!domain || !selectorRaw) ctx.fail(template.key, template.raw, 'a template with d= (signing domain) and s= (selector)', 'd= or s= missing');
  const selector = ctx.parse(template.key, selectorRaw, parseSelector);
  const h = tags.get('h');
  const headers = h ? ctx.parse(template.key, h, parseSignedHeaders) : undefined;
  const inline = m.text('privateKey');
  const filePath = m.text('privateKeyFilepath');
  const password = m.text('privateKeyPassword');
  let pem: string;
  let key: string;
  if (inline) {
    pem = inline.raw.trim();
    key = inline.key;
  } else if (filePath) {
    pem = (await ctx.readReferenced(filePath.key, filePath.raw, 'the DKIM private key')).data.toString('utf8');
    key = filePath.key;
  } else {
    ctx.fail(m.childKey('privateKey'), '', 'a PEM private key in <privateKey>, or its file in <privateKeyFilepath>', 'missing');
  }
  return {
    domain,
    selector,
    ...(headers ? { headers } : {}),
    pem,
    ...(password ? { passphrase: password.raw } : {}),
    file: ctx.display,
    key,
  };
}

export async function loadMailetContainerFile(ctx: FileContext, text: string | undefined, defaultDomain: string): Promise<MailetContainerConfig> {
  if (text === undefined) return { dkimKeys: [] };
  const root = parseXmlDocument(ctx, text);
  if (root.name !== 'mailetcontainer') ctx.fail('(root)', `<${root.name}>`, 'the root element must be <mailetcontainer>', 'unexpected root element');
  const sec = new XmlSection(ctx, root, 'mailetcontainer');
  const dkimKeys: DkimMailetKey[] = [];
  for (const m of mailets(sec)) if (isDkimSign(m.el)) dkimKeys.push(await dkimKey(ctx, m));
  const value = sec.child('context')?.text('postmaster');
  const postmaster = value
    ? ctx.parse(value.key, value.raw, (raw) => {
        const v = raw.trim().toLowerCase();
        if (!/^[^\s@<>]+(@[^\s@<>]+)?$/.test(v)) throw new InvalidValue('a mail address such as postmaster@example.org, or a local part');
        return v.includes('@') ? v : `${v}@${defaultDomain}`;
      })
    : undefined;
  const smarthost = readGateway(ctx, sec);
  return { ...(postmaster ? { postmaster } : {}), ...(smarthost ? { smarthost } : {}), dkimKeys };
}

/** The first RemoteDelivery mailet with a <gateway>, in any processor. */
function readGateway(ctx: FileContext, sec: XmlSection): SmarthostSettings | undefined {
  const mailets = (sec.child('processors')?.children('processor') ?? []).flatMap((p) => p.children('mailet'));
  const remote = mailets.filter((m) => /(^|\.)RemoteDelivery$/.test(m.el.attrs.get('class') ?? ''));
  for (const m of remote) {
    const gateway = m.text('gateway');
    if (!gateway) continue;
    const portText = m.text('gatewayPort');
    const defaultPort = portText ? ctx.parse(portText.key, portText.raw, parsePort) : 25;
    // James: a comma-separated list of host[:port], tried in order; gatewayPort applies to bare hosts.
    const hosts = ctx.parse(gateway.key, gateway.raw, (raw) =>
      splitList(raw).map((item) => {
        const m2 = /^([^:\s]+)(?::(\d+))?$/.exec(item);
        if (!m2) throw new InvalidValue('host names or host:port pairs separated by commas, e.g. smtp.example.net:587');
        return { host: parseHost(m2[1]!), port: m2[2] ? parsePort(m2[2]) : defaultPort };
      }),
    );
    const user = m.text('gatewayUsername') ?? m.text('gatewayusername');
    const pass = m.text('gatewayPassword');
    if (user && !pass) ctx.fail(m.childKey('gatewayPassword'), '', 'gatewayUsername needs gatewayPassword (or remove both)', 'missing');
    if (pass && !user) ctx.fail(m.childKey('gatewayUsername'), '', 'gatewayPassword needs gatewayUsername (or remove both)', 'missing');
    const flag = (name: string): boolean | undefined => {
      const v = m.text(name);
      return v ? ctx.parse(v.key, v.raw, parseBoolean) : undefined;
    };
    const secure = flag('sslEnable') ?? false;
    const startTls = flag('startTLS');
    const verify = flag('verifyServerIdentity');
    const auth = user && pass ? { user: user.raw, pass: pass.raw } : undefined;
    if (auth && startTls === false && !secure) {
      ctx.fail(m.childKey('startTLS'), 'false', 'true (or sslEnable true): Tessera never sends gateway credentials without TLS', 'credentials in clear');
    }
    if (verify === false) {
      ctx.fail(m.childKey('verifyServerIdentity'), 'false', 'true: Tessera requires a valid certificate for the smarthost name whenever TLS is required', 'not supported');
    }
    return {
      hosts,
      secure,
      ...(auth ? { auth } : {}),
      // STARTTLS with a verified certificate: asked for, or implied by credentials (never sent in clear).
      requireTls: startTls === true || auth !== undefined,
    };
  }
  return undefined;
}
