// Every `oidc` block of a configuration (IMAP, SMTP, POP3 and ManageSieve listeners, JMAP): back-channel logout accepts
// tokens from each provider that names Tessera's client id.
import type { OidcConfig, TesseraConfig } from '../config/types.js';

export function oidcBlocksOf(config: Pick<TesseraConfig, 'imap' | 'smtp' | 'pop3' | 'managesieve' | 'jmap'>): OidcConfig[] {
  const blocks = [...config.imap, ...config.smtp, ...config.pop3, ...config.managesieve].map((l) => l.auth.oidc);
  blocks.push(config.jmap.auth.oidc);
  return blocks.filter((b): b is OidcConfig => b !== undefined);
}
