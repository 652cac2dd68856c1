// Delivers one queue item's recipients in one domain through the domain's next hops, over pooled
// connections, honouring what the envelope requires of each hop:
// - SMTPUTF8 (RFC 6531 §3.4): a hop that does not offer it must not get the message; it fails 5.6.7.
// - REQUIRETLS (RFC 8689 §5): only over verified TLS to a hop offering REQUIRETLS; other hops are
//   skipped, and when none qualifies the recipients fail with 5.7.30.
// - MTA-STS (RFC 8461 §5): with an "enforce" policy only the listed MX hosts, over verified TLS; none
//   listed or none reachable that way defers the recipients; "testing" only logs what enforce refuses.
// - DSN (RFC 3461 §5.2): a hop offering DSN gets RET, ENVID, NOTIFY and ORCPT and reports from then on;
//   to one that does not, an accepted recipient who asked for SUCCESS is reported "relayed" by us.
import type { OutboundItem, OutboundRecipient } from '../../store/types.js';
import type { NextHop, NextHopResolver } from './next-hop.js';
import type { HopConnectionPool } from './connection-pool.js';
import { mxMatches, type MtaStsPolicies } from './mta-sts.js';
import type { Logger } from '../../log/logger.js';
import { HopError, type HopDsn, type HopMessage, type HopSession } from './smtp-client.js';

export interface RecipientResult {
  address: string;
  outcome: 'delivered' | 'deferred' | 'failed';
  response: string;
  /** Enhanced status for a failure report. */
  status?: string;
  diagnosticType?: 'smtp' | 'x-local';
  remoteMta?: string;
  /** Accepted by a hop that does not offer DSN: the client gets no further report from there. */
  relayed?: boolean;
}

export interface DomainDeliveryContext {
  resolver: NextHopResolver;
  pool: HopConnectionPool;
  /** EHLO name. */
  name: string;
  timeoutMs: number;
  ca?: Buffer[];
  /** MTA-STS policies of recipient domains (MX delivery only); absent = not applied. */
  mtaSts?: MtaStsPolicies;
  logger: Logger;
}

function enhancedOf(response: string, fallback: string): string {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(response)?.[1] ?? fallback;
}

/** Recipients that can share one transaction: the same NOTIFY and ORCPT (nodemailer sends one set). */
function dsnGroups(item: OutboundItem, rcpts: OutboundRecipient[], passDsn: boolean): Array<{ to: string[]; dsn?: HopDsn }> {
  const envelope: HopDsn = {
    ...(item.envelope.ret ? { ret: item.envelope.ret } : {}),
    ...(item.envelope.envid !== undefined ? { envid: item.envelope.envid } : {}),
  };
  if (!passDsn) return [{ to: rcpts.map((r) => r.address) }];
  const groups = new Map<string, { to: string[]; dsn: HopDsn }>();
  for (const r of rcpts) {
    const dsn: HopDsn = {
      ...envelope,
      ...(r.notify ? { notify: r.notify.length === 0 ? ['NEVER'] : r.notify } : {}),
      ...(r.orcpt ? { orcpt: `${r.orcpt.type};${r.orcpt.address}` } : {}),
    };
    const key = JSON.stringify([dsn.notify, dsn.orcpt]);
    const group = groups.get(key) ?? { to: [], dsn };
    group.to.push(r.address);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => (Object.keys(g.dsn).length > 0 ? g : { to: g.to }));
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * RFC 6531 §3.4 concerns messages that need SMTPUTF8: a UTF-8 address or header. A client that
 * declared SMTPUTF8 for an all-ASCII message (some always do) does not stop it reaching an older hop,
 * as Postfix also decides (smtputf8_autodetect).
 */
function needsSmtpUtf8(item: OutboundItem, rcpts: OutboundRecipient[], head: Buffer): boolean {
  if (!item.envelope.smtputf8) return false;
  if (NON_ASCII.test(item.sender) || rcpts.some((r) => NON_ASCII.test(r.address))) return true;
  const end = head.indexOf('\r\n\r\n');
  return NON_ASCII.test((end < 0 ? head : head.subarray(0, end)).toString('latin1'));
}

/** The message a domain's hops get: its bytes as a stream per transaction, its header block read already. */
export interface DomainMessage extends HopMessage {
  /** The start of the message, its header block included unless that is longer (SMTPUTF8 check). */
  head: Buffer;
}

/** Why a hop cannot take this message at all, as a permanent failure; undefined when it can. */
function unsuitable(item: OutboundItem, session: HopSession, utf8: boolean): { status: string; message: string } | undefined {
  const caps = session.capabilities;
  if (item.envelope.requireTls && !(caps.verified && caps.requireTls)) {
    return { status: '5.7.30', message: 'REQUIRETLS support required: the next hop does not offer REQUIRETLS over verified TLS' };
  }
  if (utf8 && !caps.smtputf8) {
    return { status: '5.6.7', message: 'The next hop does not support SMTPUTF8, which this message requires' };
  }
  return undefined;
}

/**
 * Sends the groups one after the other. Once some recipients were accepted, a failing later
 * transaction must not send the message to them again: its recipients alone are failed or deferred.
 */
async function sendOverSession(item: OutboundItem, hop: NextHop, session: HopSession, rcpts: OutboundRecipient[], message: HopMessage): Promise<RecipientResult[]> {
  const out: RecipientResult[] = [];
  const caps = session.capabilities;
  const groups = dsnGroups(item, rcpts, caps.dsn);
  for (const [i, group] of groups.entries()) {
    let result;
    try {
      result = await session.send({ from: item.sender, to: group.to, ...(group.dsn ? { dsn: group.dsn } : {}), ...(item.envelope.requireTls ? { requireTls: true } : {}) }, message);
    } catch (err) {
      if (i === 0) throw err;
      const hopError = err instanceof HopError ? err : new HopError(String(err), undefined);
      for (const rest of groups.slice(i)) {
        for (const address of rest.to) {
          out.push({
            address,
            outcome: hopError.permanent ? 'failed' : 'deferred',
            response: hopError.message,
            status: enhancedOf(hopError.message, hopError.permanent ? '5.0.0' : '4.0.0'),
            remoteMta: hop.host,
          });
        }
      }
      return out;
    }
    for (const address of result.accepted) out.push({ address, outcome: 'delivered', response: result.response, remoteMta: hop.host, relayed: !caps.dsn });
    for (const r of result.rejected) {
      const permanent = r.code >= 500;
      out.push({ address: r.address, outcome: permanent ? 'failed' : 'deferred', response: r.response, status: enhancedOf(r.response, '5.0.0'), remoteMta: hop.host });
    }
  }
  return out;
}

export async function deliverDomain(ctx: DomainDeliveryContext, item: OutboundItem, domain: string, rcpts: OutboundRecipient[], message: DomainMessage): Promise<{ results: RecipientResult[]; errors: string[] }> {
  const errors: string[] = [];
  const all = (outcome: RecipientResult['outcome'], response: string, extra: Partial<RecipientResult> = {}): RecipientResult[] =>
    rcpts.map((r) => ({ address: r.address, outcome, response, ...extra }));
  const resolution = await ctx.resolver.resolve(domain);
  if (!resolution.ok) {
    errors.push(resolution.message);
    return { results: all(resolution.permanent ? 'failed' : 'deferred', resolution.message, { status: resolution.status, diagnosticType: 'x-local' }), errors };
  }
  let hops = resolution.hops;
  let stsEnforced = false;
  if (resolution.source === 'mx' && ctx.mtaSts) {
    const policy = await ctx.mtaSts.policyFor(domain);
    if (policy?.mode === 'enforce') {
      stsEnforced = true;
      hops = hops.filter((h) => mxMatches(policy.mx, h.host));
      if (hops.length === 0) {
        const message = `MTA-STS: no MX host of ${domain} is allowed by its policy (${policy.mx.join(', ')})`;
        errors.push(message);
        return { results: all('deferred', message, { status: '4.7.5', diagnosticType: 'x-local' }), errors };
      }
    } else if (policy?.mode === 'testing') {
      const outside = hops.filter((h) => !mxMatches(policy.mx, h.host)).map((h) => h.host);
      if (outside.length > 0) ctx.logger.warn({ domain, mx: outside, policy: policy.mx }, 'MTA-STS testing: MX hosts not in the policy (enforce mode would not use them)');
    }
  }
  const utf8 = needsSmtpUtf8(item, rcpts, message.head);
  let lastError = 'no next hop';
  let refusal: { status: string; message: string; host: string } | undefined;
  for (const hop of hops) {
    const verifyTls = item.envelope.requireTls === true || stsEnforced;
    const options = { name: ctx.name, timeoutMs: ctx.timeoutMs, verifyTls, ...(ctx.ca ? { ca: ctx.ca } : {}) };
    try {
      const results = await ctx.pool.withSession(hop, options, async (session) => {
        const why = unsuitable(item, session, utf8);
        if (why) {
          refusal = { ...why, host: hop.host };
          return undefined;
        }
        return sendOverSession(item, hop, session, rcpts, message);
      });
      if (results) return { results, errors };
    } catch (err) {
      const hopError = err instanceof HopError ? err : new HopError(String(err), undefined);
      lastError = `${hop.host}:${hop.port}: ${stsEnforced && hopError.code === undefined ? 'MTA-STS enforce: ' : ''}${hopError.message}`;
      if (hopError.permanent) {
        // A 5xx to the whole transaction is the domain's answer; other MX hosts would say the same.
        errors.push(lastError);
        return { results: all('failed', hopError.message, { status: enhancedOf(hopError.message, '5.0.0'), remoteMta: hop.host }), errors };
      }
    }
  }
  if (refusal) {
    errors.push(`${refusal.host}: ${refusal.message}`);
    return { results: all('failed', refusal.message, { status: refusal.status, diagnosticType: 'x-local', remoteMta: refusal.host }), errors };
  }
  errors.push(lastError);
  return { results: all('deferred', lastError), errors };
}
