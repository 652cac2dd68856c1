#!/usr/bin/env node
// Lists every key of every file of James conf/ directories with what Tessera does with it, as a
// Markdown table: honoured, honoured with a note (a default safer than James'), warned (the warning
// text), refused at start (the error), or the file not served at all. It runs Tessera's own loader
// on each directory, so the table says what the code does, not what someone remembers.
// Usage: node --import tsx scripts/james-keys.mts ../shared/james-conf/memory-app [more dirs…]
//   (a directory holding several samples, like ../shared/james-conf, is expanded to its folders).
// Each directory is loaded from a temporary copy named conf/, so that James' file://conf/… paths
// resolve as they would in a James home; the missing keystore they name is not an error (Tessera
// creates it at start).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { loadConfig, type ConfigWarning } from '../src/config/load.js';
import { parseProperties } from '../src/config/properties.js';

type Node = Record<string, unknown>;
const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: true, commentPropName: '#c' });
const SKIP = new Set([':@', '#c', '#text', '?xml']);
/** Listener files: Tessera names blocks imapserver[1], smtpserver[2], pop3server[1]… without the wrapper element. */
const WRAPPERS: Record<string, string> = { imapservers: 'imapserver', smtpservers: 'smtpserver', pop3servers: 'pop3server' };

interface Key {
  key: string;
  value: string;
}

function textOf(children: Node[]): string {
  return children.map((c) => (typeof c['#text'] === 'string' || typeof c['#text'] === 'number' ? String(c['#text']) : '')).join('').trim();
}

function xmlKeys(text: string): Key[] {
  const out: Key[] = [];
  const walk = (nodes: Node[], prefix: string): void => {
    const names = nodes.flatMap((n) => Object.keys(n).filter((k) => !SKIP.has(k)));
    const seen = new Map<string, number>();
    for (const n of nodes) {
      for (const name of Object.keys(n)) {
        if (SKIP.has(name)) continue;
        const i = (seen.get(name) ?? 0) + 1;
        seen.set(name, i);
        const repeated = names.filter((x) => x === name).length > 1;
        let key: string;
        if (prefix === '' && WRAPPERS[name]) key = '';
        else if (prefix === '' && Object.values(WRAPPERS).includes(name)) key = `${name}[1]`;
        else if (Object.values(WRAPPERS).includes(name) && Object.keys(WRAPPERS).includes(prefix)) key = `${name}[${i}]`;
        else key = `${prefix ? `${prefix}.` : ''}${name}${repeated ? `[${i}]` : ''}`;
        const children = Array.isArray(n[name]) ? (n[name] as Node[]) : [];
        const shown = key === '' ? name : key;
        if (key !== '') out.push({ key, value: textOf(children) });
        for (const [a, v] of Object.entries((n[':@'] as Record<string, unknown> | undefined) ?? {})) out.push({ key: `${shown}@${a}`, value: String(v) });
        walk(children, key === '' ? name : key);
      }
    }
  };
  walk(parser.parse(text) as Node[], '');
  // Block keys live under the wrapper's name during the walk; Tessera's keys do not.
  return out.map((k) => ({ key: k.key.replace(/^(imapservers|smtpservers|pop3servers)\./, ''), value: k.value }));
}

function mask(key: string, value: string): string {
  if (/secret|password|credentials|(^|\.)auth$/i.test(key) && value !== '') return '(secret)';
  const oneLine = value.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}…` : oneLine;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function fateOf(key: string, file: string, warnings: ConfigWarning[], notices: ConfigWarning[]): string {
  const here = warnings.filter((w) => path.basename(w.file) === file);
  const exact = here.find((w) => w.key === key);
  if (exact) return `warned: ${exact.message}`;
  const parent = here.find((w) => w.key !== '(file)' && (key.startsWith(`${w.key}.`) || key.startsWith(`${w.key}@`)));
  if (parent) return `warned with ${parent.key}`;
  const note = notices.find((n) => path.basename(n.file) === file && n.key.split(', ').includes(key));
  if (note) return `honoured; ${note.message}`;
  return 'honoured';
}

async function describeDir(dir: string, name: string): Promise<string[]> {
  const rows: string[] = [];
  let warnings: ConfigWarning[] = [];
  let notices: ConfigWarning[] = [];
  let refusal: string | undefined;
  const home = mkdtempSync(path.join(tmpdir(), 'james-keys-'));
  try {
    cpSync(dir, path.join(home, 'conf'), { recursive: true });
    ({ warnings, notices } = await loadConfig(path.join(home, 'conf'), { env: {} }));
  } catch (err) {
    refusal = err instanceof Error ? err.message : String(err);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  for (const file of readdirSync(dir).sort()) {
    if (!statSync(path.join(dir, file)).isFile()) continue;
    const notServed = warnings.find((w) => path.basename(w.file) === file && w.key === '(file)');
    const text = readFileSync(path.join(dir, file), 'utf8');
    const keys: Key[] = file.endsWith('.xml') ? xmlKeys(text) : file.endsWith('.properties') ? parseProperties(text).map((e) => ({ key: e.key, value: e.value })) : [];
    if (keys.length === 0) {
      rows.push(`| ${name} | ${file} | (file) | | ${notServed ? cell(notServed.message) : 'not configuration (data a setting points at)'} |`);
      continue;
    }
    for (const k of keys) {
      let fate: string;
      if (notServed) fate = 'file not served';
      else if (refusal !== undefined) fate = refusal.includes(`: ${k.key} `) || refusal.includes(`: ${k.key}:`) ? `refused at start: ${refusal}` : 'not reached (start refused)';
      else fate = fateOf(k.key, file, warnings, notices);
      rows.push(`| ${name} | ${file} | \`${cell(k.key)}\` | ${cell(mask(k.key, k.value))} | ${cell(fate)} |`);
    }
    if (notServed) rows.push(`| ${name} | ${file} | (file) | | ${cell(notServed.message)} |`);
  }
  return rows;
}

function expand(arg: string): Array<{ dir: string; name: string }> {
  const dir = path.resolve(arg);
  const entries = readdirSync(dir);
  if (entries.some((e) => e.endsWith('.xml') || e.endsWith('.properties'))) return [{ dir, name: path.basename(dir) }];
  return entries
    .filter((e) => statSync(path.join(dir, e)).isDirectory())
    .flatMap((e) => (existsSync(path.join(dir, e, 'james')) ? [{ dir: path.join(dir, e, 'james'), name: `${e}/james` }] : expand(path.join(dir, e))));
}

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error('usage: node --import tsx scripts/james-keys.mts <James conf dir or a folder of them>…');
  process.exit(2);
}
console.log('| Sample | File | Key | Value | Tessera |');
console.log('|---|---|---|---|---|');
for (const arg of args) for (const { dir, name } of expand(arg)) for (const row of await describeDir(dir, name)) console.log(row);
