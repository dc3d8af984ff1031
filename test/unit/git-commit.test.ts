/**
 * Policy `git: "commit"`, pure parts: the layers (a workspace config cannot widen, a machine
 * lock holds, the runner's floor agrees), the plan of a `.git` directory (what stays read-only
 * or is reserved, when it falls back to read-only whole), the notice's decision, the identity
 * parser and its environment, and the request's shape check.
 */
import assert from 'node:assert/strict';
import { parseSessionRequest } from '../../core/request-shape.js';
import { applyFloor, type FloorRequest } from '../../core/policy/floor.js';
import { resolvePolicy } from '../../orchestrator/policy/resolve.js';
import { gitSubcommand, gitWriteRefused, commandNotices } from '../../orchestrator/cli/notices.js';
import { parseGitIdentity } from '../../orchestrator/session/git-identity.js';
import { buildSessionRequest } from '../../orchestrator/session/request.js';
import { commandEnvironment } from '../../runner/linux/environment.js';
import { GIT_CODE_PATHS, planGitCommit } from '../../runner/linux/git-commit.js';
import { planProtection, type Kind, type ProtectionFacts } from '../../runner/linux/protected-paths.js';
import { ctx, errorOf, floorCtx, layer } from '../helpers/policy-fixtures.js';

function facts(tree: Record<string, Kind>): ProtectionFacts {
  return { kind: (p) => tree[p] ?? 'missing', readText: () => '', canonical: (p) => p };
}

const G = '/home/alice/proj/.git';
/** A fresh `git init`'s layout (no branches/, remotes/, modules/, worktrees/, commondir). */
const fresh: Record<string, Kind> = {
  '/home/alice/proj': 'dir',
  [G]: 'dir',
  [`${G}/config`]: 'file',
  [`${G}/hooks`]: 'dir',
  [`${G}/info`]: 'dir',
  [`${G}/objects`]: 'dir',
  [`${G}/objects/info`]: 'dir',
  [`${G}/HEAD`]: 'file',
};

describe('git: "commit" policy layers', () => {
  it('defaults to read, and a user layer may choose commit', () => {
    assert.equal(resolvePolicy([], ctx).policy.git, 'read');
    const r = resolvePolicy([layer('user', { git: 'commit' })], ctx);
    assert.equal(r.policy.git, 'commit');
    assert.deepEqual(r.sources.git, ['user.json']);
    assert.equal(buildSessionRequest('alice', '/home/alice/proj', r).git, 'commit');
    assert.equal(buildSessionRequest('alice', '/home/alice/proj', resolvePolicy([], ctx)).git, undefined);
  });

  it('a workspace layer may narrow to read but never widen to commit', () => {
    const widen = errorOf(() => resolvePolicy([layer('workspace', { git: 'commit' })], ctx));
    assert.equal(widen.code, 'config_invalid');
    assert.match(widen.message, /git/);
    assert.equal(resolvePolicy([layer('user', { git: 'commit' }), layer('workspace', { git: 'read' })], ctx).policy.git, 'read');
  });

  it('a machine lock holds against the user layer, and in the runner\'s floor', () => {
    assert.equal(errorOf(() => resolvePolicy([layer('machine', { locked: ['git'] }), layer('user', { git: 'commit' })], ctx)).code, 'config_locked');
    const req = (git?: 'read' | 'commit'): FloorRequest => ({
      mode: 'workspace-write',
      network: 'offline',
      loopback: 'private',
      workspace: '/home/alice/proj',
      writableRoots: [],
      protected: [],
      denyRead: [],
      limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 4096 },
      ...(git === undefined ? {} : { git }),
    });
    const m = { label: '/etc/corral/config.json', data: { locked: ['git' as const] } };
    assert.equal(errorOf(() => applyFloor(req('commit'), m, floorCtx)).code, 'config_locked');
    assert.equal(applyFloor(req(), m, floorCtx).git, 'read');
    assert.equal(applyFloor(req('commit'), null, floorCtx).git, 'commit');
    const allowed = { label: '/etc/corral/config.json', data: { git: 'commit' as const, locked: ['git' as const] } };
    assert.equal(applyFloor(req('commit'), allowed, floorCtx).git, 'commit');
    assert.notEqual(applyFloor(req('commit'), null, floorCtx).digest, applyFloor(req(), null, floorCtx).digest);
  });
});

describe('git: "commit" plan of a .git directory (runner/linux/git-commit.ts)', () => {
  it('binds what exists and reserves what is missing, every listed entry', () => {
    const plan = planGitCommit(G, facts(fresh));
    assert.ok(plan.ok);
    const byPath = new Map(plan.steps.map((s) => [s.op === 'bind' ? s.path : `${s.root}/${s.name}`, s]));
    for (const entry of GIT_CODE_PATHS) assert.ok(byPath.has(`${G}/${entry.path}`), `${entry.path} is covered`);
    assert.deepEqual(byPath.get(`${G}/config`), { op: 'bind', path: `${G}/config` });
    assert.deepEqual(byPath.get(`${G}/hooks`), { op: 'bind', path: `${G}/hooks` });
    assert.deepEqual(byPath.get(`${G}/modules`), { op: 'reserve', root: G, name: 'modules', kind: 'dir' });
    assert.deepEqual(byPath.get(`${G}/commondir`), { op: 'reserve', root: G, name: 'commondir', kind: 'dot-file' });
    assert.deepEqual(byPath.get(`${G}/objects/info/alternates`), { op: 'reserve', root: `${G}/objects/info`, name: 'alternates', kind: 'file' });
    // Data is never in the plan: objects, refs, index, logs, HEAD stay writable.
    for (const data of ['objects', 'refs', 'index', 'logs', 'HEAD', 'packed-refs']) assert.ok(!byPath.has(`${G}/${data}`), data);
  });

  it('reserves a missing hooks directory and a missing objects/info (instead of the files in it)', () => {
    const tree = { ...fresh };
    delete tree[`${G}/hooks`];
    delete tree[`${G}/objects/info`];
    const plan = planGitCommit(G, facts(tree));
    assert.ok(plan.ok);
    assert.ok(plan.steps.some((s) => s.op === 'reserve' && s.root === G && s.name === 'hooks' && s.kind === 'dir'));
    assert.ok(plan.steps.some((s) => s.op === 'reserve' && s.root === `${G}/objects` && s.name === 'info' && s.kind === 'dir'));
    assert.ok(!plan.steps.some((s) => s.op === 'reserve' && s.root === `${G}/objects/info`));
  });

  it('falls back to read-only whole when a listed entry or objects is a symbolic link', () => {
    assert.equal(planGitCommit(G, facts({ ...fresh, [`${G}/hooks`]: 'symlink' })).ok, false);
    assert.equal(planGitCommit(G, facts({ ...fresh, [`${G}/objects`]: 'symlink' })).ok, false);
    const warnings: string[] = [];
    const steps = planProtection(
      { writableRoots: ['/home/alice/proj'], protectedNames: ['.git'], placeholderKind: () => 'dir', protectedPaths: [], denyRead: [], git: 'commit', warnings },
      facts({ ...fresh, [`${G}/hooks`]: 'symlink' }),
    );
    assert.deepEqual(steps, [{ op: 'bind', path: G }]);
    assert.match(warnings.join('\n'), /stays read-only: .*hooks is a symbolic link/);
  });

  it('planProtection: .git bound whole under read, planned by entries under commit; a .git file stays read-only under both', () => {
    const input = { writableRoots: ['/home/alice/proj'], protectedNames: ['.git'], placeholderKind: () => 'dir' as const, protectedPaths: [], denyRead: [] };
    assert.deepEqual(planProtection({ ...input, git: 'read' }, facts(fresh)), [{ op: 'bind', path: G }]);
    const commit = planProtection({ ...input, git: 'commit' }, facts(fresh));
    assert.ok(!commit.some((s) => s.op === 'bind' && s.path === G));
    assert.ok(commit.some((s) => s.op === 'bind' && s.path === `${G}/config`));
    const gitFile = { '/home/alice/proj': 'dir' as Kind, [G]: 'file' as Kind };
    assert.deepEqual(planProtection({ ...input, git: 'commit' }, facts(gitFile)), [{ op: 'bind', path: G }]);
  });
});

describe('git: "read" notice (orchestrator/cli/notices.ts)', () => {
  const exit = (status: number) => ({ status, timedOut: false, killed: null });
  it('finds the subcommand past git\'s global options, and in a shell\'s -c script', () => {
    assert.equal(gitSubcommand(['git', 'commit', '-m', 'x']), 'commit');
    assert.equal(gitSubcommand(['/usr/bin/git', '-C', 'sub', '-c', 'a=b', '--no-pager', 'stash']), 'stash');
    assert.equal(gitSubcommand(['sh', '-c', '  git stash push']), 'stash');
    assert.equal(gitSubcommand(['bash', '-lc', 'git add -A']), 'add');
    assert.equal(gitSubcommand(['gitk']), null);
    assert.equal(gitSubcommand(['echo', 'git', 'commit']), null);
  });
  it('says it only for a failed writing git command under read', () => {
    assert.equal(gitWriteRefused(exit(128), { git: 'read', argv: ['git', 'commit', '-m', 'x'] }), true);
    assert.equal(gitWriteRefused(exit(1), { git: 'read', argv: ['git', 'stash'] }), true);
    assert.equal(gitWriteRefused(exit(0), { git: 'read', argv: ['git', 'commit'] }), false);
    assert.equal(gitWriteRefused(exit(128), { git: 'commit', argv: ['git', 'commit'] }), false);
    assert.equal(gitWriteRefused(exit(1), { git: 'read', argv: ['git', 'status'] }), false);
    assert.equal(gitWriteRefused(exit(1), { git: 'read', argv: ['false'] }), false);
    const lines = commandNotices(
      { ...exit(128), exitCode: 128, signal: null, outputTruncated: false, networkUnreachable: false, durationMs: 1, connections: [], violations: [], violationsDropped: 0 },
      { limits: { timeoutSec: 600, maxOutputBytes: 1, pids: 8 }, network: 'offline', git: 'read', argv: ['git', 'commit'] },
    );
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /Corral keeps \.git read-only.*git: "read".*"git": "commit"/);
  });
});

describe('git identity (orchestrator/session/git-identity.ts, runner/linux/environment.ts)', () => {
  it('takes user.name and user.email only, the last value winning, dropping lines that are not one line', () => {
    assert.deepEqual(parseGitIdentity('user.name\nAda Lovelace\0user.email\nada@example.org\0'), { name: 'Ada Lovelace', email: 'ada@example.org' });
    assert.deepEqual(parseGitIdentity('user.name\nOld\0user.name\nNew\0'), { name: 'New' });
    assert.deepEqual(parseGitIdentity('user.name\nevil\nGIT_DIR=/x\0core.pager\nsh\0user.email\n\0'), {});
    assert.deepEqual(parseGitIdentity(''), {});
  });
  it('sets GIT_AUTHOR_* and GIT_COMMITTER_* unless the environment has them', () => {
    const base = { home: '/h', tmpdir: '/tmp', identity: 'crl-x', safeDirectories: [] };
    const env = commandEnvironment({}, { ...base, gitIdentity: { name: 'Ada', email: 'ada@example.org' } });
    assert.equal(env.GIT_AUTHOR_NAME, 'Ada');
    assert.equal(env.GIT_COMMITTER_NAME, 'Ada');
    assert.equal(env.GIT_AUTHOR_EMAIL, 'ada@example.org');
    assert.equal(env.GIT_COMMITTER_EMAIL, 'ada@example.org');
    assert.equal(commandEnvironment({ GIT_AUTHOR_NAME: 'Set' }, { ...base, gitIdentity: { name: 'Ada' } }).GIT_AUTHOR_NAME, 'Set');
    assert.equal(commandEnvironment({}, base).GIT_AUTHOR_NAME, undefined);
  });
  it('the runner refuses an identity that is not one line', () => {
    const request = { ...buildSessionRequest('alice', '/home/alice/proj', resolvePolicy([], ctx)) };
    assert.deepEqual(parseSessionRequest({ ...request, gitIdentity: { name: 'Ada', email: 'a@b' } }).gitIdentity, { name: 'Ada', email: 'a@b' });
    assert.throws(() => parseSessionRequest({ ...request, gitIdentity: { name: 'Ada\nX' } }), /gitIdentity\.name/);
    assert.throws(() => parseSessionRequest({ ...request, gitIdentity: { name: 'Ada', other: 'x' } }), /unrecognized key/);
    assert.throws(() => parseSessionRequest({ ...request, git: 'write' }), /request\.git/);
  });
});
