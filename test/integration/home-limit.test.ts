/**
 * limits.homeBytes, the way a user meets it: `corral run` as the member of group corral through
 * the real sudo rule, in a real provisioned installation with two workspaces, the user's config
 * layer setting a 64 MiB home (and a 256 MiB memory limit, so the session's /tmp is 128 MiB).
 * Real writes: dd, fallocate and a Node write past the limit in $HOME end in ENOSPC, while the
 * image on the host's disk holds at most the limit; what was written within it is there in the
 * next session of the same workspace and absent from the other workspace's HOME; /tmp is bounded
 * by its tmpfs size; --remove-workspace takes that workspace's image; teardown leaves no image, no loop device and no mount. The cold-start cost
 * (the session that makes the image, a later one, one after an unmount as after a reboot) is
 * printed, never asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { linuxInstallation } from '../../core/installation.js';
import { homeImagePath, homeImagesDir } from '../../runner/linux/home-image.js';
import { workspaceHomeName } from '../../runner/linux/workspace-home.js';
import { requireRoot, show, TestInstallation, userDir, userFile, type Result } from './helpers/e2e.js';

const MIB = 1024 * 1024;
const HOME_BYTES = 64 * MIB;
const MEMORY_BYTES = 256 * MIB;
const BOUND_MS = 60_000;

/** Loop devices whose backing file names `needle` (from sysfs). */
function loopsBacking(needle: string): string[] {
  const out: string[] = [];
  for (const dev of readdirSync('/sys/block').filter((d) => d.startsWith('loop'))) {
    try {
      if (readFileSync(`/sys/block/${dev}/loop/backing_file`, 'utf8').includes(needle)) out.push(dev);
    } catch {
      // not attached
    }
  }
  return out;
}

const mountsNaming = (needle: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(needle));

describe('limits.homeBytes: a bounded HOME per workspace (root, the member through the sudo rule)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let other = '';
  let torn = false;
  const timings: Record<string, number> = {};

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation();
    other = userDir(inst.user, path.join(inst.user.home, 'ws2'));
    userDir(inst.user, path.join(inst.user.home, '.config'), 0o755);
    const dir = userDir(inst.user, path.join(inst.user.home, '.config', inst.instance), 0o755);
    userFile(inst.user, path.join(dir, 'config.json'), JSON.stringify({ limits: { homeBytes: HOME_BYTES, memoryBytes: MEMORY_BYTES } }));
    await inst.setup(['--workspace', other]);
  });
  after(async () => {
    if (!torn) await inst?.teardown();
  });

  const run = (workspace: string, script: string): Promise<Result> =>
    inst!.corralAs(inst!.user, ['run', '--workspace', workspace, '--', 'sh', '-c', script], { killAfterMs: BOUND_MS, cwd: workspace });
  const installation = () => linuxInstallation(inst!.instance);
  const offlineHome = (workspace: string) => `${inst!.identity('offline').home}/${workspaceHomeName(workspace)}`;
  const image = (workspace: string) => homeImagePath(installation(), inst!.identity('offline').name, workspaceHomeName(workspace));

  async function timed(label: string, workspace: string, script: string): Promise<Result> {
    const t0 = process.hrtime.bigint();
    const r = await run(workspace, script);
    timings[label] = Number(process.hrtime.bigint() - t0) / 1e6;
    return r;
  }

  it('a write past homeBytes in $HOME gets ENOSPC (dd, fallocate, node); the image on the host holds at most homeBytes', async () => {
    const first = await timed('first session (makes the image)', inst!.workspace, 'echo "$HOME"');
    assert.equal(first.status, 0, show(first));
    assert.equal(first.stdout.toString().trim(), offlineHome(inst!.workspace));
    await timed('second session (mounted already)', inst!.workspace, 'true');

    const r = await run(
      inst!.workspace,
      [
        'df -B1 --output=size,target "$HOME" | tail -1',
        'dd if=/dev/zero of="$HOME/dd.bin" bs=1M count=100 2>&1 | grep -o "No space left on device" | head -1; rm -f "$HOME/dd.bin"',
        'fallocate -l 100M "$HOME/fa.bin" 2>&1 | grep -o "No space left on device" | head -1; rm -f "$HOME/fa.bin"',
        `node -e 'try { require("fs").writeFileSync(process.env.HOME + "/node.bin", Buffer.alloc(100 * 1024 * 1024)); console.log("WROTE") } catch (e) { console.log(e.code) }'; rm -f "$HOME/node.bin"`,
      ].join('\n'),
    );
    assert.equal(r.status, 0, show(r));
    const lines = r.stdout.toString().trim().split('\n');
    const [size, target] = lines[0]!.trim().split(/\s+/);
    assert.equal(target, offlineHome(inst!.workspace), 'HOME is a filesystem of its own');
    assert.ok(Number(size) <= HOME_BYTES && Number(size) > HOME_BYTES / 2, `the home's filesystem is ${size} bytes, limit ${HOME_BYTES}`);
    assert.deepEqual(lines.slice(1), ['No space left on device', 'No space left on device', 'ENOSPC'], show(r));
    // The host's filesystem holds the image only, at most homeBytes of it.
    const st = statSync(image(inst!.workspace));
    assert.equal(st.size, HOME_BYTES);
    assert.ok(st.blocks * 512 <= HOME_BYTES, `the image takes ${st.blocks * 512} bytes of the host's disk`);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(statSync(homeImagesDir(installation())).mode & 0o777, 0o700);
  });

  it('what is written within the limit is there in the next session of the workspace, and not in the other workspace\'s HOME', async () => {
    const write = await run(inst!.workspace, 'mkdir -p "$HOME/.cache/tool" && echo kept > "$HOME/.cache/tool/x" && head -c 10485760 /dev/zero > "$HOME/ten-mib"');
    assert.equal(write.status, 0, show(write));
    const again = await run(inst!.workspace, 'cat "$HOME/.cache/tool/x"; wc -c < "$HOME/ten-mib"');
    assert.equal(again.status, 0, show(again));
    assert.equal(again.stdout.toString(), 'kept\n10485760\n');
    const b = await timed('first session of another workspace', other, 'echo "$HOME"; ls -A "$HOME"; df -B1 --output=target "$HOME" | tail -1; cat "$HOME/.cache/tool/x" 2>&1 || echo ABSENT');
    assert.equal(b.status, 0, show(b));
    const out = b.stdout.toString();
    assert.equal(out.split('\n')[0], offlineHome(other));
    assert.match(out, /ABSENT\n$/);
    assert.ok(out.includes(`\n${offlineHome(other)}\n`), `the other workspace's HOME is its own bounded filesystem: ${out}`);
    assert.ok(existsSync(image(other)));
  });

  it('/tmp is bounded too: its private tmpfs, half of limits.memoryBytes (charged to the session\'s memory cgroup)', async () => {
    const r = await run(inst!.workspace, 'df -B1 --output=size /tmp | tail -1; dd if=/dev/zero of=/tmp/big bs=1M count=200 2>&1 | grep -o "No space left on device" | head -1');
    assert.equal(r.status, 0, show(r));
    const [size, error] = r.stdout.toString().trim().split('\n');
    assert.equal(Number(size), MEMORY_BYTES / 2);
    assert.equal(error, 'No space left on device');
  });

  it('after an unmount (as after a reboot) the next session mounts the same image again, data kept, grown to a raised homeBytes', async () => {
    const grown = HOME_BYTES + 32 * MIB;
    userFile(inst!.user, path.join(inst!.user.home, '.config', inst!.instance, 'config.json'), JSON.stringify({ limits: { homeBytes: grown, memoryBytes: MEMORY_BYTES } }));
    execFileSync('umount', [offlineHome(inst!.workspace)]);
    assert.equal(mountsNaming(offlineHome(inst!.workspace)).length, 0);
    const r = await timed('first session after an unmount (mounts again, grows offline)', inst!.workspace, 'cat "$HOME/.cache/tool/x"; df -B1 --output=size "$HOME" | tail -1');
    assert.equal(r.status, 0, show(r));
    const [kept, size] = r.stdout.toString().trim().split('\n');
    assert.equal(kept, 'kept');
    assert.ok(Number(size) > HOME_BYTES && Number(size) <= grown, `the home's filesystem is ${size} bytes after growing to ${grown}`);
    assert.equal(statSync(image(inst!.workspace)).size, grown);
    assert.equal(mountsNaming(offlineHome(inst!.workspace)).length, 1, 'one mount, not two');
    assert.equal(loopsBacking(image(inst!.workspace)).length, 1, 'one loop device for the image');
    const later = await timed('later session', inst!.workspace, 'true');
    assert.equal(later.status, 0, show(later));
    console.log(`      cold start (ms, wall clock of corral run, one each): ${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('; ')}`);
  });

  it('corral status: the bounded homes ok; something else mounted on one is drifted (and its sessions are refused)', async () => {
    type Item = { id: string; state: string; detail?: string; remedy?: string };
    const items = async () => (JSON.parse((await inst!.corral(['status', '--json'])).stdout.toString()) as { items: Item[] }).items;
    const id = (ws: string) => `home-image:${inst!.identity('offline').name}:${ws}`;
    const before = await items();
    assert.equal(before.find((i) => i.id === id(inst!.workspace))?.state, 'ok', JSON.stringify(before));
    // Owned by the identity, so only the image check can tell it is not the bounded home.
    const off = inst!.identity('offline');
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,mode=0700,uid=${off.uid},gid=${off.gid}`, 'corral-test-over', offlineHome(other)]);
    try {
      const after = (await items()).find((i) => i.id === id(other));
      assert.equal(after?.state, 'drifted', JSON.stringify(after));
      assert.match(after?.remedy ?? '', /umount/);
      const r = await run(other, 'echo SHOULD-NOT-RUN');
      assert.notEqual(r.status, 0, show(r));
      assert.doesNotMatch(r.stdout.toString(), /SHOULD-NOT-RUN/);
      assert.match(r.stderr, /not its home image/, show(r));
    } finally {
      execFileSync('umount', [offlineHome(other)]);
    }
  });

  it('setup --remove-workspace unmounts and deletes that workspace\'s image only', async () => {
    const r = await inst!.corral(['setup', '--yes', '--user', inst!.user.name, '--remove-workspace', other], { killAfterMs: BOUND_MS });
    assert.equal(r.status, 0, show(r));
    assert.equal(existsSync(image(other)), false, 'the removed workspace\'s image is left');
    assert.deepEqual(mountsNaming(offlineHome(other)), []);
    for (let i = 0; i < 50 && loopsBacking(image(other)).length > 0; i++) await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(loopsBacking(image(other)), []);
    assert.ok(existsSync(image(inst!.workspace)), 'the other workspace\'s image went too');
    assert.equal(mountsNaming(offlineHome(inst!.workspace)).length, 1);
  });

  it('teardown leaves no image, no loop device and no mount', async () => {
    const images = homeImagesDir(installation());
    assert.ok(loopsBacking(images).length >= 1, 'the image is attached before teardown');
    torn = true;
    await inst!.teardown();
    assert.equal(existsSync(images), false, `${images} is left`);
    assert.deepEqual(mountsNaming(`/${inst!.instance}/`), []);
    // The kernel detaches an autoclear device when its filesystem goes; give it a moment.
    for (let i = 0; i < 50 && loopsBacking(images).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(loopsBacking(images), []);
  });
});
