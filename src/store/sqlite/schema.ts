// SQLite schema. Change tracking is compact: each live object carries the modseq of its creation
// and of its last change; destroyed objects leave a tombstone. JMAP /changes and IMAP VANISHED are
// answered from those, and tombstones older than the retention period are purged (the purge
// horizon is recorded so an older state gets cannotCalculateChanges, never a wrong answer).
export const SCHEMA_VERSION = 2;

/** Fills what a version-2 database has and a version-1 one lacks (tables come from SCHEMA). */
export const MIGRATE_TO_2 = `
INSERT OR IGNORE INTO email_keyword (account_id, keyword, email_id)
  SELECT e.account_id, lower(j.value), e.id FROM email e, json_each(e.keywords) j WHERE e.keywords != '[]';
`;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS account (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  modseq INTEGER NOT NULL DEFAULT 0,
  mailbox_state INTEGER NOT NULL DEFAULT 0,
  email_state INTEGER NOT NULL DEFAULT 0,
  thread_state INTEGER NOT NULL DEFAULT 0,
  delivery_state INTEGER NOT NULL DEFAULT 0,
  quota_state INTEGER NOT NULL DEFAULT 0,
  changes_floor INTEGER NOT NULL DEFAULT 0,
  quota_storage INTEGER,
  quota_messages INTEGER,
  used_storage INTEGER NOT NULL DEFAULT 0,
  used_messages INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS mailbox (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  parent_id INTEGER,
  role TEXT,
  subscribed INTEGER NOT NULL DEFAULT 0,
  sort_order INTEGER NOT NULL DEFAULT 0,
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 0,
  recent_uid INTEGER NOT NULL DEFAULT 0,
  created_modseq INTEGER NOT NULL,
  updated_modseq INTEGER NOT NULL,
  props_modseq INTEGER NOT NULL,
  UNIQUE (account_id, path)
);
CREATE INDEX IF NOT EXISTS mailbox_parent ON mailbox(parent_id);

CREATE TABLE IF NOT EXISTS thread (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  created_modseq INTEGER NOT NULL,
  updated_modseq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS thread_changes ON thread(account_id, updated_modseq);

CREATE TABLE IF NOT EXISTS email (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  blob TEXT NOT NULL,
  thread_id INTEGER NOT NULL,
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  sent_at INTEGER,
  flags INTEGER NOT NULL DEFAULT 0,
  keywords TEXT NOT NULL DEFAULT '[]',
  created_modseq INTEGER NOT NULL,
  updated_modseq INTEGER NOT NULL,
  has_attachment INTEGER NOT NULL DEFAULT 0,
  subject_sort TEXT NOT NULL DEFAULT '',
  from_sort TEXT NOT NULL DEFAULT '',
  to_sort TEXT NOT NULL DEFAULT '',
  cc_sort TEXT NOT NULL DEFAULT '',
  display_from TEXT NOT NULL DEFAULT '',
  display_to TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS email_account_received ON email(account_id, received_at);
CREATE INDEX IF NOT EXISTS email_thread ON email(thread_id);
CREATE INDEX IF NOT EXISTS email_changes ON email(account_id, updated_modseq);
CREATE INDEX IF NOT EXISTS email_blob ON email(blob);
-- Flag-only searches (IMAP UNSEEN/FLAGGED, JMAP notKeyword $seen / hasKeyword $flagged) read these
-- small partial indexes instead of every email of the mailbox. (Version 2.)
CREATE INDEX IF NOT EXISTS email_unseen ON email(account_id) WHERE (flags & 1) = 0;
CREATE INDEX IF NOT EXISTS email_flagged ON email(account_id) WHERE (flags & 4) != 0;

-- Other keywords of each email (lower case), kept by triggers from email.keywords, for IMAP
-- KEYWORD and JMAP hasKeyword without parsing every email's JSON. (Version 2.)
CREATE TABLE IF NOT EXISTS email_keyword (
  account_id INTEGER NOT NULL,
  keyword TEXT NOT NULL,
  email_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, keyword, email_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS email_keyword_email ON email_keyword(email_id);
CREATE TRIGGER IF NOT EXISTS email_keyword_insert AFTER INSERT ON email WHEN new.keywords != '[]' BEGIN
  INSERT OR IGNORE INTO email_keyword (account_id, keyword, email_id)
    SELECT new.account_id, lower(value), new.id FROM json_each(new.keywords);
END;
CREATE TRIGGER IF NOT EXISTS email_keyword_update AFTER UPDATE OF keywords ON email WHEN new.keywords != old.keywords BEGIN
  DELETE FROM email_keyword WHERE email_id = old.id;
  INSERT OR IGNORE INTO email_keyword (account_id, keyword, email_id)
    SELECT new.account_id, lower(value), new.id FROM json_each(new.keywords);
END;
CREATE TRIGGER IF NOT EXISTS email_keyword_delete AFTER DELETE ON email WHEN old.keywords != '[]' BEGIN
  DELETE FROM email_keyword WHERE email_id = old.id;
END;

-- The parsed cache lives apart from email so that email rows stay small and joins over 100k
-- memberships touch few pages.
CREATE TABLE IF NOT EXISTS email_parsed (
  email_id INTEGER PRIMARY KEY,
  envelope TEXT NOT NULL,
  parsed TEXT NOT NULL
);

-- Message-ids an email has or refers to, for RFC 8621 threading.
CREATE TABLE IF NOT EXISTS email_ref (
  account_id INTEGER NOT NULL,
  ref TEXT NOT NULL,
  email_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, ref, email_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS email_ref_email ON email_ref(email_id);

-- Membership: one row per (mailbox, email) with the IMAP UID and MODSEQ.
CREATE TABLE IF NOT EXISTS msg (
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  email_id INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS msg_email ON msg(email_id, mailbox_id);
CREATE INDEX IF NOT EXISTS msg_modseq ON msg(mailbox_id, modseq);

CREATE TABLE IF NOT EXISTS expunged (
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(mailbox_id, modseq);

-- Destroyed mailboxes/emails/threads for JMAP /changes.
CREATE TABLE IF NOT EXISTS tombstone (
  account_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  object_id INTEGER NOT NULL,
  created_modseq INTEGER NOT NULL,
  destroyed_modseq INTEGER NOT NULL,
  destroyed_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, type, object_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tombstone_changes ON tombstone(account_id, type, destroyed_modseq);

-- Decoded text for search; the trigram index gives case-insensitive substring matches (IMAP
-- semantics) for needles of 3+ characters; shorter needles scan this table.
CREATE TABLE IF NOT EXISTS email_text (
  email_id INTEGER PRIMARY KEY,
  subject TEXT NOT NULL,
  from_ TEXT NOT NULL,
  to_ TEXT NOT NULL,
  cc TEXT NOT NULL,
  bcc TEXT NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS email_fts USING fts5(
  subject, from_, to_, cc, bcc, headers, body,
  content='email_text', content_rowid='email_id', tokenize='trigram'
);

CREATE TABLE IF NOT EXISTS upload (
  account_id INTEGER NOT NULL,
  blob TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, blob)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS upload_blob ON upload(blob);

CREATE TABLE IF NOT EXISTS setting (
  account_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT,
  state INTEGER NOT NULL,
  PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS outbound (
  id INTEGER PRIMARY KEY,
  account TEXT,
  sender TEXT NOT NULL,
  recipients TEXT NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  status TEXT NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  meta TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX IF NOT EXISTS outbound_due ON outbound(status, next_attempt_at);

CREATE TABLE IF NOT EXISTS revocation (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  issuer TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, value, issuer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revocation_expiry ON revocation(expires_at);
`;
