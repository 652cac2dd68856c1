// Big-message parse benchmark (issue #15; not part of the test suite): parses 4 MB and 40 MB messages
// of three shapes (one mostly-base64 attachment, one big text/plain, many parts) with parseMessage and
// prints, per message, the wall time, the growth of the V8 heap and of ArrayBuffers while the result
// is held, and the peak: the growth of the process's maximum RSS over one parse, measured in a fresh
// child process per message (the figure the ingest gate's PARSE_MEMORY_FACTOR is read from).
//   node --expose-gc --import tsx bench/mime/big-parse.ts [--sizes 4,40] [--runs 3]
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseMessage } from '../../src/mime/parse.js';

const { values } = parseArgs({ options: { peak: { type: 'string' }, sizes: { type: 'string', default: '4,40' }, runs: { type: 'string', default: '3' } } });
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function base64Lines(bytes: number): string {
  const raw = Buffer.alloc(Math.floor((bytes / 4) * 3));
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return raw.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function textLines(bytes: number): string {
  const line = 'The quick brown fox jumps over the lazy dog, and then some more words follow here.\r\n';
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

const HEAD = 'From: a@example.com\r\nTo: b@example.com\r\nSubject: big\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\nMessage-ID: <x@y>\r\nMIME-Version: 1.0\r\n';

function attachment(size: number): Buffer {
  return Buffer.from(
    HEAD + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n' +
      '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="x.bin"\r\n\r\n' +
      base64Lines(size) + '\r\n--b1--\r\n', 'latin1');
}

function plain(size: number): Buffer {
  return Buffer.from(HEAD + 'Content-Type: text/plain; charset=utf-8\r\n\r\n' + textLines(size), 'latin1');
}

function manyParts(size: number): Buffer {
  const parts: string[] = [];
  const each = 16 * 1024;
  for (let n = 0; n * each < size && n < 1900; n++) {
    parts.push(n % 2 === 0
      ? `--b1\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${textLines(each)}`
      : `--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(Math.max(each, Math.floor(size / 1900)))}`);
  }
  return Buffer.from(HEAD + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n' + parts.join('\r\n') + '\r\n--b1--\r\n', 'latin1');
}

if (values.peak) {
  // Child: parse the message in this file once and print the growth of the maximum RSS.
  const msg = readFileSync(values.peak);
  gc();
  const before = process.resourceUsage().maxRSS;
  const result = parseMessage(msg);
  const after = process.resourceUsage().maxRSS;
  if (result.parsed.body.size < 0) throw new Error('unreachable');
  console.log(String((after - before) * 1024));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'big-parse-'));
function peakOf(msg: Buffer): number {
  const file = join(dir, 'msg.eml');
  writeFileSync(file, msg);
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--peak', file]);
  return Number(String(out).trim());
}

function html(size: number): Buffer {
  const para = '<p>Le <b>renard</b> brun saute par-dessus le chien paresseux &amp; s\u00e9rieux.</p>\r\n';
  return Buffer.from(HEAD + 'Content-Type: text/html; charset=utf-8\r\n\r\n' + para.repeat(Math.ceil(size / para.length)), 'utf8');
}

function plainBase64(size: number): Buffer {
  return Buffer.from(HEAD + 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
    Buffer.from(textLines(Math.floor((size / 4) * 3)).replace(/fox/g, 'f\u00f6x'), 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n'), 'latin1');
}

const shapes = { attachment, plain, 'many-parts': manyParts, html, 'plain-b64': plainBase64 } as const;
for (const sizeMb of values.sizes.split(',').map(Number)) {
  for (const [name, make] of Object.entries(shapes)) {
    const msg = make(sizeMb * MB);
    const times: number[] = [];
    let heap = 0;
    let abuf = 0;
    for (let r = 0; r < Number(values.runs); r++) {
      gc();
      const before = process.memoryUsage();
      const t0 = performance.now();
      const result = parseMessage(msg);
      times.push(performance.now() - t0);
      gc();
      const after = process.memoryUsage();
      heap = Math.max(heap, after.heapUsed - before.heapUsed);
      abuf = Math.max(abuf, after.arrayBuffers - before.arrayBuffers);
      if (result.parsed.body.size < 0) throw new Error('unreachable');
    }
    const peak = peakOf(msg);
    times.sort((a, b) => a - b);
    console.log(`${name.padEnd(10)} ${(msg.length / MB).toFixed(1).padStart(5)} MB  parse ${times[0]!.toFixed(0).padStart(5)} ms (median ${times[Math.floor(times.length / 2)]!.toFixed(0)})  held heap ${(heap / MB).toFixed(1)} MB  held arrayBuffers ${(abuf / MB).toFixed(1)} MB  peak RSS +${(peak / MB).toFixed(1)} MB (${(peak / msg.length).toFixed(2)} × size)`);
  }
}
rmSync(dir, { recursive: true, force: true });
