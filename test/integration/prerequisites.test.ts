/**
 * Missing prerequisites, for real (root): each tool is hidden from a `corral setup` run in a
 * private mount namespace (util-linux `unshare`; /dev/null bound over the binary, so it is
 * no longer executable there), and setup must stop with tool_missing (exit 5) naming the
 * Debian package, having changed nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { CLI } from './helpers/provision.js';

const isRoot = () => process.getuid?.() === 0;

function which(tool: string): string {
  return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).trim();
}

describe('setup without a prerequisite (root, private mount namespace)', function () {
  this.timeout(60_000);
  let ws = '';
  const instance = `ctpre${Math.floor(Math.random() * 1e6)}`;

  before(function () {
    if (!isRoot()) this.skip(); // needs root: mount namespaces
    ws = mkdtempSync('/tmp/corral-prereq-');
    mkdirSync(`${ws}/w`);
  });
  after(() => {
    if (ws !== '') rmSync(ws, { recursive: true, force: true });
  });

  for (const [tool, pkg] of [
    ['nft', 'nftables'],
    ['setfacl', 'acl'],
    ['visudo', 'sudo'],
    ['useradd', 'passwd'],
    ['mkfs.ext4', 'e2fsprogs'],
  ] as const) {
    it(`names the package ${pkg} when ${tool} is missing, exits 5 and changes nothing`, function () {
      const bin = which(tool);
      const r = spawnSync(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind /dev/null "$1" && shift && exec "$@"', 'sh', bin, process.execPath, CLI, 'setup', '--yes', '--workspace', `${ws}/w`],
        { encoding: 'utf8', env: { ...process.env, CORRAL_INSTANCE: instance, CI: 'true' } },
      );
      assert.equal(r.status, 5, `exit ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`\\b${tool}\\b.*\\b${pkg}\\b`), r.stderr);
      assert.match(r.stderr, /\[tool_missing\]/);
      assert.equal(existsSync(`/var/lib/${instance}`), false, 'nothing was provisioned');
      assert.equal(spawnSync('getent', ['group', instance]).status, 2, 'no group was created');
    });
  }
});
