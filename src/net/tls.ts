// One rule for TLS, whatever the protocol: a listener with TLS turned on must have usable key
// material, or it refuses to start (naming the listener's configuration and the fix). No protocol
// silently drops to clear text, none fails at the first handshake.
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { ListenerTls } from './types.js';

export class ListenerTlsError extends Error {
  override readonly name = 'ListenerTlsError';
}

const FIX =
  'configure a private key and certificate chain (or a PKCS#12 keystore) for this listener, ' +
  'leave the key material out so `tessera serve` uses its generated self-signed certificate, or turn TLS off';

function mode(tls: ListenerTls): string {
  return tls.socketTLS ? 'socketTLS' : 'startTLS';
}

/** Node's options for the listener's material; minimum TLS 1.2 everywhere. */
export function secureContextOptions(tls: ListenerTls): SecureContextOptions {
  const passphrase = tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {};
  const versions = { minVersion: tls.minVersion ?? 'TLSv1.2', ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}) } as const;
  if (tls.pfx) return { pfx: tls.pfx, ...passphrase, ...versions };
  return { key: tls.key, cert: tls.cert, ...passphrase, ...versions };
}

/**
 * The secure context of a listener, undefined when TLS is off. `source` names where the listener was
 * configured (e.g. "conf/imapserver.xml, block 1") so the operator knows what to fix.
 */
export function listenerSecureContext(tls: ListenerTls, source: string): SecureContext | undefined {
  if (!tls.socketTLS && !tls.startTLS) return undefined;
  if (!tls.pfx && !(tls.key && tls.cert)) {
    throw new ListenerTlsError(`${source}: tls: TLS is enabled (${mode(tls)}) but no certificate and key are available; ${FIX}`);
  }
  try {
    return createSecureContext(secureContextOptions(tls));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ListenerTlsError(`${source}: tls: TLS is enabled (${mode(tls)}) but its key material is unusable (${why}); ${FIX}`);
  }
}

/**
 * Upgrades an accepted clear-text socket in place (STARTTLS). The caller must have stopped reading
 * from `raw`: anything the client pipelined before the handshake is discarded, never read as TLS.
 * On a failed handshake both sockets are destroyed and the promise rejects.
 */
export function upgradeToTls(raw: Socket, secureContext: SecureContext): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = new TLSSocket(raw, { isServer: true, secureContext });
    const onError = (err: Error): void => {
      secure.destroy();
      raw.destroy();
      reject(err);
    };
    secure.once('error', onError);
    secure.once('secure', () => {
      secure.off('error', onError);
      resolve(secure);
    });
  });
}
