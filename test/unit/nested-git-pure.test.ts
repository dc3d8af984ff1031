/**
 * Nested git protection, pure parts: the index parser against indexes the machine's real git
 * writes (versions 2, 3 and 4, a submodule among them), and the plan over a fake tree.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { indexGitlinks } from '../../runner/linux/git-index.js';
import { planNestedGit, submodulePaths } from '../../runner/linux/nested-git.js';
import type { Kind, ProtectionStep, WalkFacts } from '../../runner/linux/protected-paths.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'protocol.file.allow=always', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

describe('git index gitlinks (indexes written by the real git)', function () {
  let dir = '';
  before(function () {
    dir = mkdtempSync(`${tmpdir()}/corral-index-`);
    execFileSync('git', ['init', '-q', `${dir}/lib`]);
    git(`${dir}/lib`, 'commit', '-q', '--allow-empty', '-m', 'i');
    execFileSync('git', ['init', '-q', `${dir}/sup`]);
    const sup = `${dir}/sup`;
    execFileSync('sh', ['-c', 'mkdir -p a/b deep/er && echo x > a/b/file && echo y > deep/er/long-name-of-a-file-to-pad.txt && echo z > top'], { cwd: sup });
    git(sup, 'add', '.');
    git(sup, 'submodule', 'add', '-q', '../lib', 'deep/er/sub');
    git(sup, 'submodule', 'add', '-q', '../lib', 'zz');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const version of ['2', '3', '4']) {
    it(`finds exactly the submodules in an index of version ${version}`, function () {
      const sup = `${dir}/sup`;
      git(sup, 'update-index', '--index-version', version);
      if (version === '3') {
        execFileSync('sh', ['-c', 'echo n > new'], { cwd: sup });
        git(sup, 'add', '-N', 'new'); // intent-to-add: an entry with extended flags
      }
      const index = readFileSync(`${sup}/.git/index`);
      assert.equal(index.readUInt32BE(4), Number(version));
      assert.deepEqual(indexGitlinks(index), ['deep/er/sub', 'zz']);
    });
  }

  it('yields nothing (or what it read) for a malformed or truncated index, never throws', function () {
    const index = readFileSync(`${dir}/sup/.git/index`);
    assert.deepEqual(indexGitlinks(Buffer.from('not an index')), []);
    for (let cut = 0; cut < index.length; cut += 7) indexGitlinks(index.subarray(0, cut));
    const lying = Buffer.from(index);
    lying.writeUInt32BE(0xffffffff, 8); // claims 4 billion entries
    assert.deepEqual(indexGitlinks(lying).slice(0, 2), ['deep/er/sub', 'zz']);
  });
});

describe('.gitmodules paths', function () {
  it('takes path lines, quoted or not, and drops any that leave the repository', function () {
    const text = '[submodule "a"]\n\tpath = libs/a\n\turl = x\n[submodule "b"]\n  path = "b c"\n[submodule "e"]\n\tpath = ../../etc\n\tpath = /etc\n\tpath = a/./b\n\tpath = a//b\n';
    assert.deepEqual(submodulePaths(text), ['libs/a', 'b c']);
  });
});

/** A fake tree: paths to kinds, `.git` files' and `.gitmodules` text, listing derived from the paths. */
function tree(entries: Record<string, Kind | string>): WalkFacts {
  const kindOf = (p: string): Kind => {
    const v = entries[p];
    if (v === undefined) return 'missing';
    return v === 'dir' || v === 'symlink' || v === 'other' || v === 'file' ? v : 'file';
  };
  return {
    kind: kindOf,
    readText: (p) => {
      const v = entries[p];
      if (typeof v !== 'string' || kindOf(p) !== 'file') throw new Error('ENOENT');
      return v;
    },
    readBytes: (p) => {
      const v = entries[p];
      if (typeof v !== 'string' || kindOf(p) !== 'file') throw new Error('ENOENT');
      return Buffer.from(v);
    },
    canonical: (p) => (kindOf(p) === 'missing' ? null : p),
    list: (dir) =>
      Object.keys(entries)
        .filter((p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/'))
        .map((p) => ({ name: p.slice(dir.length + 1), kind: kindOf(p) as 'dir' | 'file' | 'symlink' | 'other' })),
  };
}

describe('nested git plan', function () {
  const W = '/w';
  const rootGit: ProtectionStep[] = [{ op: 'bind', path: `${W}/.git` }];

  it('binds nested .git entries and the git directories they name, pins every directory on the way', function () {
    const facts = tree({
      [W]: 'dir',
      [`${W}/.git`]: 'dir',
      [`${W}/.git/modules`]: 'dir',
      [`${W}/vendor`]: 'dir',
      [`${W}/vendor/lib`]: 'dir',
      [`${W}/vendor/lib/.git`]: 'dir',
      [`${W}/ext`]: 'dir',
      [`${W}/ext/sub`]: 'dir',
      [`${W}/ext/sub/.git`]: 'gitdir: ../../.git/modules/sub\n',
      [`${W}/.git/modules/sub`]: 'dir',
      [`${W}/wt`]: 'dir',
      [`${W}/wt/x`]: 'dir',
      [`${W}/wt/x/.git`]: 'gitdir: ../../gd\n',
      [`${W}/gd`]: 'dir',
    });
    const plan = planNestedGit({ writableRoots: [W], protection: rootGit }, facts);
    assert.deepEqual(plan.steps, [
      { op: 'pin', path: `${W}/ext` },
      { op: 'pin', path: `${W}/vendor` },
      { op: 'pin', path: `${W}/wt` },
      { op: 'pin', path: `${W}/ext/sub` },
      { op: 'pin', path: `${W}/vendor/lib` },
      { op: 'pin', path: `${W}/wt/x` },
      { op: 'bind', path: `${W}/vendor/lib/.git` },
      { op: 'bind', path: `${W}/ext/sub/.git` }, // its gitdir lies in the bound root .git already
      { op: 'bind', path: `${W}/wt/x/.git` },
      { op: 'bind', path: `${W}/gd` },
    ]);
    // Every work tree found, the root's own first: git's safe.directory in the session.
    assert.deepEqual(plan.repositories, [W, `${W}/vendor/lib`, `${W}/ext/sub`, `${W}/wt/x`]);
    assert.deepEqual(plan.warnings, []);
  });

  it('reserves the .git of an empty submodule directory, or the first missing directory of its path', function () {
    const facts = tree({
      [W]: 'dir',
      [`${W}/.gitmodules`]: '[submodule "a"]\n\tpath = libs/a\n[submodule "b"]\n\tpath = gone/deeper/b\n[submodule "c"]\n\tpath = afile/c\n[submodule "d"]\n\tpath = ../../etc\n',
      [`${W}/libs`]: 'dir',
      [`${W}/libs/a`]: 'dir',
      [`${W}/afile`]: 'file-content',
    });
    const plan = planNestedGit({ writableRoots: [W], protection: rootGit }, facts);
    assert.deepEqual(plan.steps, [
      { op: 'pin', path: `${W}/libs` },
      { op: 'pin', path: `${W}/libs/a` },
      { op: 'reserve', root: `${W}/libs/a`, name: '.git', kind: 'dir' },
      { op: 'reserve', root: W, name: 'gone', kind: 'dir' },
    ]);
    assert.match(plan.warnings.join('\n'), /afile\/c is blocked by \/w\/afile/);
  });

  it('pins the parents of deep protected paths from the first-level plan, never the root or paths outside it', function () {
    const facts = tree({ [W]: 'dir', [`${W}/a`]: 'dir', [`${W}/a/b`]: 'dir', [`${W}/a/b/secret.env`]: 'x' });
    const protection: ProtectionStep[] = [
      { op: 'bind', path: `${W}/a/b/secret.env` },
      { op: 'reserve', root: `${W}/a`, name: '.keep', kind: 'file' },
      { op: 'bind', path: '/elsewhere/deep/x' },
      { op: 'bind', path: `${W}/top` },
    ];
    const plan = planNestedGit({ writableRoots: [W], protection }, facts);
    assert.deepEqual(plan.steps, [
      { op: 'pin', path: `${W}/a` },
      { op: 'pin', path: `${W}/a/b` },
    ]);
  });

  it('does not descend into .git, node_modules or links, and says when the walk was cut', function () {
    const entries: Record<string, Kind | string> = {
      [W]: 'dir',
      [`${W}/node_modules`]: 'dir',
      [`${W}/node_modules/pkg`]: 'dir',
      [`${W}/node_modules/pkg/.git`]: 'dir',
      [`${W}/link`]: 'symlink',
    };
    let deep = W;
    for (let i = 0; i < 20; i++) {
      deep = `${deep}/d`;
      entries[deep] = 'dir';
    }
    entries[`${deep}/.git`] = 'dir';
    const plan = planNestedGit({ writableRoots: [W], protection: [] }, tree(entries));
    assert.deepEqual(plan.steps, []);
    assert.match(plan.warnings.join('\n'), /stopped/);
  });
});
