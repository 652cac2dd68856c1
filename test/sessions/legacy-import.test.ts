// Upgrade from a version that kept revocations in <dataDir>/revocations.sqlite: the first start
// copies what is still in force into the mail store and renames the file aside, so no revocation
// is forgotten and none is imported twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSessionControl, IMPORTED_REVOCATIONS_FILE, LEGACY_REVOCATIONS_FILE, type SessionControl } from '../../src/sessions/index.js';
import { LegacyRevocationsError } from '../../src/sessions/legacy-revocations.js';
import type { MailStore } from '../../src/store/types.js';
import { openStore, tempDir, tokenPrincipal } from './helpers.js';

const ISSUER = 'https://idp.example.test';

/** revocations.sqlite exactly as the earlier versions wrote it. */
const LEGACY_SCHEMA = `
CREATE TABLE IF NOT EXISTS revoked (
  kind TEXT NOT NULL, value TEXT NOT NULL, issuer TEXT NOT NULL, revoked_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, value, issuer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revoked_expiry ON revoked(expires_at);
CREATE TABLE IF NOT EXISTS logout_jti (
  issuer TEXT NOT NULL, jti TEXT NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, jti)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logout_jti_expiry ON logout_jti(expires_at);
`;

describe('revocations.sqlite of an earlier version', () => {
  let dir: { dir: string; dispose(): Promise<void> };
  const now = Date.now();
  const userRevokedAt = now - 60_000;

  before(async () => {
    dir = await tempDir();
    const legacy = new Database(join(dir.dir, LEGACY_REVOCATIONS_FILE));
    legacy.pragma('journal_mode = WAL');
    legacy.exec(LEGACY_SCHEMA);
    const revoke = legacy.prepare('INSERT INTO revoked (kind, value, issuer, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    revoke.run('sid', 'old-sid', ISSUER, now - 1000, now + 3600_000);
    revoke.run('user', 'carol@example.test', '', userRevokedAt, now + 3600_000);
    revoke.run('jti', 'long-gone', ISSUER, now - 7200_000, now - 3600_000);
    legacy.prepare('INSERT INTO logout_jti (issuer, jti, expires_at) VALUES (?, ?, ?)').run(ISSUER, 'seen-logout', now + 600_000);
    legacy.close();
  });
  after(() => dir.dispose());

  /** Starts session control over the data directory's store, runs `check`, stops everything. */
  async function withControl(check: (control: SessionControl, store: MailStore) => Promise<void>): Promise<void> {
    const bus = new MemoryEventBus();
    const store = await openStore(dir.dir);
    const control = createSessionControl({ dataDir: dir.dir, store, bus, logger: silentLogger(), oidc: [], adminSocket: false });
    try {
      await control.start();
      await check(control, store);
    } finally {
      await control.stop();
      await store.close();
      await bus.close();
    }
  }

  it('is imported into the mail store at start, then renamed aside', async () => {
    await withControl(async (control, store) => {
      assert.equal(existsSync(join(dir.dir, LEGACY_REVOCATIONS_FILE)), false, 'the old file is gone');
      assert.equal(existsSync(join(dir.dir, IMPORTED_REVOCATIONS_FILE)), true, 'and kept under its new name');
      assert.equal(await control.isRevoked(tokenPrincipal({ user: 'a@example.test', sid: 'old-sid', issuer: ISSUER })), true);
      // The user revocation keeps its time: tokens issued before it are refused, later ones are not.
      const carol = (issuedAt: number) => tokenPrincipal({ user: 'carol@example.test', accessToken: `t${issuedAt}`, issuedAt: new Date(issuedAt) });
      assert.equal(await control.isRevoked(carol(userRevokedAt - 1000)), true);
      assert.equal(await control.isRevoked(carol(userRevokedAt + 1000)), false);
      // Expired entries are not brought over.
      assert.equal(await store.revokedAt('jti', 'long-gone', [ISSUER], new Date(now - 7200_000)), undefined);
      // A logout token already received stays a replay.
      assert.equal(await store.rememberLogoutJti(ISSUER, 'seen-logout', new Date(now + 600_000), new Date()), false);
    });
  });

  it('is not imported again, and what it held is still in force after a restart', async () => {
    await withControl(async (control) => {
      assert.equal(existsSync(join(dir.dir, LEGACY_REVOCATIONS_FILE)), false);
      assert.equal(await control.isRevoked(tokenPrincipal({ user: 'a@example.test', sid: 'old-sid', issuer: ISSUER })), true);
    });
  });

  it('an unreadable file stops the start, naming the file and the way out, and is left in place', async () => {
    const broken = await tempDir();
    const bus = new MemoryEventBus();
    const store = await openStore(broken.dir);
    const control = createSessionControl({ dataDir: broken.dir, store, bus, logger: silentLogger(), oidc: [], adminSocket: false });
    try {
      await writeFile(join(broken.dir, LEGACY_REVOCATIONS_FILE), 'this is not a database, it only has the name of one\n'.repeat(200));
      await assert.rejects(control.start(), (err: unknown) => err instanceof LegacyRevocationsError && err.message.includes(LEGACY_REVOCATIONS_FILE) && /move it away/.test(err.message));
      assert.equal(existsSync(join(broken.dir, LEGACY_REVOCATIONS_FILE)), true);
    } finally {
      await control.stop();
      await store.close();
      await bus.close();
      await broken.dispose();
    }
  });
});
