// The recipient rewrite table on PostgreSQL (storage.engine=postgres), table recipient_rewrites of the
// users database (../users/postgres-database.ts): an alias added through one node's WebAdmin routes
// the next message on every node, nothing cached.
import type { UsersPg } from '../users/postgres-database.js';
import type { RecipientRewriteTable, RewriteKind, RewriteMapping } from './types.js';

export class PostgresRecipientRewriteTable implements RecipientRewriteTable {
  constructor(private readonly db: UsersPg) {}

  async add(kind: RewriteKind, source: string, target: string): Promise<void> {
    await this.db.exec(
      'INSERT INTO recipient_rewrites (kind, source, target, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [kind, source, target, new Date().toISOString()],
    );
  }

  async remove(kind: RewriteKind, source: string, target: string): Promise<void> {
    await this.db.exec('DELETE FROM recipient_rewrites WHERE kind = $1 AND source = $2 AND target = $3', [kind, source, target]);
  }

  async targetsOf(kind: RewriteKind, source: string): Promise<string[]> {
    const rows = await this.db.all<{ target: string }>(
      'SELECT target FROM recipient_rewrites WHERE kind = $1 AND source = $2 ORDER BY created_at, target COLLATE "C"',
      [kind, source],
    );
    return rows.map((r) => r.target);
  }

  async sourcesOf(kind: RewriteKind, target: string): Promise<string[]> {
    const rows = await this.db.all<{ source: string }>('SELECT source FROM recipient_rewrites WHERE kind = $1 AND target = $2 ORDER BY source COLLATE "C"', [
      kind,
      target,
    ]);
    return rows.map((r) => r.source);
  }

  async list(kind: RewriteKind): Promise<RewriteMapping[]> {
    return this.db.all<RewriteMapping>('SELECT source, target FROM recipient_rewrites WHERE kind = $1 ORDER BY source COLLATE "C", target COLLATE "C"', [kind]);
  }
}
