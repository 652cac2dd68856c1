// The repository's sample conf/ copied to a temp directory with its fixed ports moved to free ones,
// so tests that run it as shipped (`tessera serve`, `npm start`) never disturb a developer's running
// server or each other.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The fixed ports of conf/ (imap, imaps, smtp-mx, submission, smtps, jmap, webadmin, dev IdP). */
export const SAMPLE_PORTS = [1143, 1993, 2525, 5587, 4465, 8000, 8002, 8600] as const;

/** Ports the kernel just handed out, all held at once so they are distinct, then released. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Copies conf/ into `root`/conf and rewrites every sample port (binds, URLs, devIdp.port) to the matching free one. */
export async function relocatedConf(root: string): Promise<{ confDir: string; ports: Map<number, number> }> {
  const confDir = join(root, 'conf');
  await cp(join(ROOT, 'conf'), confDir, { recursive: true });
  const free = await freePorts(SAMPLE_PORTS.length);
  const ports = new Map<number, number>(SAMPLE_PORTS.map((p, i) => [p, free[i]!]));
  const pattern = new RegExp(`\\b(${SAMPLE_PORTS.join('|')})\\b`, 'g');
  for (const name of await readdir(confDir)) {
    const path = join(confDir, name);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(pattern, (p) => String(ports.get(Number(p)))));
  }
  return { confDir, ports };
}
