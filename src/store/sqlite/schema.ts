// SQLite schema. Change tracking is compact: each live object carries the modseq of its creation
// and of its last change; destroyed objects leave a tombstone. JMAP /changes and IMAP VANISHED are
// answered from those, and tombstones older than the retention period are purged (the purge
// horizon is recorded so an older state gets cannotCalculateChanges, never a wrong answer).
export const SCHEMA_VERSION = 7;

/** Fills what a version-2 database has and a version-1 one lacks (tables come from SCHEMA). */
export const MIGRATE_TO_2 = `
INSERT OR IGNORE INTO email_keyword (account_id, keyword, email_id)
  SELECT e.account_id, lower(j.value), e.id FROM email e, json_each(e.keywords) j WHERE e.keywords != '[]';
`;

/**
 * Version 3: the full-text index moved to its own database (search.sqlite, written by a worker
 * thread; see fts-index.ts), which rebuilds it from email_text on first start.
 */
export const MIGRATE_TO_3 = `
DROP TABLE IF EXISTS email_fts;
-- The mailbox counters (see mailbox_count in SCHEMA) from the existing emails and memberships:
-- their triggers only see later changes. thread_unread and mailbox_thread first, while
-- mailbox_count is empty (so their insert triggers update nothing), then mailbox_count.
DELETE FROM mailbox_count;
DELETE FROM mailbox_thread;
DELETE FROM thread_unread;
INSERT INTO thread_unread (thread_id, n)
  SELECT thread_id, count(*) FROM email WHERE (flags & 9) = 0 GROUP BY thread_id;
INSERT INTO mailbox_thread (mailbox_id, thread_id, n)
  SELECT m.mailbox_id, e.thread_id, count(*) FROM msg m JOIN email e ON e.id = m.email_id
   WHERE m.mailbox_id IN (SELECT id FROM mailbox) GROUP BY m.mailbox_id, e.thread_id;
INSERT INTO mailbox_count (mailbox_id, total, unseen, unread, size, threads, unread_threads)
  SELECT b.id, count(e.id), coalesce(sum((e.flags & 1) = 0), 0), coalesce(sum((e.flags & 9) = 0), 0), coalesce(sum(e.size), 0),
         (SELECT count(*) FROM mailbox_thread t WHERE t.mailbox_id = b.id),
         (SELECT count(*) FROM mailbox_thread t JOIN thread_unread u ON u.thread_id = t.thread_id WHERE t.mailbox_id = b.id)
    FROM mailbox b LEFT JOIN msg m ON m.mailbox_id = b.id LEFT JOIN email e ON e.id = m.email_id
   GROUP BY b.id;
`;

/**
 * Version 4: one message model (src/mime). The column for the Date header's own calendar day (IMAP
 * SENT*) is added here; every existing email's parsed summary, sort keys and search text are then
 * recomputed from its blob (reparse.ts), since the address, date, charset and subject handling
 * they were computed with changed.
 */
export const MIGRATE_TO_4 = `
ALTER TABLE email ADD COLUMN sent_day INTEGER;
`;

/**
 * Version 5: the outbound queue keeps the envelope's DSN request (RFC 3461 RET, ENVID) and transport
 * requirements (SMTPUTF8, REQUIRETLS) as JSON; per-recipient NOTIFY/ORCPT live in `recipients`.
 */
export const MIGRATE_TO_5 = `
ALTER TABLE outbound ADD COLUMN envelope TEXT NOT NULL DEFAULT '{}';
`;

/**
 * Version 6: shared mailboxes. The tables mailbox_acl and delegation come from SCHEMA (created in
 * existing databases as in new ones); the version is raised so that an older Tessera, which would
 * ignore them, refuses the database instead of silently taking away every share and delegation.
 */

/**
 * Version 7: small message blobs inside the database (blob_inline, see blob-store.ts). The table
 * comes from SCHEMA; the version is raised so that an older Tessera, which reads blobs from files
 * only, refuses the database instead of finding those messages missing.
 */

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

-- Subscribed names that have no mailbox (IMAP: any name may be subscribed, RFC 3501 §6.3.6, and
-- DELETE leaves the subscription, §6.3.4). A name that has a mailbox keeps its subscription in
-- mailbox.subscribed instead, never here: creating the mailbox (or renaming one onto the name)
-- moves the row into the flag, deleting a subscribed mailbox moves the flag back into a row.
-- (Added within version 3, which was not released yet: the table starts empty.)
CREATE TABLE IF NOT EXISTS subscription (
  account_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  PRIMARY KEY (account_id, path)
) WITHOUT ROWID;

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
  display_to TEXT NOT NULL DEFAULT '',
  -- The Date header's calendar day in its own zone, days since 1970-01-01 (version 4).
  sent_day INTEGER
);
CREATE INDEX IF NOT EXISTS email_account_received ON email(account_id, received_at);
CREATE INDEX IF NOT EXISTS email_thread ON email(thread_id);
CREATE INDEX IF NOT EXISTS email_changes ON email(account_id, updated_modseq);
CREATE INDEX IF NOT EXISTS email_blob ON email(blob);

-- Small message blobs (up to INLINE_LIMIT bytes, sqlite/blob-store.ts), named by their sha256 like
-- blob files, and written in the same transaction as the email rows that refer to them: the WAL
-- sync of that commit makes the bytes durable, instead of a file fsync and a directory fsync each.
-- A blob is stored once, as a row or as a file; readers look here first, then in blobs/.
-- stored_at (ms) spares young rows from collection, as a file's mtime does.
CREATE TABLE IF NOT EXISTS blob_inline (hash TEXT PRIMARY KEY, stored_at INTEGER NOT NULL, data BLOB NOT NULL);
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
  -- When the message was put in this mailbox (IMAP SAVEDATE, RFC 8514), ms; NULL in rows made
  -- before the column existed (read as the email's received_at). Older databases get it from
  -- ensureSavedAtColumn (db.ts), not from a schema version.
  saved_at INTEGER,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS msg_email ON msg(email_id, mailbox_id);
CREATE INDEX IF NOT EXISTS msg_modseq ON msg(mailbox_id, modseq);

-- Counts of each mailbox for IMAP STATUS and JMAP Mailbox/get: messages, unseen (no \\Seen), unread
-- (neither \\Seen nor \\Draft), bytes, threads and unread threads (RFC 8621: threads with a
-- message in the mailbox and an unread email anywhere). Aggregating them over msg JOIN email on
-- every read cost tens of ms per mailbox at 100k messages, after every change in the account; the
-- triggers below keep them instead. (Version 3; MIGRATE_TO_3 fills them for older databases.)
--  - mailbox_thread: each mailbox's number of messages per thread; threads = its rows.
--  - thread_unread: the number of unread emails of each thread that has any; unread_threads = the
--    mailbox's mailbox_thread rows whose thread is there.
--  - A membership counts while both its msg row and its email row exist, whichever is written
--    first: the msg triggers count it if the email is there, the email triggers the msg rows
--    already there. msg rows are inserted and deleted, never moved (a guard refuses it) nor
--    replaced (REPLACE deletes without firing delete triggers).
--  - Counters change through upserts driven by the few rows concerned (msg_email, primary keys)
--    and gated on the row they change existing, so they never create rows for a mailbox that is
--    gone. (UPDATE ... WHERE mailbox_id IN (subquery) or UPDATE ... FROM, the obvious forms, were
--    planned as scans of mailbox_count: 30-50 us per email changed.)
CREATE TABLE IF NOT EXISTS mailbox_count (
  mailbox_id INTEGER PRIMARY KEY,
  total INTEGER NOT NULL DEFAULT 0,
  unseen INTEGER NOT NULL DEFAULT 0,
  unread INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0,
  threads INTEGER NOT NULL DEFAULT 0,
  unread_threads INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS mailbox_thread (
  mailbox_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, thread_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mailbox_thread_thread ON mailbox_thread(thread_id);
CREATE TABLE IF NOT EXISTS thread_unread (
  thread_id INTEGER PRIMARY KEY,
  n INTEGER NOT NULL
);

-- A mailbox's counters come and go with it (also through the account's ON DELETE CASCADE).
CREATE TRIGGER IF NOT EXISTS mailbox_count_mailbox_insert AFTER INSERT ON mailbox BEGIN
  INSERT OR IGNORE INTO mailbox_count (mailbox_id) VALUES (new.id);
END;
CREATE TRIGGER IF NOT EXISTS mailbox_count_mailbox_delete AFTER DELETE ON mailbox BEGIN
  DELETE FROM mailbox_count WHERE mailbox_id = old.id;
  DELETE FROM mailbox_thread WHERE mailbox_id = old.id;
END;

-- threads and unread_threads follow the rows of mailbox_thread and thread_unread. Each change reads
-- the current state of the other table, so the order in which they change is free.
CREATE TRIGGER IF NOT EXISTS mailbox_thread_insert AFTER INSERT ON mailbox_thread BEGIN
  UPDATE mailbox_count SET threads = threads + 1,
      unread_threads = unread_threads + EXISTS (SELECT 1 FROM thread_unread WHERE thread_id = new.thread_id)
   WHERE mailbox_id = new.mailbox_id;
END;
CREATE TRIGGER IF NOT EXISTS mailbox_thread_delete AFTER DELETE ON mailbox_thread BEGIN
  UPDATE mailbox_count SET threads = threads - 1,
      unread_threads = unread_threads - EXISTS (SELECT 1 FROM thread_unread WHERE thread_id = old.thread_id)
   WHERE mailbox_id = old.mailbox_id;
END;
CREATE TRIGGER IF NOT EXISTS thread_unread_insert AFTER INSERT ON thread_unread BEGIN
  INSERT INTO mailbox_count (mailbox_id)
    SELECT t.mailbox_id FROM mailbox_thread t
     WHERE t.thread_id = new.thread_id AND EXISTS (SELECT 1 FROM mailbox_count c WHERE c.mailbox_id = t.mailbox_id)
    ON CONFLICT (mailbox_id) DO UPDATE SET unread_threads = unread_threads + 1;
END;
CREATE TRIGGER IF NOT EXISTS thread_unread_delete AFTER DELETE ON thread_unread BEGIN
  INSERT INTO mailbox_count (mailbox_id)
    SELECT t.mailbox_id FROM mailbox_thread t
     WHERE t.thread_id = old.thread_id AND EXISTS (SELECT 1 FROM mailbox_count c WHERE c.mailbox_id = t.mailbox_id)
    ON CONFLICT (mailbox_id) DO UPDATE SET unread_threads = unread_threads - 1;
END;

-- thread_unread from the emails themselves, whether or not a mailbox holds them yet.
CREATE TRIGGER IF NOT EXISTS thread_unread_email_insert AFTER INSERT ON email WHEN (new.flags & 9) = 0 BEGIN
  INSERT INTO thread_unread (thread_id, n) VALUES (new.thread_id, 1) ON CONFLICT (thread_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS thread_unread_email_delete AFTER DELETE ON email WHEN (old.flags & 9) = 0 BEGIN
  UPDATE thread_unread SET n = n - 1 WHERE thread_id = old.thread_id;
  DELETE FROM thread_unread WHERE thread_id = old.thread_id AND n <= 0;
END;
CREATE TRIGGER IF NOT EXISTS thread_unread_email_update AFTER UPDATE OF flags, thread_id ON email
  WHEN ((old.flags & 9) = 0) != ((new.flags & 9) = 0) OR ((new.flags & 9) = 0 AND new.thread_id != old.thread_id) BEGIN
  UPDATE thread_unread SET n = n - 1 WHERE thread_id = old.thread_id AND (old.flags & 9) = 0;
  DELETE FROM thread_unread WHERE thread_id = old.thread_id AND n <= 0;
  INSERT INTO thread_unread (thread_id, n) SELECT new.thread_id, 1 WHERE (new.flags & 9) = 0
    ON CONFLICT (thread_id) DO UPDATE SET n = n + 1;
END;

-- Memberships.
CREATE TRIGGER IF NOT EXISTS mailbox_count_msg_insert AFTER INSERT ON msg
  WHEN EXISTS (SELECT 1 FROM mailbox_count WHERE mailbox_id = new.mailbox_id) BEGIN
  INSERT INTO mailbox_count (mailbox_id, unseen, unread, size)
    SELECT new.mailbox_id, (flags & 1) = 0, (flags & 9) = 0, size FROM email WHERE id = new.email_id
    ON CONFLICT (mailbox_id) DO UPDATE SET total = total + 1, unseen = unseen + excluded.unseen,
      unread = unread + excluded.unread, size = size + excluded.size;
  INSERT INTO mailbox_thread (mailbox_id, thread_id, n)
    SELECT new.mailbox_id, thread_id, 1 FROM email WHERE id = new.email_id
    ON CONFLICT (mailbox_id, thread_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS mailbox_count_msg_delete AFTER DELETE ON msg
  WHEN EXISTS (SELECT 1 FROM mailbox_count WHERE mailbox_id = old.mailbox_id) BEGIN
  INSERT INTO mailbox_count (mailbox_id, unseen, unread, size)
    SELECT old.mailbox_id, (flags & 1) = 0, (flags & 9) = 0, size FROM email WHERE id = old.email_id
    ON CONFLICT (mailbox_id) DO UPDATE SET total = total - 1, unseen = unseen - excluded.unseen,
      unread = unread - excluded.unread, size = size - excluded.size;
  UPDATE mailbox_thread SET n = n - 1
   WHERE mailbox_id = old.mailbox_id AND thread_id = (SELECT thread_id FROM email WHERE id = old.email_id);
  DELETE FROM mailbox_thread
   WHERE mailbox_id = old.mailbox_id AND thread_id = (SELECT thread_id FROM email WHERE id = old.email_id) AND n <= 0;
END;
CREATE TRIGGER IF NOT EXISTS mailbox_count_msg_update BEFORE UPDATE OF mailbox_id, email_id ON msg
  WHEN new.mailbox_id IS NOT old.mailbox_id OR new.email_id IS NOT old.email_id BEGIN
  SELECT RAISE(ABORT, 'msg rows are deleted and inserted, never moved (mailbox_count)');
END;

-- Emails: the memberships already there when the email row comes or still there when it goes
-- (none in the usual order, where msg rows follow and precede it), flag changes and thread merges.
CREATE TRIGGER IF NOT EXISTS mailbox_count_email_insert AFTER INSERT ON email
  WHEN EXISTS (SELECT 1 FROM msg WHERE email_id = new.id) BEGIN
  INSERT INTO mailbox_count (mailbox_id, total, unseen, unread, size)
    SELECT m.mailbox_id, count(*), count(*) * ((new.flags & 1) = 0), count(*) * ((new.flags & 9) = 0), count(*) * new.size
      FROM msg m WHERE m.email_id = new.id AND EXISTS (SELECT 1 FROM mailbox_count c WHERE c.mailbox_id = m.mailbox_id)
     GROUP BY m.mailbox_id
    ON CONFLICT (mailbox_id) DO UPDATE SET total = total + excluded.total, unseen = unseen + excluded.unseen,
      unread = unread + excluded.unread, size = size + excluded.size;
  INSERT INTO mailbox_thread (mailbox_id, thread_id, n)
    SELECT m.mailbox_id, new.thread_id, count(*)
      FROM msg m WHERE m.email_id = new.id AND EXISTS (SELECT 1 FROM mailbox_count c WHERE c.mailbox_id = m.mailbox_id)
     GROUP BY m.mailbox_id
    ON CONFLICT (mailbox_id, thread_id) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER IF NOT EXISTS mailbox_count_email_delete AFTER DELETE ON email
  WHEN EXISTS (SELECT 1 FROM msg WHERE email_id = old.id) BEGIN
  INSERT INTO mailbox_count (mailbox_id, total, unseen, unread, size)
    SELECT m.mailbox_id, count(*), count(*) * ((old.flags & 1) = 0), count(*) * ((old.flags & 9) = 0), count(*) * old.size
      FROM msg m WHERE m.email_id = old.id AND EXISTS (SELECT 1 FROM mailbox_count c WHERE c.mailbox_id = m.mailbox_id)
     GROUP BY m.mailbox_id
    ON CONFLICT (mailbox_id) DO UPDATE SET total = total - excluded.total, unseen = unseen - excluded.unseen,
      unread = unread - excluded.unread, size = size - excluded.size;
  INSERT INTO mailbox_thread (mailbox_id, thread_id, n)
    SELECT m.mailbox_id, old.thread_id, count(*)
      FROM msg m WHERE m.email_id = old.id
       AND EXISTS (SELECT 1 FROM mailbox_thread t WHERE t.mailbox_id = m.mailbox_id AND t.thread_id = old.thread_id)
     GROUP BY m.mailbox_id
    ON CONFLICT (mailbox_id, thread_id) DO UPDATE SET n = n - excluded.n;
  DELETE FROM mailbox_thread WHERE thread_id = old.thread_id AND n <= 0;
END;
CREATE TRIGGER IF NOT EXISTS mailbox_count_email_flags AFTER UPDATE OF flags, size ON email
  WHEN ((old.flags & 1) = 0) != ((new.flags & 1) = 0) OR ((old.flags & 9) = 0) != ((new.flags & 9) = 0)
    OR old.size != new.size BEGIN
  INSERT INTO mailbox_count (mailbox_id, unseen, unread, size)
    SELECT m.mailbox_id, count(*) * (((new.flags & 1) = 0) - ((old.flags & 1) = 0)),
           count(*) * (((new.flags & 9) = 0) - ((old.flags & 9) = 0)), count(*) * (new.size - old.size)
      FROM msg m WHERE m.email_id = new.id AND EXISTS (SELECT 1 FROM mailbox_count c WHERE c.mailbox_id = m.mailbox_id)
     GROUP BY m.mailbox_id
    ON CONFLICT (mailbox_id) DO UPDATE SET unseen = unseen + excluded.unseen, unread = unread + excluded.unread,
      size = size + excluded.size;
END;
CREATE TRIGGER IF NOT EXISTS mailbox_count_email_thread AFTER UPDATE OF thread_id ON email
  WHEN new.thread_id != old.thread_id BEGIN
  INSERT INTO mailbox_thread (mailbox_id, thread_id, n)
    SELECT m.mailbox_id, new.thread_id, count(*)
      FROM msg m WHERE m.email_id = new.id AND EXISTS (SELECT 1 FROM mailbox_count c WHERE c.mailbox_id = m.mailbox_id)
     GROUP BY m.mailbox_id
    ON CONFLICT (mailbox_id, thread_id) DO UPDATE SET n = n + excluded.n;
  INSERT INTO mailbox_thread (mailbox_id, thread_id, n)
    SELECT m.mailbox_id, old.thread_id, count(*)
      FROM msg m WHERE m.email_id = new.id
       AND EXISTS (SELECT 1 FROM mailbox_thread t WHERE t.mailbox_id = m.mailbox_id AND t.thread_id = old.thread_id)
     GROUP BY m.mailbox_id
    ON CONFLICT (mailbox_id, thread_id) DO UPDATE SET n = n - excluded.n;
  DELETE FROM mailbox_thread WHERE thread_id = old.thread_id AND n <= 0;
END;

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

-- Decoded text for search, written with the email. The trigram index over it (search.sqlite,
-- fts-index.ts) gives case-insensitive substring matches (IMAP semantics) for needles of 3+
-- characters; shorter needles and header-field criteria scan this table.
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

-- Work queue of the full-text index (search.sqlite, kept by a worker thread: fts-index.ts). The
-- triggers record every email_text row written or removed in the same transaction, so the index
-- worker of any process (the server, or a CLI import running beside it) catches up from here,
-- in commit order; rows the index has durably applied are trimmed. AUTOINCREMENT: a sequence
-- number is never reused, even after every row was trimmed.
CREATE TABLE IF NOT EXISTS fts_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  email_id INTEGER NOT NULL,
  added INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS fts_log_insert AFTER INSERT ON email_text BEGIN
  INSERT INTO fts_log (email_id, added) VALUES (new.email_id, 1);
END;
CREATE TRIGGER IF NOT EXISTS fts_log_delete AFTER DELETE ON email_text BEGIN
  INSERT INTO fts_log (email_id, added) VALUES (old.email_id, 0);
END;

-- The last id handed out per table (email, mailbox, thread). JMAP ids must never be reassigned
-- (RFC 8620 §1.2: a client may hold a destroyed id), and SQLite gives a new row max(id) + 1, so
-- destroying the newest email or mailbox let the next one take its id. nextId() hands out ids
-- above both this and the table's current maximum (so databases from before it need no fill).
CREATE TABLE IF NOT EXISTS id_seq (name TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS upload (
  account_id INTEGER NOT NULL,
  blob TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, blob)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS upload_blob ON upload(blob);

-- The modseq at which an account's quota limits were last set (setQuota), so JMAP Quota/changes can
-- tell a change of usage from a change of the limits. No row: never set through setQuota.
CREATE TABLE IF NOT EXISTS quota_limit_state (
  account_id INTEGER PRIMARY KEY,
  modseq INTEGER NOT NULL
);
-- Quota limits of a domain (scope: its lower-case name) or of the server (scope ''), for the
-- accounts without limits of their own (see ../quota-levels.ts): NULL sets nothing at that level,
-- 0 is unlimited. A new table, so no schema version: SCHEMA creates it in existing databases.
CREATE TABLE IF NOT EXISTS quota_scope (
  scope TEXT PRIMARY KEY,
  storage INTEGER,
  messages INTEGER
) WITHOUT ROWID;

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
  meta TEXT NOT NULL DEFAULT 'null',
  envelope TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS outbound_due ON outbound(status, next_attempt_at);

-- Revoked OpenID sessions and tokens (see revocations.ts), kept until the tokens they concern
-- have expired. revoked_at: tokens of a revoked sub or user issued at or before it are refused.
-- New tables need no schema version: SCHEMA creates them in existing databases as in new ones.
CREATE TABLE IF NOT EXISTS revoked (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  issuer TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, value, issuer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revoked_expiry ON revoked(expires_at);
-- Back-channel logout token ids seen, so a replayed logout token is refused.
CREATE TABLE IF NOT EXISTS logout_jti (
  issuer TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, jti)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logout_jti_expiry ON logout_jti(expires_at);
-- The registry before it had revocation times was never written to (nothing called it).
DROP TABLE IF EXISTS revocation;
-- JMAP push subscriptions (RFC 8620 §7.2; see api/push-subscriptions.ts). Per user and credentials
-- (credential, plus the issuer/sid/subject session control revokes by), not per account. A new
-- table, so no schema version: SCHEMA creates it in existing databases.
CREATE TABLE IF NOT EXISTS push_subscription (
  id TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  credential TEXT NOT NULL,
  issuer TEXT,
  sid TEXT,
  subject TEXT,
  device_client_id TEXT NOT NULL,
  url TEXT NOT NULL,
  p256dh TEXT,
  auth TEXT,
  verification_code TEXT NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL,
  types TEXT,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS push_subscription_user ON push_subscription(user);

-- Sieve scripts (see api/sieve-scripts.ts): content in blob files, names unique per account and
-- compared octet by octet (BINARY collation). sieve_account holds the account's SieveScript state
-- and its one active script (a single column, so "at most one active" needs no check). New tables,
-- so no schema version: SCHEMA creates them in existing databases.
CREATE TABLE IF NOT EXISTS sieve_script (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_modseq INTEGER NOT NULL,
  updated_modseq INTEGER NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX IF NOT EXISTS sieve_script_blob ON sieve_script(blob);
CREATE TABLE IF NOT EXISTS sieve_account (
  account_id INTEGER PRIMARY KEY,
  state INTEGER NOT NULL,
  active_id INTEGER
);
-- Access rights per mailbox and identifier (RFC 4314; see acl.ts): a user name or "anyone". The
-- owner's own rights are implicit (all of them). Rights live with the mailbox: deleting it drops them.
CREATE TABLE IF NOT EXISTS mailbox_acl (
  mailbox_id INTEGER NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE,
  identifier TEXT NOT NULL,
  rights TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, identifier)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mailbox_acl_identifier ON mailbox_acl(identifier);
-- Delegation grants: the delegate may log in as the owner (SASL authorization identity). By user name,
-- so a grant outlives neither nor needs the delegate's account to exist yet.
CREATE TABLE IF NOT EXISTS delegation (
  owner TEXT NOT NULL,
  delegate TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (owner, delegate)
) WITHOUT ROWID;

-- Share notifications (RFC 9670 §4; see api/share-notifications.ts): one per change of a user's
-- rights on another user's mailbox, in the recipient's (by user name) list. seq (the id) and
-- destroyed_seq come from meta's share_notification_seq counter; a destroyed one stays as a tombstone
-- for /changes. New table, so no schema version: SCHEMA creates it in existing databases.
CREATE TABLE IF NOT EXISTS share_notification (
  seq INTEGER PRIMARY KEY,
  recipient TEXT NOT NULL,
  destroyed_seq INTEGER,
  created_at INTEGER NOT NULL,
  changed_by TEXT NOT NULL,
  owner TEXT NOT NULL,
  mailbox_id TEXT NOT NULL,
  name TEXT NOT NULL,
  old_rights TEXT NOT NULL,
  new_rights TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS share_notification_recipient ON share_notification(recipient);

-- Annotations (IMAP METADATA, RFC 5464; see api/metadata.ts). owner: the user for /private
-- entries, '' for /shared ones; mailbox_id 0 for server entries. New table, so no schema version:
-- SCHEMA creates it in existing databases. Mailbox ids are never reused (id_seq), but a deleted
-- mailbox's annotations go with it rather than linger.
CREATE TABLE IF NOT EXISTS metadata (
  owner TEXT NOT NULL,
  mailbox_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (mailbox_id, owner, name)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS metadata_mailbox_delete AFTER DELETE ON mailbox BEGIN
  DELETE FROM metadata WHERE mailbox_id = old.id;
END;
`;
