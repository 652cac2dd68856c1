// Child process of open-race.test.ts: waits for "go" on stdin, then opens the SQLite mail store's
// database at the path it was given and prints its schema version ("OPENED <n>").
import { openDatabase } from '../../src/store/sqlite/db.js';

const file = process.argv[2];
if (!file) throw new Error('usage: open-race-child <file>');
process.stdout.write('READY\n');
process.stdin.once('data', () => {
  const db = openDatabase(file, () => {
    throw new Error('a new database has no blobs to read');
  });
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string };
  db.close();
  process.stdout.write(`OPENED ${row.value}\n`);
  process.exit(0);
});
