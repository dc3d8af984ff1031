/**
 * Groups and accounts: facts read with getent, changes made with groupadd / useradd /
 * usermod / gpasswd / userdel / groupdel (argv arrays, never a shell).
 *
 * Identities are system accounts with the `nologin` shell, primary group the sandbox
 * group, and a home under `<stateDir>/home/` that setup creates (mode 0700, owned by the
 * identity; no /etc/skel files).
 */
import { existsSync } from 'node:fs';
import { parsePasswdLine, type PasswdEntry } from './real-user.js';
import { formatCommand, run } from './exec.js';

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parseGroupLine(line: string): GroupEntry {
  const f = line.trim().split(':');
  return { name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== '') };
}

/**
 * Lookups are cached for the life of one plan (a no-op setup must stay fast) and the
 * cache is dropped whenever a command changes accounts (runCommand). `prefetch` fills it
 * with one getent call per database: getent prints every key it finds and exits 2 when
 * one or more are missing.
 */
const groupCache = new Map<string, GroupEntry | null>();
const userCache = new Map<string, PasswdEntry | null>();

export function forgetAccounts(): void {
  groupCache.clear();
  userCache.clear();
}

export async function prefetch(users: readonly string[], groups: readonly string[]): Promise<void> {
  if (users.length > 0) {
    const r = await run('getent', ['passwd', ...users], { okCodes: [0, 2] });
    for (const u of users) userCache.set(u, null);
    for (const line of r.stdout.split('\n')) if (line.trim() !== '') userCache.set(parsePasswdLine(line).name, parsePasswdLine(line));
  }
  if (groups.length > 0) {
    const r = await run('getent', ['group', ...groups], { okCodes: [0, 2] });
    for (const g of groups) groupCache.set(g, null);
    for (const line of r.stdout.split('\n')) if (line.trim() !== '') groupCache.set(parseGroupLine(line).name, parseGroupLine(line));
  }
}

export async function getGroup(name: string): Promise<GroupEntry | null> {
  const cached = groupCache.get(name);
  if (cached !== undefined) return cached;
  const r = await run('getent', ['group', name], { okCodes: [0, 2] });
  const entry = r.code === 2 ? null : parseGroupLine(r.stdout.split('\n')[0]!);
  groupCache.set(name, entry);
  return entry;
}

export async function getUser(name: string): Promise<PasswdEntry | null> {
  const cached = userCache.get(name);
  if (cached !== undefined) return cached;
  const r = await run('getent', ['passwd', name], { okCodes: [0, 2] });
  const entry = r.code === 2 ? null : parsePasswdLine(r.stdout.split('\n')[0]!);
  userCache.set(name, entry);
  return entry;
}

/** The nologin shell on this machine (Debian: /usr/sbin/nologin). */
export function nologinShell(): string {
  for (const p of ['/usr/sbin/nologin', '/sbin/nologin']) if (existsSync(p)) return p;
  return '/usr/sbin/nologin';
}

/** A command the planner will run: for display and for execution, the same argv. */
export interface Command {
  tool: Parameters<typeof run>[0];
  args: string[];
}

export function display(c: Command): string {
  return formatCommand(c.tool, c.args);
}

export async function runCommand(c: Command): Promise<void> {
  forgetAccounts();
  try {
    await run(c.tool, c.args);
  } finally {
    forgetAccounts();
  }
}

export function groupaddCommand(name: string): Command {
  return { tool: 'groupadd', args: ['--system', name] };
}

export interface IdentitySpec {
  name: string;
  group: string;
  home: string;
  shell: string;
  comment: string;
}

export function useraddCommand(s: IdentitySpec): Command {
  return {
    tool: 'useradd',
    args: ['--system', '--no-create-home', '--home-dir', s.home, '--shell', s.shell, '--gid', s.group, '--comment', s.comment, s.name],
  };
}

export function usermodCommand(s: IdentitySpec): Command {
  return { tool: 'usermod', args: ['--home', s.home, '--shell', s.shell, '--gid', s.group, s.name] };
}

export function addMemberCommand(user: string, group: string): Command {
  return { tool: 'gpasswd', args: ['--add', user, group] };
}

export function removeMemberCommand(user: string, group: string): Command {
  return { tool: 'gpasswd', args: ['--delete', user, group] };
}

export function userdelCommand(name: string): Command {
  return { tool: 'userdel', args: [name] };
}

export function groupdelCommand(name: string): Command {
  return { tool: 'groupdel', args: [name] };
}

/** What differs between an existing identity account and its spec (empty: as desired). */
export function identityDrift(entry: PasswdEntry, spec: IdentitySpec, groupGid: number | null): string[] {
  const out: string[] = [];
  if (entry.shell !== spec.shell) out.push(`shell is ${entry.shell}, expected ${spec.shell}`);
  if (entry.home !== spec.home) out.push(`home is ${entry.home}, expected ${spec.home}`);
  if (groupGid !== null && entry.gid !== groupGid) out.push(`primary group is ${entry.gid}, expected ${groupGid} (${spec.group})`);
  return out;
}
