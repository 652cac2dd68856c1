// PostgreSQL schema, as numbered migrations applied in order at start (migrate.ts). The model is the
// SQLite engine's (see ../sqlite/schema.ts for the why of each table): each live object carries the
// modseq of its creation and last change, destroyed ones leave a tombstone, expunges are logged for
// VANISHED. Differences: ids come from sequences (never reused, RFC 8620 §1.2), mailbox counts are
// aggregated on read instead of kept by triggers, keywords are searched through kw_has(), blobs are
// chunked rows (blobs.ts), and full-text search is pg_trgm GIN indexes over email_text folded by
// casemap() (migration 6: LIKE on i;unicode-casemap forms, IMAP's case-insensitive substring match). Sort keys use COLLATE "C": byte order, as SQLite's.
export interface Migration {
  version: number;
  sql: string;
}

const V1 = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SEQUENCE uidvalidity_seq;
-- UIDVALIDITY starts from the clock, as on SQLite, and only grows (a recreated mailbox gets a new one).
SELECT setval('uidvalidity_seq', extract(epoch FROM now())::bigint);

CREATE TABLE account (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  modseq BIGINT NOT NULL DEFAULT 0,
  mailbox_state BIGINT NOT NULL DEFAULT 0,
  email_state BIGINT NOT NULL DEFAULT 0,
  thread_state BIGINT NOT NULL DEFAULT 0,
  delivery_state BIGINT NOT NULL DEFAULT 0,
  quota_state BIGINT NOT NULL DEFAULT 0,
  changes_floor BIGINT NOT NULL DEFAULT 0,
  quota_storage BIGINT,
  quota_messages BIGINT,
  used_storage BIGINT NOT NULL DEFAULT 0,
  used_messages BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE mailbox (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  path TEXT COLLATE "C" NOT NULL,
  parent_id BIGINT,
  role TEXT,
  subscribed INTEGER NOT NULL DEFAULT 0,
  sort_order BIGINT NOT NULL DEFAULT 0,
  uid_validity BIGINT NOT NULL,
  uid_next BIGINT NOT NULL DEFAULT 1,
  highest_modseq BIGINT NOT NULL DEFAULT 0,
  recent_uid BIGINT NOT NULL DEFAULT 0,
  created_modseq BIGINT NOT NULL,
  updated_modseq BIGINT NOT NULL,
  props_modseq BIGINT NOT NULL,
  UNIQUE (account_id, path)
);
CREATE INDEX mailbox_parent ON mailbox(parent_id);
CREATE INDEX mailbox_changes ON mailbox(account_id, updated_modseq);

CREATE TABLE subscription (
  account_id BIGINT NOT NULL,
  path TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, path)
);

CREATE TABLE thread (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL,
  created_modseq BIGINT NOT NULL,
  updated_modseq BIGINT NOT NULL
);
CREATE INDEX thread_changes ON thread(account_id, updated_modseq);

CREATE TABLE email (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL,
  blob TEXT NOT NULL,
  thread_id BIGINT NOT NULL,
  size BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  sent_at BIGINT,
  sent_day BIGINT,
  flags INTEGER NOT NULL DEFAULT 0,
  keywords TEXT NOT NULL DEFAULT '[]',
  created_modseq BIGINT NOT NULL,
  updated_modseq BIGINT NOT NULL,
  has_attachment INTEGER NOT NULL DEFAULT 0,
  subject_sort TEXT COLLATE "C" NOT NULL DEFAULT '',
  from_sort TEXT COLLATE "C" NOT NULL DEFAULT '',
  to_sort TEXT COLLATE "C" NOT NULL DEFAULT '',
  cc_sort TEXT COLLATE "C" NOT NULL DEFAULT '',
  display_from TEXT COLLATE "C" NOT NULL DEFAULT '',
  display_to TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX email_account_received ON email(account_id, received_at);
CREATE INDEX email_thread ON email(thread_id);
CREATE INDEX email_changes ON email(account_id, updated_modseq);
CREATE INDEX email_blob ON email(blob);
CREATE INDEX email_unseen ON email(account_id) WHERE (flags & 1) = 0;
CREATE INDEX email_flagged ON email(account_id) WHERE (flags & 4) != 0;

-- kw_has(keywordsJson, keywordLower): case-insensitive membership in the email's keyword list.
CREATE FUNCTION kw_has(kw TEXT, k TEXT) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT kw <> '[]' AND EXISTS (SELECT 1 FROM json_array_elements_text(kw::json) x WHERE lower(x) = k) $$;
-- hdr_has(headersText, nameLower, needleLower): a header line "name: value" whose value contains
-- the needle (empty needle = the field is present).
CREATE FUNCTION hdr_has(h TEXT, name TEXT, needle TEXT) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT EXISTS (SELECT 1 FROM regexp_split_to_table(h, E'\\n') l
      WHERE lower(left(l, length(name) + 1)) = name || ':'
        AND (needle = '' OR strpos(lower(substr(l, length(name) + 2)), needle) > 0)) $$;

CREATE TABLE email_parsed (
  email_id BIGINT PRIMARY KEY,
  envelope TEXT NOT NULL,
  parsed TEXT NOT NULL
);

CREATE TABLE email_ref (
  account_id BIGINT NOT NULL,
  ref TEXT NOT NULL,
  email_id BIGINT NOT NULL,
  PRIMARY KEY (account_id, ref, email_id)
);
CREATE INDEX email_ref_email ON email_ref(email_id);

CREATE TABLE msg (
  mailbox_id BIGINT NOT NULL,
  uid BIGINT NOT NULL,
  email_id BIGINT NOT NULL,
  modseq BIGINT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX msg_email ON msg(email_id, mailbox_id);
CREATE INDEX msg_modseq ON msg(mailbox_id, modseq);

CREATE TABLE expunged (
  mailbox_id BIGINT NOT NULL,
  uid BIGINT NOT NULL,
  modseq BIGINT NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);

CREATE TABLE tombstone (
  account_id BIGINT NOT NULL,
  type TEXT NOT NULL,
  object_id BIGINT NOT NULL,
  created_modseq BIGINT NOT NULL,
  destroyed_modseq BIGINT NOT NULL,
  destroyed_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, type, object_id)
);
CREATE INDEX tombstone_changes ON tombstone(account_id, type, destroyed_modseq);

-- Decoded text for search. Trigram GIN indexes answer ILIKE '%needle%' for needles of 3+ characters.
CREATE TABLE email_text (
  email_id BIGINT PRIMARY KEY,
  subject TEXT NOT NULL,
  from_ TEXT NOT NULL,
  to_ TEXT NOT NULL,
  cc TEXT NOT NULL,
  bcc TEXT NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX email_text_subject ON email_text USING gin (subject gin_trgm_ops);
CREATE INDEX email_text_from ON email_text USING gin (from_ gin_trgm_ops);
CREATE INDEX email_text_to ON email_text USING gin (to_ gin_trgm_ops);
CREATE INDEX email_text_cc ON email_text USING gin (cc gin_trgm_ops);
CREATE INDEX email_text_bcc ON email_text USING gin (bcc gin_trgm_ops);
CREATE INDEX email_text_headers ON email_text USING gin (headers gin_trgm_ops);
CREATE INDEX email_text_body ON email_text USING gin (body gin_trgm_ops);

CREATE TABLE upload (
  account_id BIGINT NOT NULL,
  blob TEXT NOT NULL,
  type TEXT NOT NULL,
  size BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, blob)
);
CREATE INDEX upload_blob ON upload(blob);

CREATE TABLE quota_limit_state (
  account_id BIGINT PRIMARY KEY,
  modseq BIGINT NOT NULL
);

CREATE TABLE setting (
  account_id BIGINT NOT NULL,
  key TEXT NOT NULL,
  value TEXT,
  state BIGINT NOT NULL,
  PRIMARY KEY (account_id, key)
);

CREATE TABLE outbound (
  id BIGSERIAL PRIMARY KEY,
  account TEXT,
  sender TEXT NOT NULL,
  recipients TEXT NOT NULL,
  blob TEXT NOT NULL,
  size BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  status TEXT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  meta TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX outbound_due ON outbound(status, next_attempt_at);
CREATE INDEX outbound_blob ON outbound(blob);

CREATE TABLE revoked (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  issuer TEXT NOT NULL,
  revoked_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (kind, value, issuer)
);
CREATE INDEX revoked_expiry ON revoked(expires_at);
CREATE TABLE logout_jti (
  issuer TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (issuer, jti)
);
CREATE INDEX logout_jti_expiry ON logout_jti(expires_at);

-- "user" is reserved in PostgreSQL: the owner's column is user_name.
CREATE TABLE push_subscription (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
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
  expires_at BIGINT NOT NULL,
  types TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX push_subscription_user ON push_subscription(user_name);

-- Blobs (blobs.ts): one row per content (sha256 hex), its bytes in chunks of chunk_size bytes, so no
-- statement carries a whole message. touched_at spares young blobs from garbage collection while an
-- append that wrote one has not committed its email yet.
CREATE TABLE blob (
  hash TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  chunk_size INTEGER NOT NULL,
  touched_at BIGINT NOT NULL
);
CREATE TABLE blob_chunk (
  hash TEXT NOT NULL REFERENCES blob(hash) ON DELETE CASCADE,
  n INTEGER NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (hash, n)
);
-- Mail bodies are mostly compressed or encoded already: store chunks as they are (no TOAST compression).
ALTER TABLE blob_chunk ALTER COLUMN data SET STORAGE EXTERNAL;
`;

/**
 * Version 2: what the SQLite engine gained in its versions 5 and 6 and the sieve tables. The outbound
 * queue keeps the envelope's DSN request and transport requirements as JSON (per-recipient NOTIFY and
 * ORCPT live in `recipients`); Sieve scripts (content in blobs, sieve_account holds the SieveScript
 * state and the one active script); mailbox rights (RFC 4314) and delegation grants.
 */
const V2 = `
ALTER TABLE outbound ADD COLUMN envelope TEXT NOT NULL DEFAULT '{}';

-- Names unique per account, compared octet by octet (COLLATE "C").
CREATE TABLE sieve_script (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  blob TEXT NOT NULL,
  size BIGINT NOT NULL,
  created_modseq BIGINT NOT NULL,
  updated_modseq BIGINT NOT NULL,
  UNIQUE (account_id, name)
);
CREATE INDEX sieve_script_blob ON sieve_script(blob);
CREATE TABLE sieve_account (
  account_id BIGINT PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
  state BIGINT NOT NULL,
  active_id BIGINT
);

-- Rights per mailbox and identifier (a user name or "anyone"); the owner's are implicit.
CREATE TABLE mailbox_acl (
  mailbox_id BIGINT NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE,
  identifier TEXT NOT NULL,
  rights TEXT NOT NULL,
  PRIMARY KEY (mailbox_id, identifier)
);
CREATE INDEX mailbox_acl_identifier ON mailbox_acl(identifier);
-- By user name: a grant needs neither account to exist yet.
CREATE TABLE delegation (
  owner TEXT NOT NULL,
  delegate TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (owner, delegate)
);
`;

/**
 * Version 3: what the SQLite engine gained without a version of its own (it adds them idempotently):
 * msg.saved_at for IMAP SAVEDATE (RFC 8514; NULL in older rows, read as the internal date) and the
 * annotations of IMAP METADATA (RFC 5464; see api/metadata.ts). metadata.owner is the user for
 * /private entries, '' for /shared ones; mailbox_id 0 for server entries, so it cannot reference
 * mailbox: a trigger removes a deleted mailbox's annotations instead.
 */
const V3 = `
ALTER TABLE msg ADD COLUMN saved_at BIGINT;

CREATE TABLE metadata (
  owner TEXT COLLATE "C" NOT NULL,
  mailbox_id BIGINT NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  value BYTEA NOT NULL,
  PRIMARY KEY (mailbox_id, owner, name)
);
CREATE INDEX metadata_owner ON metadata(owner);
CREATE FUNCTION metadata_mailbox_delete() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN DELETE FROM metadata WHERE mailbox_id = OLD.id; RETURN OLD; END $$;
CREATE TRIGGER metadata_mailbox_delete AFTER DELETE ON mailbox FOR EACH ROW EXECUTE FUNCTION metadata_mailbox_delete();
`;

/**
 * Version 4: quota limits of a domain (scope: its lower-case name) or of the server (scope ''), for
 * the accounts without limits of their own (see ../quota-levels.ts): NULL sets nothing at that
 * level, 0 is unlimited.
 */
const V4 = `
CREATE TABLE quota_scope (
  scope TEXT COLLATE "C" PRIMARY KEY,
  storage BIGINT,
  messages BIGINT
);
`;

/**
 * Version 6: text criteria compare under i;unicode-casemap (RFC 5051; IMAP I18NLEVEL=1, RFC 5255 §4),
 * the folding of src/mime/casemap.ts: NFKD, then each character's simple uppercase mapping (upper()
 * under the libc "C.utf8" collation, whatever the database's own locale). The trigram indexes are
 * rebuilt over the folded text, which queries match with LIKE against a needle folded the same way.
 */
const V6 = `
CREATE FUNCTION casemap(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
  $$ SELECT upper(normalize(t, NFKD) COLLATE "C.utf8") $$;
CREATE OR REPLACE FUNCTION hdr_has(h TEXT, name TEXT, needle TEXT) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT EXISTS (SELECT 1 FROM regexp_split_to_table(h, E'\\n') l
      WHERE lower(left(l, length(name) + 1)) = name || ':'
        AND (needle = '' OR strpos(casemap(substr(l, length(name) + 2)), needle) > 0)) $$;
DROP INDEX email_text_subject, email_text_from, email_text_to, email_text_cc, email_text_bcc, email_text_headers, email_text_body;
CREATE INDEX email_text_subject_fold ON email_text USING gin (casemap(subject) gin_trgm_ops);
CREATE INDEX email_text_from_fold ON email_text USING gin (casemap(from_) gin_trgm_ops);
CREATE INDEX email_text_to_fold ON email_text USING gin (casemap(to_) gin_trgm_ops);
CREATE INDEX email_text_cc_fold ON email_text USING gin (casemap(cc) gin_trgm_ops);
CREATE INDEX email_text_bcc_fold ON email_text USING gin (casemap(bcc) gin_trgm_ops);
CREATE INDEX email_text_headers_fold ON email_text USING gin (casemap(headers) gin_trgm_ops);
CREATE INDEX email_text_body_fold ON email_text USING gin (casemap(body) gin_trgm_ops);
`;

/**
 * Version 5: share notifications (RFC 9670 §4; see api/share-notifications.ts and the SQLite table of
 * the same name). seq (the id) and destroyed_seq come from share_notification_seq.
 */
const V5 = `
CREATE SEQUENCE share_notification_seq;
CREATE TABLE share_notification (
  seq BIGINT PRIMARY KEY,
  recipient TEXT NOT NULL,
  destroyed_seq BIGINT,
  created_at BIGINT NOT NULL,
  changed_by TEXT NOT NULL,
  owner TEXT NOT NULL,
  mailbox_id TEXT NOT NULL,
  name TEXT NOT NULL,
  old_rights TEXT NOT NULL,
  new_rights TEXT NOT NULL
);
CREATE INDEX share_notification_recipient ON share_notification(recipient);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: V1 },
  { version: 2, sql: V2 },
  { version: 3, sql: V3 },
  { version: 4, sql: V4 },
  { version: 5, sql: V5 },
  { version: 6, sql: V6 },
];
