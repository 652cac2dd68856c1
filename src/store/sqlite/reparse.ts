// Recomputes every email's parsed summary from its blob: the parsed cache (envelope, structure, JMAP
// forms, sent date and day), the sort keys and the search text. Used by the migration to version 4,
// inside its transaction. Thread assignments are kept: thread ids are visible to clients, and the
// references that decide them did not change.
import type { Db } from './db.js';
import { parseMessage } from '../../mime/parse.js';

/** Reads a blob file (inline blobs, sqlite/blob-store.ts, are read from the database here). */
export type ReadBlobSync = (blob: string) => Buffer | null;

/** Returns the number of emails recomputed (an email whose blob is missing keeps its old summary). */
export function reparseEmails(db: Db, readBlob: ReadBlobSync): number {
  const emails = db.prepare('SELECT id, blob FROM email ORDER BY id').all() as Array<{ id: number; blob: string }>;
  const updateEmail = db.prepare(
    `UPDATE email SET sent_at = ?, sent_day = ?, has_attachment = ?, subject_sort = ?, from_sort = ?, to_sort = ?, cc_sort = ?,
       display_from = ?, display_to = ? WHERE id = ?`,
  );
  const updateParsed = db.prepare('INSERT OR REPLACE INTO email_parsed (email_id, envelope, parsed) VALUES (?, ?, ?)');
  // Deleting and inserting (not updating) the text row makes its triggers queue the full-text
  // index update, as for a new email.
  const deleteText = db.prepare('DELETE FROM email_text WHERE email_id = ?');
  const insertText = db.prepare('INSERT INTO email_text (email_id, subject, from_, to_, cc, bcc, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  // A store written since inline blobs came, then taken back to version 3 (as tests do), has them.
  const readInline = db.prepare('SELECT data FROM blob_inline WHERE hash = ?').pluck();
  let n = 0;
  for (const { id, blob } of emails) {
    const bytes = (readInline.get(blob) as Buffer | undefined) ?? readBlob(blob);
    if (bytes === null) continue;
    const { parsed, search } = parseMessage(bytes);
    const k = parsed.sort;
    updateEmail.run(
      parsed.sentAt ? parsed.sentAt.getTime() : null, parsed.sentDay, parsed.hasAttachment ? 1 : 0,
      k.subject, k.from, k.to, k.cc, k.displayFrom, k.displayTo, id,
    );
    updateParsed.run(id, JSON.stringify(parsed.envelope), JSON.stringify(parsed));
    deleteText.run(id);
    insertText.run(id, search.subject, search.from, search.to, search.cc, search.bcc, search.headers, search.body);
    n++;
  }
  return n;
}
