/**
 * /proc/self/mountinfo, parsed (pure, unit-tested): which mounts exist in the calling
 * process's mount namespace, with the device each comes from.
 */
import { readFileSync } from 'node:fs';

export interface MountEntry {
  /** "major:minor" of the device the mount's filesystem is on. */
  majorMinor: string;
  mountPoint: string;
  fstype: string;
  source: string;
}

/** The kernel escapes space, tab, newline and backslash in paths as \ooo. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Pure: the entries of a mountinfo text, in its order (a later entry on the same point is mounted over an earlier one). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (fields.length < 10 || sep < 0 || sep + 2 >= fields.length) continue;
    out.push({ majorMinor: fields[2]!, mountPoint: unescape(fields[4]!), fstype: fields[sep + 1]!, source: unescape(fields[sep + 2]!) });
  }
  return out;
}

export function currentMounts(): MountEntry[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** The top mount on `mountPoint` in `mounts`, or null. */
export function topMountAt(mounts: readonly MountEntry[], mountPoint: string): MountEntry | null {
  for (let i = mounts.length - 1; i >= 0; i--) if (mounts[i]!.mountPoint === mountPoint) return mounts[i]!;
  return null;
}
