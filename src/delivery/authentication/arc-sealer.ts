// ARC sealing (RFC 8617) of mail we forward: a message that arrived over an MX and is sent on (Sieve
// redirect) gets an ARC set — ARC-Authentication-Results with the verdict computed on arrival,
// ARC-Message-Signature and ARC-Seal — so the next receiver can trust our Authentication-Results
// even though SPF (and DKIM, if the body changed) no longer pass there. mailauth hashes and signs.
//
// The key: the forwarding user's domain's own DKIM key (RSA only: RFC 8617 §4.1.3 allows
// rsa-sha256 alone, so an Ed25519 key never seals). No separate ARC key is configured: the selector
// record DKIM verifiers already fetch serves ARC verifiers too, and a domain without an RSA key
// forwards unsealed, as before.
import { sealMessage, type ARCSealOptions } from 'mailauth';
import type { SpooledMessage } from '../../store/types.js';
import type { Logger } from '../../log/logger.js';
import type { DkimSigner } from './signer.js';
import { headerFieldSpans } from '../../mime/headers.js';
import { messageInput } from './message-head.js';

/** The cv= of our seal (RFC 8617 §4.1.3): the arrival's ARC verdict, from its arc= result. */
export function chainValidation(authResults: string): 'none' | 'pass' | 'fail' {
  const m = /(?:^|;)\s*arc=([a-z]+)/i.exec(authResults.replace(/\r?\n[ \t]+/g, ' '));
  const r = m?.[1]?.toLowerCase();
  // temperror/permerror count as fail: a chain that could not be validated must not pass on.
  return r === undefined || r === 'none' ? 'none' : r === 'pass' ? 'pass' : 'fail';
}

export class ArcSealer {
  constructor(
    private readonly signer: DkimSigner,
    private readonly logger: Logger,
  ) {}

  /**
   * The ARC set (CRLF-terminated fields) to put in front of `bytes`, sealed for `domain`, or '' when
   * the domain has no RSA key or sealing failed (logged; the message is then forwarded unsealed).
   * `arrival` is what the inbound check put in front on arrival: our Authentication-Results field
   * (with Received-SPF before it).
   */
  async seal(bytes: Buffer | SpooledMessage, domain: string, arrival: string): Promise<string> {
    const key = this.signer.keysFor(domain).find((k) => k.algorithm === 'rsa-sha256');
    const value = headerFieldSpans(arrival, 0, arrival.length).fields.find((f) => f.name.toLowerCase() === 'authentication-results')?.value.trim();
    if (!key || !value) return '';
    // mailauth's ARCSealOptions type lacks authResults and cv, which its createSeal reads; i= it
    // takes from the chain already on the message (1 for none).
    const options: ARCSealOptions & { authResults: string; cv: string } = {
      signingDomain: key.domain,
      selector: key.selector,
      privateKey: key.privateKey,
      algorithm: 'rsa-sha256',
      authResults: value,
      cv: chainValidation(value),
      // Read once (see signer.ts): else ARC-Message-Signature may sign one t= and carry the next.
      signTime: new Date(),
    };
    try {
      const set = await sealMessage(messageInput(bytes) as Parameters<typeof sealMessage>[0], options);
      return set.toString('utf8');
    } catch (err) {
      this.logger.warn({ err, domain }, 'ARC sealing failed; the message is forwarded unsealed');
      return '';
    }
  }
}
