/**
 * Session start cost of making a workspace writable for the identity (issue 7 item 4), on
 * generated workspaces of 1k and 100k files:
 *
 * - `idmap`: the idmapped bind mount the runner makes in each session's mount namespace
 *   (helper user namespace + open_tree + mount_setattr + move_mount), timed inside a
 *   throwaway `unshare --mount` child. Expected flat: nothing walks the tree.
 * - `acl grant`: the fallback's once-per-workspace `setfacl -R` (access + default entries
 *   for the identity), which grows with the number of files.
 *
 * Medians, no assertions. Needs root (throwaway users, mounts); without it every row says
 * why it has no figure. Everything it creates is removed in `finally`.
 *
 * Complements bench/workspace-growth.ts (whole `corral setup` and session open on grown
 * workspaces): this one isolates the two mechanisms. `benchSessionStart()` is for the bench
 * harness; `node dist/bench/session-start.js` runs it alone.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IdmapMapping } from '../runner/linux/idmap.js';
import type { Row } from './per-command.js';
import { summarize, type Timing } from './stats.js';

const SECTION = 'Session start: workspace access (idmap vs ACL grant)';
const SIZES = [1_000, 100_000] as const;
const IDMAP_RUNS = 15;
const ACL_RUNS = 3;
const FILES_PER_DIR = 500;
const CHILD = fileURLToPath(new URL('./session-start-child.js', import.meta.url));

interface Account {
  name: string;
  uid: number;
  gid: number;
}

function createAccount(role: string): Account {
  const name = `ctbn${randomBytes(3).toString('hex')}${role}`;
  execFileSync('useradd', ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { stdio: 'pipe' });
  return {
    name,
    uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' })),
  };
}

function removeAccount(account: Account | undefined): void {
  if (account === undefined) return;
  try {
    execFileSync('userdel', [account.name], { stdio: 'pipe' });
  } catch (err) {
    console.error(`bench: could not remove ${account.name}: ${(err as Error).message}`);
  }
}

/** `files` small files in directories of FILES_PER_DIR, all owned by `owner`. */
function generateWorkspace(dir: string, files: number, owner: Account): void {
  mkdirSync(dir);
  chownSync(dir, owner.uid, owner.gid);
  for (let d = 0; d * FILES_PER_DIR < files; d++) {
    const sub = join(dir, `d${d}`);
    mkdirSync(sub);
    chownSync(sub, owner.uid, owner.gid);
    for (let f = d * FILES_PER_DIR; f < Math.min(files, (d + 1) * FILES_PER_DIR); f++) {
      const p = join(sub, `f${f}.txt`);
      writeFileSync(p, 'x\n', { mode: 0o644 });
      chownSync(p, owner.uid, owner.gid);
    }
  }
}

function timeIdmap(path: string, mapping: IdmapMapping): Timing {
  const arg = Buffer.from(JSON.stringify({ path, mapping })).toString('base64');
  const samples: number[] = [];
  for (let i = 0; i < IDMAP_RUNS + 1; i++) {
    const out = execFileSync('unshare', ['--mount', '--propagation', 'private', process.execPath, CHILD, arg], { encoding: 'utf8' });
    if (i > 0) samples.push(Number(out)); // first run warms the page cache
  }
  return summarize(samples);
}

function timeAclGrant(path: string, identity: Account): Timing {
  const entries = `u:${identity.uid}:rwX,d:u:${identity.uid}:rwX`;
  const samples: number[] = [];
  for (let i = 0; i < ACL_RUNS; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync('setfacl', ['-R', '-m', entries, path], { stdio: 'pipe' });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    execFileSync('setfacl', ['-R', '-b', path], { stdio: 'pipe' }); // untimed: back to no ACL
  }
  return summarize(samples);
}

function unavailable(note: string): Row[] {
  return SIZES.flatMap((n) => [
    { section: SECTION, name: `idmap, ${n} files`, timing: null, note },
    { section: SECTION, name: `acl grant, ${n} files`, timing: null, note },
  ]);
}

export async function benchSessionStart(): Promise<Row[]> {
  if (process.platform !== 'linux') return unavailable('Linux only');
  if (process.getuid?.() !== 0) return unavailable('needs root (throwaway users and mounts)');
  let real: Account | undefined;
  let identity: Account | undefined;
  const root = mkdtempSync('/tmp/ctest-bench-ws-');
  try {
    real = createAccount('r');
    identity = createAccount('i');
    const mapping: IdmapMapping = { uid: { real: real.uid, identity: identity.uid }, gid: { real: real.gid, identity: identity.gid } };
    const rows: Row[] = [];
    for (const n of SIZES) {
      const ws = join(root, `ws${n}`);
      generateWorkspace(ws, n, real);
      rows.push({ section: SECTION, name: `idmap, ${n} files`, timing: timeIdmap(ws, mapping), note: 'per session' });
      rows.push({ section: SECTION, name: `acl grant, ${n} files`, timing: timeAclGrant(ws, identity), note: 'once per workspace (setfacl -R)' });
      rmSync(ws, { recursive: true, force: true });
    }
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
    removeAccount(real);
    removeAccount(identity);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { renderRows } = await import('./report.js');
  console.log(renderRows(await benchSessionStart()));
}
