// mailetcontainer.xml → the postmaster address (James' `<context><postmaster>`), the one piece of
// James' mail pipeline Tessera takes over: mail to postmaster@ every local domain goes there. The
// processors and mailets are James' own machinery (Tessera delivers as James' default pipeline
// does), so the rest of the file is not read and not warned about.
import type { FileContext } from './context.js';
import { InvalidValue } from './values.js';
import { parseXmlDocument, XmlSection } from './xml.js';

/** The postmaster of mailetcontainer.xml, lower-cased; a name without a domain gets the default domain, as in James. */
export function loadMailetContainerFile(ctx: FileContext, text: string | undefined, defaultDomain: string): string | undefined {
  if (text === undefined) return undefined;
  const root = parseXmlDocument(ctx, text);
  if (root.name !== 'mailetcontainer') ctx.fail('(root)', `<${root.name}>`, 'the root element must be <mailetcontainer>', 'unexpected root element');
  const value = new XmlSection(ctx, root, 'mailetcontainer').child('context')?.text('postmaster');
  if (!value) return undefined;
  return ctx.parse(value.key, value.raw, (raw) => {
    const v = raw.trim().toLowerCase();
    if (!/^[^\s@<>]+(@[^\s@<>]+)?$/.test(v)) throw new InvalidValue('a mail address such as postmaster@example.org, or a local part');
    return v.includes('@') ? v : `${v}@${defaultDomain}`;
  });
}
