// mailetcontainer.xml → the pieces of James' mail pipeline Tessera takes over:
// - the postmaster address (`<context><postmaster>`): mail to postmaster@ every local domain goes there;
// - the RemoteDelivery mailet's smarthost (`gateway`, `gatewayPort`, `gatewayUsername`,
//   `gatewayPassword`, `sslEnable`, `startTLS`, `verifyServerIdentity`): remote mail is relayed there
//   instead of to the recipients' MX hosts.
// The other processors and mailets are James' own machinery (Tessera delivers as James' default
// pipeline does), so the rest of the file is not read and not warned about.
import type { FileContext } from './context.js';
import type { SmarthostSettings } from './types.js';
import { InvalidValue, parseBoolean, parsePort, splitList, parseHost } from './values.js';
import { parseXmlDocument, XmlSection } from './xml.js';

export interface MailetContainerSettings {
  postmaster?: string;
  smarthost?: SmarthostSettings;
}

/** What mailetcontainer.xml says; a postmaster without a domain gets the default domain, as in James. */
export function loadMailetContainerFile(ctx: FileContext, text: string | undefined, defaultDomain: string): MailetContainerSettings {
  if (text === undefined) return {};
  const root = parseXmlDocument(ctx, text);
  if (root.name !== 'mailetcontainer') ctx.fail('(root)', `<${root.name}>`, 'the root element must be <mailetcontainer>', 'unexpected root element');
  const sec = new XmlSection(ctx, root, 'mailetcontainer');
  const value = sec.child('context')?.text('postmaster');
  const postmaster = value
    ? ctx.parse(value.key, value.raw, (raw) => {
        const v = raw.trim().toLowerCase();
        if (!/^[^\s@<>]+(@[^\s@<>]+)?$/.test(v)) throw new InvalidValue('a mail address such as postmaster@example.org, or a local part');
        return v.includes('@') ? v : `${v}@${defaultDomain}`;
      })
    : undefined;
  const smarthost = readGateway(ctx, sec);
  return { ...(postmaster ? { postmaster } : {}), ...(smarthost ? { smarthost } : {}) };
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
