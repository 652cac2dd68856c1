// Web Push encryption cost (not part of the suite): the main-thread time one encrypted push
// (RFC 8291: a fresh P-256 key pair, ECDH, HKDF, AES-128-GCM) takes, for a StateChange of one
// account and four types, the size PushSubscription deliveries send.
//
//   node --import tsx bench/jmap/webpush-encrypt.ts [--messages 5000]
import { createECDH } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { encryptWebPush } from '../../src/jmap/push/webpush/encrypt.js';

const arg = process.argv.indexOf('--messages');
const n = arg > 0 ? Number(process.argv[arg + 1]) : 5000;
const ua = createECDH('prime256v1');
ua.generateKeys();
const keys = { p256dh: ua.getPublicKey().toString('base64url'), auth: Buffer.alloc(16, 3).toString('base64url') };
const states = { Email: 's1234', Mailbox: 's1234', Thread: 's1234', EmailDelivery: 's1234' };
const body = Buffer.from(JSON.stringify({ '@type': 'StateChange', changed: { ['a'.repeat(64)]: states } }));
for (let i = 0; i < 200; i++) encryptWebPush(body, keys);
const start = performance.now();
for (let i = 0; i < n; i++) encryptWebPush(body, keys);
const ms = performance.now() - start;
console.log(`encryptWebPush: ${((ms * 1000) / n).toFixed(1)} µs per message, ${Math.round(n / (ms / 1000))} messages/s (${body.length}-octet StateChange, ${n} messages)`);
