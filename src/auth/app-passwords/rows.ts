// The app_passwords row, with the same columns in users.sqlite and in PostgreSQL, and its record.
import { isAppPasswordScope, type AppPasswordRecord, type AppPasswordScope } from './types.js';

/** An app_passwords row (the same columns in users.sqlite and PostgreSQL). */
export interface AppPasswordRow {
  id: string;
  username: string;
  name: string;
  password_hash: string;
  scopes: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
}

export function toRecord(row: AppPasswordRow): AppPasswordRecord {
  const scopes = row.scopes.split(' ').filter((s): s is AppPasswordScope => isAppPasswordScope(s));
  return {
    id: row.id,
    user: row.username,
    name: row.name,
    scopes,
    createdAt: new Date(row.created_at),
    ...(row.expires_at !== null ? { expiresAt: new Date(row.expires_at) } : {}),
    ...(row.last_used_at !== null ? { lastUsedAt: new Date(row.last_used_at) } : {}),
    ...(row.last_used_ip !== null ? { lastUsedIp: row.last_used_ip } : {}),
  };
}
