// The libFuzzer engine of Jazzer.js ships as a prebuilt native addon linked on a newer Linux than
// Debian 12 (glibc 2.36, libstdc++ of GCC 12). It asks for three symbol versions those lack:
//  - __isoc23_strtol / __isoc23_strtoul @GLIBC_2.38: glibc 2.38's C23 strtol/strtoul, which differ
//    from the old ones only in also reading a "0b" prefix; libFuzzer calls them to read its own
//    numeric flags (-max_len=4096 …), where that difference cannot arise.
//  - _ZSt21ios_base_library_initv @GLIBCXX_3.4.32: GCC 13 references it only to pull iostream
//    initialisation in at link time; nothing calls it (the addon has no relocation against it) and
//    Node's own libstdc++ initialises iostreams.
// Rather than rebuild the addon (its sources are not on npm), a copy is patched in place: the two
// strtol names are pointed at the tails of their own strings ("__isoc23_strtol" ends in "strtol"),
// these and the iostream symbol lose their version (so they bind to the library's default one),
// and the two unmet version needs are marked weak, which the dynamic loader accepts when the
// version is absent (glibc elf/dl-version.c). No compiler or ELF tool is needed.
// The engine itself is unchanged, so coverage guidance is libFuzzer's own. The copy goes to a cache
// keyed by the original's hash; the original file is never touched.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const VER_NDX_GLOBAL = 1;
const VER_FLG_WEAK = 0x2;

/** Undefined symbols renamed to an existing libc function of the same behaviour here. */
const RENAMED = { __isoc23_strtol: 'strtol', __isoc23_strtoul: 'strtoul' };
/** Undefined symbols only referenced, never bound: their version is dropped. */
const UNVERSIONED = ['_ZSt21ios_base_library_initv'];
/** Version needs this system cannot meet; they become weak. */
const WEAK_NEEDS = ['GLIBC_2.38', 'GLIBCXX_3.4.32'];

export class CompatPatchError extends Error {
  name = 'CompatPatchError';
}

function cString(buf, offset) {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 ? buf.length : end);
}

function sections(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new CompatPatchError('not a 64-bit little-endian ELF file');
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const out = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    out.push({
      type: buf.readUInt32LE(h + 4),
      offset: Number(buf.readBigUInt64LE(h + 0x18)),
      size: Number(buf.readBigUInt64LE(h + 0x20)),
      link: buf.readUInt32LE(h + 0x28),
      info: buf.readUInt32LE(h + 0x2c),
      entsize: Number(buf.readBigUInt64LE(h + 0x38)),
    });
  }
  return out;
}

/** Returns the patched copy of `elf`, or throws when its layout is not the one described above. */
export function patchAddon(elf) {
  const buf = Buffer.from(elf);
  const secs = sections(buf);
  const dynsym = secs.find((s) => s.type === SHT_DYNSYM);
  const versym = secs.find((s) => s.type === SHT_GNU_VERSYM);
  const verneed = secs.find((s) => s.type === SHT_GNU_VERNEED);
  if (!dynsym || !versym || !verneed) throw new CompatPatchError('no dynamic symbol versioning sections');
  const dynstr = secs[dynsym.link];

  // Version needs: name → { index, aux offset }.
  const needs = new Map();
  let vn = verneed.offset;
  for (let n = 0; n < verneed.info; n++) {
    const cnt = buf.readUInt16LE(vn + 2);
    let aux = vn + buf.readUInt32LE(vn + 8);
    for (let a = 0; a < cnt; a++) {
      const name = cString(buf, dynstr.offset + buf.readUInt32LE(aux + 8));
      needs.set(name, { index: buf.readUInt16LE(aux + 6), aux });
      aux += buf.readUInt32LE(aux + 12);
    }
    vn += buf.readUInt32LE(vn + 12);
  }
  let patched = 0;
  const count = dynsym.size / dynsym.entsize;
  for (let i = 0; i < count; i++) {
    const sym = dynsym.offset + i * dynsym.entsize;
    const nameOffset = buf.readUInt32LE(sym);
    const name = cString(buf, dynstr.offset + nameOffset);
    if (Object.hasOwn(RENAMED, name)) {
      const target = RENAMED[name];
      if (!name.endsWith(target)) throw new CompatPatchError(`${name} does not end in ${target}`);
      buf.writeUInt32LE(nameOffset + name.length - target.length, sym);
      buf.writeUInt16LE(VER_NDX_GLOBAL, versym.offset + i * 2);
      patched++;
    } else if (UNVERSIONED.includes(name)) {
      buf.writeUInt16LE(VER_NDX_GLOBAL, versym.offset + i * 2);
      patched++;
    }
  }
  for (const version of WEAK_NEEDS) {
    const need = needs.get(version);
    if (need) buf.writeUInt16LE(buf.readUInt16LE(need.aux + 4) | VER_FLG_WEAK, need.aux + 4);
  }
  if (patched === 0) throw new CompatPatchError('none of the expected symbols found');
  return buf;
}

/** True when loading failed only because the system's C or C++ library is older than the addon's. */
export function isVersionMismatch(error) {
  return /version `(GLIBC|GLIBCXX)_[\d.]+' not found/.test(String(error?.message ?? error));
}

/** Path of the patched copy of `addonPath` under `cacheDir`, made once per original file. */
export function compatAddon(addonPath, cacheDir) {
  const original = readFileSync(addonPath);
  const hash = createHash('sha256').update(original).digest('hex').slice(0, 16);
  const out = join(cacheDir, `fuzzer-${hash}.node`);
  if (!existsSync(out)) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, patchAddon(original));
    renameSync(tmp, out);
  }
  return out;
}
