/**
 * The gitlinks (submodule entries, mode 160000) of a git index file, read without running git.
 *
 * Why not `git ls-files`: this runs as root on a repository whose config the real user (or an
 * earlier session) wrote; git would honour that config (core.fsmonitor runs a command), so the
 * root phase must never run git on the workspace. The index is parsed as data instead
 * (gitformat-index(5): versions 2, 3 and 4; SHA-1 or SHA-256 object names).
 *
 * Hostile input: the file is bounded (MAX_INDEX_BYTES), every read is bounds-checked, and a
 * malformed index yields the entries read so far. A split index (`link` extension) keeps most
 * entries in a shared file that is not read: the `.gitmodules` paths (nested-git.ts) still
 * cover the usual case.
 */

export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const GITLINK = 0o160000;
const TYPE_MASK = 0o170000;

/** Paths (relative to the work tree) of the gitlinks in `index`; `hashBytes` 20 (SHA-1) or 32 (SHA-256). */
export function indexGitlinks(index: Buffer, hashBytes: 20 | 32 = 20): string[] {
  if (index.length < 12 || index.toString('latin1', 0, 4) !== 'DIRC') return [];
  const version = index.readUInt32BE(4);
  if (version < 2 || version > 4) return [];
  const count = index.readUInt32BE(8);
  const out: string[] = [];
  let pos = 12;
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    const start = pos;
    const fixed = 40 + hashBytes + 2;
    if (pos + fixed > index.length) break;
    const mode = index.readUInt32BE(pos + 24);
    const flags = index.readUInt16BE(pos + 40 + hashBytes);
    pos += fixed;
    if (version >= 3 && (flags & 0x4000) !== 0) pos += 2;
    let path: Buffer;
    if (version === 4) {
      // Prefix compression: strip N bytes from the previous path, append the NUL-terminated suffix.
      const v = readOffsetVarint(index, pos);
      if (v === null) break;
      pos = v.next;
      const end = index.indexOf(0, pos);
      if (end < 0 || v.value > previous.length) break;
      path = Buffer.concat([previous.subarray(0, previous.length - v.value), index.subarray(pos, end)]);
      pos = end + 1;
    } else {
      const end = index.indexOf(0, pos);
      if (end < 0) break;
      path = index.subarray(pos, end);
      // 1-8 NUL bytes pad the entry to a multiple of 8, the name staying NUL-terminated.
      pos = start + Math.ceil((end + 1 - start) / 8) * 8;
    }
    previous = path;
    if ((mode & TYPE_MASK) === GITLINK) out.push(path.toString('utf8'));
  }
  return out;
}

/** git's "offset" varint (varint.c): big-endian groups of 7 bits, each continuation adding 1. */
function readOffsetVarint(buf: Buffer, pos: number): { value: number; next: number } | null {
  if (pos >= buf.length) return null;
  let c = buf[pos++]!;
  let value = c & 0x7f;
  while ((c & 0x80) !== 0) {
    if (pos >= buf.length || value > 0xffffff) return null;
    c = buf[pos++]!;
    value = ((value + 1) << 7) + (c & 0x7f);
  }
  return { value, next: pos };
}
