/**
 * Windows setup runs elevated code and copies the runner only from a verified copy of the
 * package (orchestrator/provision/windows/package-digests.ts): real files in temp folders, on
 * every OS.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDigestList, DIGEST_LIST_FILE, readDigestList, stageVerifiedPackage } from '../../orchestrator/provision/windows/package-digests.js';
import { refusePackageInWorkspace } from '../../orchestrator/provision/windows/provisioner.js';

function refusedWith(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error & { code?: string }) => err.code === 'package_unverified' && pattern.test(err.message));
}

describe('windows setup: the verified package copy (5j)', () => {
  let pkg: string;
  let staging: string;

  beforeEach(() => {
    pkg = mkdtempSync(join(tmpdir(), 'corral-pkg-'));
    staging = mkdtempSync(join(tmpdir(), 'corral-staging-'));
    const files: Record<string, string> = {
      'package.json': '{"name":"corral"}',
      'dist/runner/main.js': 'runner',
      'dist/orchestrator/x.js': 'orchestrator',
      'ps-module/Corral/Corral.psd1': '@{}',
      'orchestrator/provision/windows/elevated-host.ps1': 'host',
      'node_modules/koffi/index.js': 'koffi',
      'node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node': 'win32 binary',
      'node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node': 'the build machine binary',
      'dist/test/not-shipped.js': 'test',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(pkg, name, '..'), { recursive: true });
      writeFileSync(join(pkg, name), text);
    }
    writeFileSync(join(pkg, DIGEST_LIST_FILE), JSON.stringify(buildDigestList(pkg)));
  });
  afterEach(() => {
    rmSync(pkg, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  });

  it('lists the shipped files with their SHA-256 (not tests, not the list itself)', () => {
    const list = readDigestList(pkg);
    assert.deepEqual(Object.keys(list.files), [
      'dist/orchestrator/x.js',
      'dist/runner/main.js',
      'node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node',
      'node_modules/koffi/index.js',
      'orchestrator/provision/windows/elevated-host.ps1',
      'package.json',
      'ps-module/Corral/Corral.psd1',
    ]);
    // sha256('runner')
    assert.equal(list.files['dist/runner/main.js'], createHash('sha256').update('runner').digest('hex'));
    assert.match(list.files['package.json']!, /^[0-9a-f]{64}$/);
  });

  it('stages a byte-identical copy of exactly the listed files', () => {
    const staged = stageVerifiedPackage(pkg, staging);
    try {
      assert.equal(readFileSync(join(staged.root, 'dist/runner/main.js'), 'utf8'), 'runner');
      assert.equal(readFileSync(join(staged.root, 'ps-module/Corral/Corral.psd1'), 'utf8'), '@{}');
      assert.equal(existsSync(join(staged.root, 'dist/test/not-shipped.js')), false);
    } finally {
      staged.remove();
    }
    assert.equal(existsSync(staged.root), false);
  });

  it('refuses a file changed after the build (a session writing node_modules/corral), and leaves no staging copy', () => {
    writeFileSync(join(pkg, 'ps-module/Corral/Corral.psd1'), '@{ RootModule = "evil.psm1" }');
    refusedWith(() => stageVerifiedPackage(pkg, staging), /Corral\.psd1 differs from the package's digest list/);
    assert.deepEqual(readdirSync(staging), []);
  });

  it('refuses a listed file that is missing or became a link', () => {
    rmSync(join(pkg, 'dist/runner/main.js'));
    refusedWith(() => stageVerifiedPackage(pkg, staging), /missing/);
    symlinkSync(join(pkg, 'package.json'), join(pkg, 'dist/runner/main.js'));
    refusedWith(() => stageVerifiedPackage(pkg, staging), /not a regular file/);
  });

  it('refuses a package without a list, or a list naming paths outside the package', () => {
    rmSync(join(pkg, DIGEST_LIST_FILE));
    refusedWith(() => stageVerifiedPackage(pkg, staging), /no digest list/);
    const bad = { version: 1, files: { 'package.json': 'a'.repeat(64), 'dist/runner/../../../x': 'b'.repeat(64) } };
    writeFileSync(join(pkg, DIGEST_LIST_FILE), JSON.stringify(bad));
    refusedWith(() => readDigestList(pkg), /not a relative path/);
  });

  it("lists koffi's win32-x64 binary but not the build machine's own, and refuses a list without the win32 binary (5k)", () => {
    const staged = stageVerifiedPackage(pkg, staging);
    try {
      assert.equal(readFileSync(join(staged.root, 'node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node'), 'utf8'), 'win32 binary');
      assert.equal(existsSync(join(staged.root, 'node_modules/@koromix/koffi-linux-x64')), false);
    } finally {
      staged.remove();
    }
    rmSync(join(pkg, 'node_modules/@koromix/koffi-win32-x64'), { recursive: true });
    writeFileSync(join(pkg, DIGEST_LIST_FILE), JSON.stringify(buildDigestList(pkg)));
    refusedWith(() => stageVerifiedPackage(pkg, staging), /nothing under node_modules\/@koromix\/koffi-win32-x64.*prepare-koffi-win32\.sh/);
    assert.deepEqual(readdirSync(staging), []);
  });

  it('refuses a package that lies inside a workspace (requested or recorded), case-insensitively', () => {
    refusedWith(
      () => refusePackageInWorkspace('C:\\Users\\alice\\src\\app\\node_modules\\corral', ['D:\\other', 'c:\\users\\ALICE\\src\\app']),
      /inside the workspace c:\\users\\ALICE\\src\\app/,
    );
    assert.doesNotThrow(() => refusePackageInWorkspace('C:\\Program Files\\nodejs\\node_modules\\corral', ['C:\\Users\\alice\\src\\app']));
  });
});

