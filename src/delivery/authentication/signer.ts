// Outbound DKIM signing (RFC 6376; RFC 8463 Ed25519): a message leaving for other domains is signed
// with every key of its From: domain — an RSA and an Ed25519 key both present make two signatures, so
// verifiers without Ed25519 still find the RSA one (RFC 8463 §5). A subdomain without keys of its own
// is signed with its parent's (relaxed DMARC alignment, RFC 7489 §3.1.1). mailauth hashes and signs,
// reading the spool file as a stream.
import { dkimSign, type DKIMSignOptions } from 'mailauth';
import type { Logger } from '../../log/logger.js';
import type { SpooledMessage } from '../../store/types.js';
import type { DkimKey } from './dkim-keys.js';
import { fromDomain, messageInput, readHead } from './message-head.js';

export interface DkimSignerOptions {
  keys: DkimKey[];
  /** Signed header fields of keys that name none (undefined = mailauth's default list). */
  headers?: string[];
  logger: Logger;
}

export class DkimSigner {
  private readonly byDomain = new Map<string, DkimKey[]>();

  constructor(private readonly options: DkimSignerOptions) {
    for (const key of options.keys) {
      const list = this.byDomain.get(key.domain) ?? [];
      list.push(key);
      this.byDomain.set(key.domain, list);
    }
  }

  get domains(): string[] {
    return [...this.byDomain.keys()];
  }

  /** The keys for mail From: `domain`: its own, else those of its nearest parent that has keys. */
  keysFor(domain: string): DkimKey[] {
    const labels = domain.split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const keys = this.byDomain.get(labels.slice(i).join('.'));
      if (keys) return keys;
    }
    return [];
  }

  /**
   * The DKIM-Signature fields to put in front of the message (CRLF-terminated), or '' when no key
   * signs its From: domain or signing failed (logged: the message then leaves unsigned, as before).
   */
  async sign(bytes: Buffer | SpooledMessage): Promise<string> {
    const head = await readHead(bytes);
    const domain = head.complete ? fromDomain(head) : undefined;
    const keys = domain ? this.keysFor(domain) : [];
    if (keys.length === 0) return '';
    // mailauth signs one header list per pass: keys naming their own h= (DKIMSign) get passes of their own.
    const groups = new Map<string, DkimKey[]>();
    for (const key of keys) {
      const list = key.headers ?? this.options.headers;
      const id = list ? list.join(':') : '';
      groups.set(id, [...(groups.get(id) ?? []), key]);
    }
    let out = '';
    for (const [id, group] of groups) {
      // mailauth signs once per signatureData entry; the top-level key fields only satisfy its type.
      const options: DKIMSignOptions = {
        // One time for the whole signature: without it mailauth reads the clock twice (for what it
        // signs and for the header it writes), and a call across a half-second boundary signs one
        // t= and writes the next, a signature no verifier accepts.
        signTime: new Date(),
        signingDomain: group[0]!.domain,
        selector: group[0]!.selector,
        privateKey: group[0]!.privateKey,
        canonicalization: 'relaxed/relaxed',
        ...(id ? { headerList: id.split(':') } : {}),
        signatureData: group.map((k) => ({ signingDomain: k.domain, selector: k.selector, privateKey: k.privateKey, algorithm: k.algorithm, canonicalization: 'relaxed/relaxed' })),
      };
      try {
        const result = await dkimSign(messageInput(bytes) as Parameters<typeof dkimSign>[0], options);
        if (result.errors.length > 0) {
          this.options.logger.warn({ err: result.errors[0], domain }, 'DKIM signing failed for a key; that signature is left out');
        }
        if (result.signatures.trim() !== '') out += result.signatures;
      } catch (err) {
        this.options.logger.warn({ err, domain }, 'DKIM signing failed; the message leaves unsigned');
      }
    }
    return out;
  }
}
