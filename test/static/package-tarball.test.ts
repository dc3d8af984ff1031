/**
 * The npm package built here carries what its Windows runner loads (issue 12, item 5k). koffi is
 * a bundled dependency (package.json `bundleDependencies`), so `npm pack` puts node_modules/koffi
 * and the koffi platform packages present at build time into the tarball: on a machine prepared
 * by scripts/prepare.sh (scripts/prepare-koffi-win32.sh) that includes @koromix/koffi-win32-x64
 * and its win32_x64/koffi.node — the very files dist/package-digests.json lists, so that Windows
 * setup's staged, digest-checked copy finds them in an installed tarball (npm does not fetch a
 * bundled dependency again). Without the bundle the tarball held no koffi at all, and npm on
 * Windows would fetch one whose files the build never hashed.
 *
 * The file list is npm's own (`npm pack --dry-run --json`: nothing is written).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIGEST_LIST_FILE, KOFFI_TREE, KOFFI_WIN32_TREE } from '../../orchestrator/provision/windows/package-digests.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WIN32_BINARY = `${KOFFI_WIN32_TREE}/win32_x64/koffi.node`;

describe('package: the npm tarball carries koffi and its win32-x64 binary (5k)', function () {
  this.timeout(120_000);
  let packed: Set<string>;

  before(() => {
    // On Windows npm is npm.cmd, which Node starts only through a shell (fixed arguments here).
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      shell: process.platform === 'win32',
    });
    const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
    packed = new Set(pack!.files.map((f) => f.path));
  });

  it('bundles koffi, pinned to one exact version, and nothing else of node_modules', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { bundleDependencies?: string[]; dependencies: Record<string, string> };
    assert.deepEqual(pkg.bundleDependencies, ['koffi']);
    assert.match(pkg.dependencies.koffi!, /^\d+\.\d+\.\d+$/);
    assert.ok(packed.has(`${KOFFI_TREE}/package.json`) && packed.has(`${KOFFI_TREE}/index.js`), 'koffi itself is in the tarball');
    const others = [...packed].filter((p) => p.startsWith('node_modules/') && !p.startsWith(`${KOFFI_TREE}/`) && !p.startsWith('node_modules/@koromix/koffi-'));
    assert.deepEqual(others, []);
  });

  it('holds every node_modules file the build-time digest list names (what Windows setup stages from an installed tarball)', () => {
    const list = JSON.parse(readFileSync(join(repo, DIGEST_LIST_FILE), 'utf8')) as { files: Record<string, string> };
    const listed = Object.keys(list.files).filter((name) => name.startsWith('node_modules/'));
    assert.ok(listed.length > 0);
    assert.deepEqual(listed.filter((name) => !packed.has(name)), []);
  });

  it("holds koffi's win32-x64 binary (node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node)", function () {
    // Not prepared on this machine: scripts/prepare.sh puts it there (CI and .ci/run always run it).
    if (!existsSync(join(repo, KOFFI_WIN32_TREE))) this.skip();
    assert.ok(packed.has(WIN32_BINARY), `${WIN32_BINARY} is not in the tarball`);
    assert.ok(packed.has(`${KOFFI_WIN32_TREE}/package.json`));
  });
});
