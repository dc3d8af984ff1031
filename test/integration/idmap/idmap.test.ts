/**
 * Real idmapped mounts (root): throwaway users, a throwaway workspace under /tmp, every
 * mount made inside a throwaway mount namespace (`unshare --mount`) by mount-child.ts.
 * Asserts what is on disk afterwards, as seen from the host.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCorralError } from '../../../core/errors.js';
import { idmapWorkspace, tryIdmapDetached, type IdmapMapping } from '../../../runner/linux/idmap.js';
import { probeWorkspaceAccess } from '../../../runner/linux/idmap-probe.js';
import type { Step, StepResult } from './mount-child.js';
import { asUser, createTestUser, removeTestUser, type TestUser } from './users.js';

const CHILD = fileURLToPath(new URL('./mount-child.js', import.meta.url));

function inThrowawayNamespace(steps: Step[]): StepResult[] {
  const script = Buffer.from(JSON.stringify(steps)).toString('base64');
  const out = execFileSync('unshare', ['--mount', '--propagation', 'private', process.execPath, CHILD, script], { encoding: 'utf8' });
  return JSON.parse(out) as StepResult[];
}

function run(r: StepResult | undefined): { status: number | null; stdout: string; stderr: string } {
  assert.ok(r !== undefined && r.op === 'run', `expected a run result, got ${JSON.stringify(r)}`);
  return r;
}

function mountOp(r: StepResult | undefined): { ok: boolean; value?: unknown; error?: { code?: string; message: string } } {
  assert.ok(r !== undefined && (r.op === 'idmap' || r.op === 'trial' || r.op === 'probe'), `expected a mount result, got ${JSON.stringify(r)}`);
  return r;
}

/** Append `text` to `file` as `user` (path and text passed as argv data). */
function append(user: TestUser, file: string, text: string): Step {
  return { op: 'run', argv: asUser(user, ['sh', '-c', 'printf %s "$2" >> "$1"', 'sh', file, text]) };
}

function hostMountinfo(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}

/** Files under `dir` that carry extended ACL entries (getfacl -s skips base-only files). */
function extendedAcls(dir: string): string {
  return execFileSync('getfacl', ['-R', '-s', '-p', dir], { encoding: 'utf8' });
}

describe('idmapped workspace mount (Linux, root)', function () {
  let real: TestUser | undefined;
  let identity: TestUser | undefined;
  let third: TestUser | undefined;
  let root: string | undefined;
  let ws = '';
  let mapping: IdmapMapping;

  before(function () {
    if (process.platform !== 'linux') {
      console.log('    skipped: idmapped mounts are Linux-only');
      this.skip();
    }
    if (process.getuid?.() !== 0) {
      console.log('    skipped: needs root (useradd, mounts)');
      this.skip();
    }
    real = createTestUser('r');
    identity = createTestUser('i');
    third = createTestUser('t');
    mapping = { uid: { real: real.uid, identity: identity.uid }, gid: { real: real.gid, identity: identity.gid } };
    root = mkdtempSync('/tmp/ctest-idmap-');
    chmodSync(root, 0o755);
    ws = join(root, 'ws');
    mkdirSync(ws, { mode: 0o755 });
    chownSync(ws, real.uid, real.gid);
  });

  after(function () {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    removeTestUser(real);
    removeTestUser(identity);
    removeTestUser(third);
  });

  function realFile(name: string, mode: number, content: string): string {
    const p = join(ws, name);
    writeFileSync(p, content);
    chownSync(p, real!.uid, real!.gid);
    chmodSync(p, mode);
    return p;
  }

  it('lets the identity write the real user\'s 0644 files (also cp -p copies) and stores its new files as the real user\'s', function () {
    const plain = realFile('plain-0644.txt', 0o644, 'plain\n');
    const copied = join(ws, 'copied-p.txt');
    execFileSync(asUser(real!, ['cp', '-p', plain, copied])[0]!, asUser(real!, ['cp', '-p', plain, copied]).slice(1));
    assert.equal(statSync(copied).mode & 0o777, 0o644);
    const created = join(ws, 'made-by-identity.txt');
    const sub = join(ws, 'sub');
    const aclsBefore = extendedAcls(ws);

    const results = inThrowawayNamespace([
      append(identity!, plain, 'control\n'), // before the mount: must be refused
      { op: 'idmap', path: ws, mapping },
      { op: 'mounts' },
      { op: 'run', argv: asUser(identity!, ['stat', '-c', '%u:%g', plain]) },
      append(identity!, plain, 'identity\n'),
      append(identity!, copied, 'identity\n'),
      append(identity!, created, 'new\n'),
      { op: 'run', argv: asUser(identity!, ['mkdir', sub]) },
      { op: 'run', argv: asUser(identity!, ['mv', created, join(sub, 'moved.txt')]) },
      { op: 'run', argv: asUser(identity!, ['cp', join(sub, 'moved.txt'), created]) },
    ]);

    assert.notEqual(run(results[0]).status, 0, 'without the idmapped mount the identity must not write the file');
    assert.equal(mountOp(results[1]).ok, true, JSON.stringify(results[1]));
    const inside = results[2]!.op === 'mounts' ? results[2]!.mountinfo : '';
    assert.ok(inside.split('\n').some((l) => l.split(' ')[4] === ws && l.includes('idmapped')), `no idmapped mount at ${ws}:\n${inside}`);
    assert.equal(run(results[3]).stdout.trim(), `${identity!.uid}:${identity!.gid}`, 'real user\'s file seen as the identity\'s');
    for (const [i, what] of [[4, 'plain 0644'], [5, 'cp -p copy'], [6, 'new file'], [7, 'mkdir'], [8, 'mv'], [9, 'cp']] as const) {
      const r = run(results[i]);
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    }

    // On disk, seen from the host.
    assert.equal(readFileSync(plain, 'utf8'), 'plain\nidentity\n');
    assert.equal(readFileSync(copied, 'utf8'), 'plain\nidentity\n');
    for (const p of [created, sub, join(sub, 'moved.txt')]) {
      const st = statSync(p);
      assert.deepEqual([st.uid, st.gid], [real!.uid, real!.gid], `${p} should belong to the real user on disk`);
    }
    assert.ok(!hostMountinfo().includes(ws), 'nothing of the session may stay mounted');
    assert.equal(aclsBefore, '');
    assert.equal(extendedAcls(ws), '', 'no ACL entries may be added to the workspace');
  });

  it('keeps third-user files read-only (not removable either) whatever their mode, and real-user files of a foreign group too (documented limitation)', function () {
    const t644 = join(ws, 'third-0644.txt');
    const t666 = join(ws, 'third-0666.txt');
    for (const [p, mode] of [[t644, 0o644], [t666, 0o666]] as const) {
      writeFileSync(p, 'third\n');
      chownSync(p, third!.uid, third!.gid);
      chmodSync(p, mode);
    }
    const foreignGroup = realFile('real-foreign-group.txt', 0o664, 'rg\n');
    chownSync(foreignGroup, real!.uid, third!.gid);

    const results = inThrowawayNamespace([
      { op: 'idmap', path: ws, mapping },
      append(identity!, t644, 'x'),
      append(identity!, t666, 'x'),
      append(identity!, foreignGroup, 'x'),
      { op: 'run', argv: asUser(identity!, ['rm', '-f', t666]) },
      // A third user's file is still readable when its mode says so.
      { op: 'run', argv: asUser(identity!, ['cat', t644]) },
    ]);
    assert.equal(mountOp(results[0]).ok, true);
    assert.notEqual(run(results[1]).status, 0, 'third user 0644 file must stay read-only');
    assert.notEqual(run(results[2]).status, 0, 'third user 0666 file must stay read-only (unmapped owner)');
    assert.notEqual(run(results[3]).status, 0, 'real-user file with an unmapped group is read-only');
    // Stricter than the real user's own rights: the kernel refuses to unlink an inode whose
    // owner has no mapping in the mount (may_delete: HAS_UNMAPPED_ID).
    assert.notEqual(run(results[4]).status, 0, 'a third user\'s file cannot even be removed in the session');
    assert.equal(run(results[5]).stdout, 'third\n');
    assert.equal(readFileSync(t644, 'utf8'), 'third\n');
    assert.equal(readFileSync(t666, 'utf8'), 'third\n');
    assert.equal(readFileSync(foreignGroup, 'utf8'), 'rg\n');
    assert.ok(!hostMountinfo().includes(ws));
  });

  it('keeps the real user\'s files of a supplementary group writable when that group is mapped (extraGids), and only those', function () {
    // real is a member of `third`'s group; `identity`'s group stands for one real is not in.
    execFileSync('usermod', ['-a', '-G', third!.name, real!.name]);
    const shared = realFile('real-shared-group.txt', 0o664, 'shared\n');
    chownSync(shared, real!.uid, third!.gid);
    const sharedDir = join(ws, 'setgid-dir');
    mkdirSync(sharedDir);
    chownSync(sharedDir, real!.uid, third!.gid);
    chmodSync(sharedDir, 0o2775);
    const created = join(sharedDir, 'new.txt');
    const results = inThrowawayNamespace([
      { op: 'idmap', path: ws, mapping: { ...mapping, extraGids: [third!.gid, 0, real!.gid] } },
      append(identity!, shared, 'more\n'),
      append(identity!, created, 'new\n'),
      { op: 'run', argv: asUser(identity!, ['chgrp', String(third!.gid), join(ws, 'plain-0644.txt')]) },
    ]);
    assert.equal(mountOp(results[0]).ok, true, JSON.stringify(results[0]));
    assert.equal(run(results[1]).status, 0, run(results[1]).stderr);
    assert.equal(run(results[2]).status, 0, run(results[2]).stderr);
    assert.notEqual(run(results[3]).status, 0, 'the identity is not a member of the mapped group: chgrp to it is refused');
    assert.equal(readFileSync(shared, 'utf8'), 'shared\nmore\n');
    const st = statSync(created);
    assert.deepEqual([st.uid, st.gid], [real!.uid, third!.gid], 'created in a setgid directory: real user, the directory\'s group');
  });

  it('never maps uid 0 or gid 0', function () {
    for (const bad of [
      { uid: { real: 0, identity: identity!.uid }, gid: mapping.gid },
      { uid: mapping.uid, gid: { real: 0, identity: identity!.gid } },
      { uid: { real: real!.uid, identity: 0 }, gid: mapping.gid },
    ]) {
      assert.throws(() => idmapWorkspace(ws, bad), (err: unknown) => isCorralError(err, 'runner_failed'));
    }
    const d = probeWorkspaceAccess(ws, { uid: { real: 0, identity: identity!.uid }, gid: { real: 0, identity: identity!.gid } });
    assert.equal(d.access, 'acl');
  });

  it('checks the cloned tree itself: a directory of another owner or a symlink is refused, nothing is mounted', function () {
    const before = hostMountinfo();
    const foreign = join(root!, 'foreign');
    mkdirSync(foreign);
    chownSync(foreign, third!.uid, third!.gid);
    assert.throws(() => tryIdmapDetached(foreign, mapping), (err: unknown) => isCorralError(err, 'workspace_not_owned'));
    const link = join(root!, 'link');
    symlinkSync(foreign, link);
    assert.throws(() => tryIdmapDetached(link, mapping), (err: unknown) => isCorralError(err));
    assert.equal(hostMountinfo(), before);
  });

  it('probes without attaching anything: idmap on this ext4 workspace', function () {
    const before = hostMountinfo();
    const d = probeWorkspaceAccess(ws, mapping);
    assert.equal(d.access, 'idmap', d.reason);
    assert.equal(hostMountinfo(), before, 'the probe must leave the mount table as it was');
  });

  it('falls back to acl on a filesystem that cannot idmap (ramfs), saying why', function () {
    const ram = join(root!, 'ram');
    mkdirSync(ram);
    const results = inThrowawayNamespace([
      { op: 'run', argv: ['mount', '-t', 'ramfs', 'ctest-ramfs', ram] },
      { op: 'run', argv: ['chown', `${real!.uid}:${real!.gid}`, ram] },
      { op: 'probe', path: ram, mapping },
      { op: 'idmap', path: ram, mapping },
    ]);
    assert.equal(run(results[0]).status, 0, run(results[0]).stderr);
    assert.equal(run(results[1]).status, 0, run(results[1]).stderr);
    const probe = mountOp(results[2]);
    assert.equal(probe.ok, true);
    const d = probe.value as { access: string; reason: string };
    assert.equal(d.access, 'acl');
    assert.match(d.reason, /EINVAL/);
    assert.match(d.reason, /ramfs/);
    const attempt = mountOp(results[3]);
    assert.equal(attempt.ok, false);
    assert.equal(attempt.error?.code, 'runner_failed');
    assert.ok(!hostMountinfo().includes(ram));
  });
});
