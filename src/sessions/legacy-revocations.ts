// Upgrade path: earlier versions kept revocations in <dataDir>/revocations.sqlite, beside the mail
// store. At start the entries still in force (and the logout-token jtis still guarded against
// replay) are copied into the store, then the file is renamed aside, so an upgrade forgets no
// revocation and the copy happens once. The copy is idempotent (a later revocation time and expiry
// win), so a crash between copying and renaming only repeats it at the next start.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../log/logger.js';
import type { RevocationKind, RevocationStore } from '../store/revocations.js';

export const LEGACY_REVOCATIONS_FILE = 'revocations.sqlite';
/** What the imported file is renamed to (kept for the operator, never read again). */
export const IMPORTED_REVOCATIONS_FILE = 'revocations.sqlite.imported';

const KINDS: ReadonlySet<string> = new Set<RevocationKind>(['sid', 'jti', 'sub', 'user']);

interface RevokedRow {
  kind: string;
  value: string;
  issuer: string;
  revoked_at: number;
  expires_at: number;
}

interface LogoutJtiRow {
  issuer: string;
  jti: string;
  expires_at: number;
}

/** The old file exists but cannot be read: the start stops rather than forget revocations silently. */
export class LegacyRevocationsError extends Error {
  override readonly name = 'LegacyRevocationsError';
  constructor(readonly file: string, reason: string) {
    super(`${file}: cannot import the revocations of an earlier version (${reason}); repair the file, or move it away to start without those revocations`);
  }
}

export interface LegacyImport {
  revocations: number;
  logoutJtis: number;
}

/** Imports <dataDir>/revocations.sqlite into `store` and renames it aside; undefined when there is none. */
export async function importLegacyRevocations(
  dataDir: string,
  store: Pick<RevocationStore, 'addRevocation' | 'rememberLogoutJti'>,
  logger: Logger,
  now: Date,
): Promise<LegacyImport | undefined> {
  const file = join(dataDir, LEGACY_REVOCATIONS_FILE);
  if (!existsSync(file)) return undefined;
  let legacy: { revoked: RevokedRow[]; jtis: LogoutJtiRow[] };
  try {
    legacy = readLegacyFile(file, now);
  } catch (err) {
    throw new LegacyRevocationsError(file, err instanceof Error ? err.message : String(err));
  }
  const { revoked, jtis } = legacy;
  for (const row of revoked) {
    await store.addRevocation({
      kind: row.kind as RevocationKind,
      value: row.value,
      issuer: row.issuer,
      revokedAt: new Date(row.revoked_at),
      expiresAt: new Date(row.expires_at),
    });
  }
  for (const row of jtis) await store.rememberLogoutJti(row.issuer, row.jti, new Date(row.expires_at), now);
  // The file was closed (and its WAL checkpointed into it) by readLegacyFile; a -wal or -shm that
  // survived moves with it so the renamed database stays whole.
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, join(dataDir, IMPORTED_REVOCATIONS_FILE + suffix));
  }
  const imported = { revocations: revoked.length, logoutJtis: jtis.length };
  logger.info({ ...imported, file, renamedTo: IMPORTED_REVOCATIONS_FILE }, 'revocations imported into the mail store');
  return imported;
}

/** The unexpired rows of both tables; a file without them (never written) yields none. */
function readLegacyFile(file: string, now: Date): { revoked: RevokedRow[]; jtis: LogoutJtiRow[] } {
  const db = new Database(file, { fileMustExist: true });
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
    const at = now.getTime();
    const revoked = tables.has('revoked')
      ? (db.prepare('SELECT kind, value, issuer, revoked_at, expires_at FROM revoked WHERE expires_at > ?').all(at) as RevokedRow[])
      : [];
    const jtis = tables.has('logout_jti')
      ? (db.prepare('SELECT issuer, jti, expires_at FROM logout_jti WHERE expires_at > ?').all(at) as LogoutJtiRow[])
      : [];
    return { revoked: revoked.filter((r) => KINDS.has(r.kind)), jtis };
  } finally {
    db.close();
  }
}
