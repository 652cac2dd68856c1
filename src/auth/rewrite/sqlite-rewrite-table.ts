// The recipient rewrite table in users.sqlite (table recipient_rewrites, see ../users/database.ts),
// next to the users and domains it rewrites to: written by WebAdmin and the CLI, read by the router
// on every RCPT, with nothing cached so a change applies to the next message.
import { prepared, withDatabase, type UsersDatabase } from '../users/database.js';
import type { RecipientRewriteTable, RewriteKind, RewriteMapping } from './types.js';

export class SqliteRecipientRewriteTable implements RecipientRewriteTable {
  constructor(private readonly db: UsersDatabase) {}

  async add(kind: RewriteKind, source: string, target: string): Promise<void> {
    withDatabase(this.db, () =>
      prepared(this.db, 'INSERT OR IGNORE INTO recipient_rewrites (kind, source, target, created_at) VALUES (?, ?, ?, ?)')
        .run(kind, source, target, new Date().toISOString()),
    );
  }

  async remove(kind: RewriteKind, source: string, target: string): Promise<void> {
    withDatabase(this.db, () => prepared(this.db, 'DELETE FROM recipient_rewrites WHERE kind = ? AND source = ? AND target = ?').run(kind, source, target));
  }

  async targetsOf(kind: RewriteKind, source: string): Promise<string[]> {
    const rows = withDatabase(this.db, () =>
      prepared(this.db, 'SELECT target FROM recipient_rewrites WHERE kind = ? AND source = ? ORDER BY created_at, target').all(kind, source),
    ) as { target: string }[];
    return rows.map((r) => r.target);
  }

  async sourcesOf(kind: RewriteKind, target: string): Promise<string[]> {
    const rows = withDatabase(this.db, () =>
      prepared(this.db, 'SELECT source FROM recipient_rewrites WHERE kind = ? AND target = ? ORDER BY source').all(kind, target),
    ) as { source: string }[];
    return rows.map((r) => r.source);
  }

  async list(kind: RewriteKind): Promise<RewriteMapping[]> {
    return withDatabase(this.db, () =>
      prepared(this.db, 'SELECT source, target FROM recipient_rewrites WHERE kind = ? ORDER BY source, target').all(kind),
    ) as RewriteMapping[];
  }
}
