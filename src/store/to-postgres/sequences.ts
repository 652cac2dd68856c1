// The counters the SQLite store keeps in rows (id_seq, meta) become PostgreSQL sequences, set so that
// nothing the SQLite store ever handed out is handed out again: JMAP ids are never reused (RFC 8620
// §1.2), a new mailbox gets a UIDVALIDITY above every earlier one, a share notification a new number.
import type { Db } from '../sqlite/db.js';
import type { Conn } from '../postgres/db.js';
import { UnplannedTableError } from './tables.js';

/** meta keys and what becomes of them (schema_version is each engine's own). */
const META_KEYS = new Set(['schema_version', 'last_uidvalidity', 'share_notification_seq']);

/** Tables whose id comes from a sequence on PostgreSQL (BIGSERIAL). */
const SERIAL_TABLES = ['account', 'mailbox', 'thread', 'email', 'sieve_script', 'outbound'];

export async function setSequences(db: Db, q: Conn): Promise<void> {
  const meta = new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
  const unknownMeta = [...meta.keys()].filter((k) => !META_KEYS.has(k));
  const idSeq = new Map((db.prepare('SELECT name, last FROM id_seq').all() as Array<{ name: string; last: number }>).map((r) => [r.name, r.last]));
  const unknownIds = [...idSeq.keys()].filter((k) => !SERIAL_TABLES.includes(k));
  if (unknownMeta.length || unknownIds.length) {
    throw new UnplannedTableError(`the SQLite store holds counters the migration does not know: ${[...unknownMeta.map((k) => `meta ${k}`), ...unknownIds.map((k) => `id_seq ${k}`)].join(', ')}`);
  }
  for (const table of SERIAL_TABLES) {
    const [max] = await q.pluck<number>(`SELECT coalesce(max(id), 0) FROM ${table}`);
    const last = Math.max(max!, idSeq.get(table) ?? 0);
    // setval(…, 1, false): the next id is 1, as in an empty store.
    await q.run(`SELECT setval(pg_get_serial_sequence(?, 'id'), ?, ?)`, table, Math.max(last, 1), last > 0);
  }
  const [maxValidity] = await q.pluck<number>('SELECT coalesce(max(uid_validity), 0) FROM mailbox');
  const validity = Math.max(maxValidity!, Number(meta.get('last_uidvalidity') ?? 0));
  if (validity > 0) await q.run("SELECT setval('uidvalidity_seq', greatest((SELECT last_value FROM uidvalidity_seq), ?))", validity);
  const [maxSeq] = await q.pluck<number>('SELECT coalesce(max(greatest(seq, coalesce(destroyed_seq, 0))), 0) FROM share_notification');
  const seq = Math.max(maxSeq!, Number(meta.get('share_notification_seq') ?? 0));
  if (seq > 0) await q.run("SELECT setval('share_notification_seq', ?)", seq);
}
