// Maildir / Maildir++ reader: messages from cur/ and new/ with flags from the ":2," info suffix;
// sub-folders ".A.B" map to mailbox paths "A/B".
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface MaildirFile {
  /** Mailbox path relative to the import target ("" for the maildir itself). */
  folder: string;
  file: string;
  flags: string[];
}

const INFO_FLAGS: Record<string, string> = { S: '\\Seen', R: '\\Answered', F: '\\Flagged', T: '\\Deleted', D: '\\Draft' };

export async function listMaildir(root: string): Promise<MaildirFile[]> {
  const out: MaildirFile[] = [];
  const folders: Array<[string, string]> = [['', root]];
  for (const name of await fs.readdir(root).catch(() => [] as string[])) {
    if (name.startsWith('.') && name !== '.' && name !== '..' && name.length > 1) {
      const dir = path.join(root, name);
      if ((await fs.stat(dir)).isDirectory()) folders.push([name.slice(1).split('.').join('/'), dir]);
    }
  }
  for (const [folder, dir] of folders) {
    for (const sub of ['cur', 'new']) {
      const files = await fs.readdir(path.join(dir, sub)).catch(() => [] as string[]);
      for (const f of files.sort()) {
        if (f.startsWith('.')) continue;
        const info = f.includes(':2,') ? f.slice(f.lastIndexOf(':2,') + 3) : '';
        const flags = [...info].map((c) => INFO_FLAGS[c]).filter((x): x is string => !!x);
        out.push({ folder, file: path.join(dir, sub, f), flags });
      }
    }
  }
  return out;
}

export async function isMaildir(p: string): Promise<boolean> {
  const st = await fs.stat(p).catch(() => null);
  if (!st?.isDirectory()) return false;
  return !!(await fs.stat(path.join(p, 'cur')).catch(() => null)) || !!(await fs.stat(path.join(p, 'new')).catch(() => null));
}
