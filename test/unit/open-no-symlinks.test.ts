/**
 * Opening paths with no link on them (runner/linux/open-no-symlinks.ts), on real directories
 * and links in a temp dir, through openat2 and through the fallback walk: a link anywhere on
 * the path — first component, middle, last — is refused with ELOOP; a swapped directory is
 * caught by reopenSame; the descriptor names the inode that was there. No root needed.
 */
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forceWalkForTests, isLinkOnPath, openEntryNoFollow, openNoSymlinks, reopenSame } from '../../runner/linux/open-no-symlinks.js';
import { isCorralError } from '../../core/errors.js';

const onLinux = process.platform === 'linux';

for (const mode of ['openat2', 'walk'] as const) {
  describe(`open with no link on the path (${mode})`, function () {
    let root = '';
    before(function () {
      if (!onLinux) this.skip(); // Linux system calls
      forceWalkForTests(mode === 'walk' ? true : undefined);
      root = realpathSync(mkdtempSync(join(tmpdir(), 'corral-nolink-')));
      mkdirSync(join(root, 'a/b/c'), { recursive: true });
      writeFileSync(join(root, 'a/b/file'), 'x');
      mkdirSync(join(root, 'elsewhere/b'), { recursive: true });
      symlinkSync(join(root, 'a'), join(root, 'link-a'));
      symlinkSync(join(root, 'a/b/c'), join(root, 'a/b/link-c'));
      symlinkSync('../elsewhere/b', join(root, 'a/rel'));
    });
    after(function () {
      forceWalkForTests(undefined);
      if (root !== '') rmSync(root, { recursive: true, force: true });
    });

    function opens(path: string, options = {}): string {
      const fd = openNoSymlinks(path, options);
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } finally {
        closeSync(fd);
      }
    }
    function refusedAsLink(path: string, options = {}): void {
      assert.throws(() => openNoSymlinks(path, options), (err: unknown) => isLinkOnPath(err), path);
    }

    it('opens a real path and names exactly its inode', function () {
      assert.equal(opens(join(root, 'a/b/c'), { directory: true }), join(root, 'a/b/c'));
      const fd = openNoSymlinks(join(root, 'a/b/file'));
      try {
        assert.equal(fstatSync(fd).ino, statSync(join(root, 'a/b/file')).ino);
      } finally {
        closeSync(fd);
      }
    });

    it('refuses a link in the middle, at the end, and a relative link', function () {
      refusedAsLink(join(root, 'link-a/b/c'));
      refusedAsLink(join(root, 'a/b/link-c'));
      refusedAsLink(join(root, 'a/b/link-c'), { directory: true });
      refusedAsLink(join(root, 'a/rel'));
      refusedAsLink(join(root, 'a/rel/x'));
    });

    it('refuses a file where a directory is required, and a missing path', function () {
      assert.throws(() => openNoSymlinks(join(root, 'a/b/file'), { directory: true }), /ENOTDIR/);
      assert.throws(() => openNoSymlinks(join(root, 'a/missing')), /ENOENT/);
    });

    it('reopenSame: the same inode passes; a directory swapped for another or for a link is refused as changed', function () {
      const path = join(root, 'a/b/c');
      const st = statSync(path);
      closeSync(reopenSame(path, { dev: st.dev, ino: st.ino }, { directory: true }));
      renameSync(path, join(root, 'a/b/c-old'));
      mkdirSync(path);
      assert.throws(() => reopenSame(path, { dev: st.dev, ino: st.ino }, { directory: true }), (err: unknown) => isCorralError(err, 'workspace_invalid') && /changed/.test((err as Error).message));
      rmSync(path, { recursive: true });
      symlinkSync(join(root, 'a/b/c-old'), path);
      assert.throws(() => reopenSame(path, { dev: st.dev, ino: st.ino }, { directory: true }), (err: unknown) => isCorralError(err, 'workspace_invalid'));
      rmSync(path);
      renameSync(join(root, 'a/b/c-old'), path);
    });

    it('openEntryNoFollow: one name below a descriptor, never a link, never a path', function () {
      const dir = openNoSymlinks(join(root, 'a/b'), { directory: true });
      try {
        closeSync(openEntryNoFollow(dir, 'c', 'c'));
        assert.throws(() => openEntryNoFollow(dir, 'link-c', 'link-c'), (err: unknown) => isLinkOnPath(err));
        assert.throws(() => openEntryNoFollow(dir, 'c/x', 'c/x'), (err: unknown) => isCorralError(err, 'internal'));
        assert.throws(() => openEntryNoFollow(dir, '..', '..'), (err: unknown) => isCorralError(err, 'internal'));
      } finally {
        closeSync(dir);
      }
    });
  });
}
