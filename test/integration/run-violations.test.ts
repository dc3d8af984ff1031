/**
 * Violation reports from the kernel (issue 17 items 1–2, the Landlock source), the way a user
 * meets them: `corral run` as the member of group corral through the real sudo rule, in a real
 * provisioned installation. A write the session's Landlock domain refuses appears in
 * `--json`'s `violations`, as one `corral: blocked: …` line on stderr, and in the user's audit
 * log with its command; a command that breaks no rule gets none; the kernel's audit switched
 * off makes `violationSources` say so and changes nothing else.
 *
 * Landlock writes audit records only while the kernel's audit is enabled, which Corral leaves
 * to the administrator: these tests enable it and put back the machine's state after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hex, requireRoot, show, TestInstallation, userDir, userFile, type Result } from './helpers/e2e.js';
import { FLOOD_BACKLOG, kernelAuditState, setKernelAudit, type KernelAudit } from '../helpers/kernel-audit.js';
import { landlockAbi } from '../../runner/linux/landlock.js';
import { LandlockAuditSocket } from '../../runner/linux/landlock-audit.js';
import { AUDIT_LANDLOCK_ACCESS, AUDIT_LANDLOCK_DOMAIN } from '../../runner/linux/landlock-audit-records.js';
import type { ViolationRecord } from '../../core/protocol.js';

interface RunDoc {
  status: number;
  stdout: { encoding: string; data: string };
  violations: ViolationRecord[];
  violationsDropped?: number;
  violationSources: Record<string, string>;
}

/** A python3 child that restricts itself with Landlock (writes handled, none allowed), tries to create `target`, and sends one AUDIT_USER message. */
const DENY_AND_SPEAK = `
import ctypes, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 0))
text = sys.argv[2].encode()
s.send(struct.pack('=IHHII', 16 + len(text), 1105, 1, 1, 0) + text)  # AUDIT_USER: not a Landlock record
attr = ctypes.create_string_buffer(struct.pack('=QQQ', (1 << 1) | (1 << 8), 0, 0))
fd = libc.syscall(444, attr, 24, 0)
libc.prctl(38, 1, 0, 0, 0)
assert libc.syscall(446, fd, 0) == 0
try:
    open(sys.argv[1], 'w')
except PermissionError:
    pass
`;

describe('corral run: violations from the kernel (root, the member through the sudo rule)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let auditBefore: KernelAudit | undefined;
  /** A 0777 directory with a 0666 file outside the workspace: only the sandbox stops a write there (file modes would allow it). */
  const open = `/srv/corral-violations-${hex(4)}`;

  before(async function () {
    requireRoot(this);
    if (landlockAbi() < 7) {
      console.log(`      skipped: Landlock ABI ${landlockAbi()} writes no audit records (ABI 7 does)`);
      this.skip();
    }
    auditBefore = kernelAuditState();
    if (auditBefore.enabled === 2) {
      console.log('      skipped: the kernel audit configuration is locked (audit=2), so the tests cannot switch it');
      this.skip();
    }
    setKernelAudit(1, FLOOD_BACKLOG);
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    writeFileSync(path.join(open, 'f'), 'x\n', { mode: 0o666 });
    chmodSync(path.join(open, 'f'), 0o666);
    inst = new TestInstallation();
    await inst.setup();
  });
  after(async () => {
    rmSync(open, { recursive: true, force: true });
    if (auditBefore !== undefined && auditBefore.enabled !== 2) setKernelAudit(auditBefore.enabled === 0 ? 0 : 1, auditBefore.backlogLimit);
    await inst?.teardown();
  });

  // --fresh: these tests switch the kernel's audit on and off, and a session reads which sources it has
  // when it starts; a kept session (issue 16) would carry the state of the test before.
  const run = (argv: string[], flags: string[] = []): Promise<Result> =>
    inst!.corralAs(inst!.user, ['run', '--fresh', '--workspace', inst!.workspace, ...flags, '--', ...argv], { killAfterMs: 60_000 });
  const doc = (r: Result): RunDoc => JSON.parse(r.stdout.toString()) as RunDoc;

  it('the read-log socket admits Landlock records only: a real denial arrives, a real AUDIT_USER message does not', () => {
    const socket = LandlockAuditSocket.open();
    try {
      const target = `/etc/corral-filter-${hex(4)}`;
      const marker = `corral-filter-test-${hex(4)}`;
      const child = spawnSync('python3', ['-c', DENY_AND_SPEAK, target, marker], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      let records: { type: number; text: string }[] = [];
      for (let i = 0; i < 50 && !records.some((r) => r.text.includes(`path="/etc"`)); i++) {
        records = records.concat(socket.drain());
        spawnSync('sleep', ['0.02']);
      }
      assert.ok(records.some((r) => r.type === AUDIT_LANDLOCK_ACCESS && r.text.includes('blockers=fs.make_reg') && r.text.includes('path="/etc"')), JSON.stringify(records));
      for (const r of records) assert.ok(r.type === AUDIT_LANDLOCK_ACCESS || r.type === AUDIT_LANDLOCK_DOMAIN, `type ${r.type} passed the filter: ${r.text}`);
      assert.ok(!records.some((r) => r.text.includes(marker)), 'the AUDIT_USER message was filtered out');
    } finally {
      socket.close();
    }
  });

  it('a write outside the workspace: --json lists it (kind, target, operation, rule), and the command is told EACCES as before', async () => {
    const r = await run(['sh', '-c', 'echo x > /etc/corral-violation; echo "rc=$?"'], ['--json']);
    const d = doc(r);
    assert.equal(d.status, 0, show(r));
    assert.equal(d.stdout.data, 'rc=2\n', 'the command was refused (dash: exit 2 for a failed redirection)');
    assert.equal(d.violationSources.landlock, 'on');
    const write = d.violations.find((v) => v.target === '/etc');
    assert.ok(write, JSON.stringify(d.violations));
    assert.equal(write.kind, 'write');
    assert.equal(write.operation, 'fs.make_reg');
    assert.equal(write.rule, 'outside the writable roots');
    assert.equal(write.source, 'landlock');
    assert.ok(Math.abs(Date.parse(write.time) - Date.now()) < 600_000, write.time);
  });

  it('streaming: one `corral: blocked:` line per distinct access after the command, none with --quiet-violations, none for a command that breaks no rule', async () => {
    // /etc/hosts (0644, root's): refused by file modes first, which Landlock never sees: no line for it.
    const r = await run(['sh', '-c', `for i in 1 2 3; do true > /usr/corral-v 2>/dev/null; done; echo x >> ${open}/f; echo x >> /etc/hosts; echo ok > inside.txt; echo done`]);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString(), 'done\n');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('corral: blocked:'));
    assert.deepEqual(lines.sort(), ['corral: blocked: create a file in /usr (outside the writable roots)', `corral: blocked: write ${open}/f (outside the writable roots)`], show(r));
    assert.equal(readFileSync(path.join(open, 'f'), 'utf8'), 'x\n', 'the file outside was not written');
    const quiet = await run(['sh', '-c', `echo x >> ${open}/f`], ['--quiet-violations']);
    assert.equal(quiet.status, 2, show(quiet));
    assert.ok(!quiet.stderr.includes('corral: blocked'), show(quiet));
    const clean = await run(['sh', '-c', 'echo ok > inside2.txt; cat /etc/hostname >/dev/null'], ['--json']);
    assert.deepEqual(doc(clean).violations, [], show(clean));
  });

  it('1,000 refused writes in one command: every one is recorded (none dropped), with the kernel backlog the README gives for floods', async () => {
    const r = await run(['sh', '-c', 'i=0; while [ $i -lt 1000 ]; do true > /etc/corral-v-$i 2>/dev/null; i=$((i+1)); done'], ['--json']);
    const d = doc(r);
    assert.equal(d.status, 0, show(r));
    assert.equal(d.violations.length, 1000, `${d.violations.length} recorded, ${d.violationsDropped ?? 0} dropped`);
    assert.equal(d.violationsDropped, undefined);
  });

  it("the user's audit log records the violations with their command", async () => {
    const marker = `v-${hex(4)}`;
    const r = await run(['sh', '-c', `echo ${marker} > /etc/${marker}`]);
    assert.equal(r.status, 2, show(r));
    const log = path.join(inst!.user.home, '.local', 'state', inst!.instance, 'audit.jsonl');
    const record = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { argv?: string[]; violations?: ViolationRecord[] })
      .reverse()
      .find((rec) => rec.argv?.some((a) => a.includes(marker)));
    assert.ok(record, 'the command has an audit record');
    assert.ok(record.violations?.some((v) => v.kind === 'write' && v.target === '/etc'), JSON.stringify(record));
  });

  it('--explain names the smallest change — and applying it makes the same write work; a directory not the user\'s gets "no setting allows it"', async () => {
    const u = inst!.user;
    const theirs = `/srv/corral-explain-${hex(4)}`;
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, u.uid, u.gid);
    try {
      const r = await run(['sh', '-c', `echo x > ${theirs}/f; echo x > /usr/corral-explain`], ['--explain']);
      const explain = r.stderr.split('\n').filter((l) => l.startsWith('corral: explain:'));
      const config = path.join(u.home, '.config', inst!.instance, 'config.json');
      assert.deepEqual(explain, [
        `corral: explain: create a file in ${theirs} — add "${theirs}" to "writableRoots" in ${config} (not applied)`,
        'corral: explain: create a file in /usr — no setting allows it: /usr is not yours (a writable root must be a directory you own) (not applied)',
      ], show(r));
      assert.ok(!existsSync(config), 'nothing was applied');
      const json = doc(await run(['sh', '-c', `echo x > ${theirs}/f`], ['--json', '--explain'])) as RunDoc & { explain: string[] };
      assert.deepEqual(json.explain, [`create a file in ${theirs} — add "${theirs}" to "writableRoots" in ${config} (not applied)`]);
      // The suggestion, applied as the user would: the same write now lands.
      userDir(u, path.join(u.home, '.config'));
      userDir(u, path.dirname(config));
      userFile(u, config, JSON.stringify({ writableRoots: [theirs] }));
      const again = await run(['sh', '-c', `echo x > ${theirs}/f`], ['--json']);
      assert.equal(doc(again).status, 0, show(again));
      assert.equal(readFileSync(path.join(theirs, 'f'), 'utf8'), 'x\n');
      rmSync(config);
    } finally {
      rmSync(theirs, { recursive: true, force: true });
    }
  });

  it("with the kernel's audit off: violationSources says why, violations is empty, and the write is refused as before", async () => {
    setKernelAudit(0, FLOOD_BACKLOG);
    try {
      const r = await run(['sh', '-c', 'echo x > /etc/corral-violation; echo "rc=$?"'], ['--json']);
      const d = doc(r);
      assert.equal(d.status, 0, show(r));
      assert.match(d.violationSources.landlock, /^off: the kernel's audit is disabled/);
      assert.deepEqual(d.violations, []);
      assert.equal((JSON.parse(r.stdout.toString()) as { stdout: { data: string } }).stdout.data, 'rc=2\n', 'the write is still refused');
    } finally {
      setKernelAudit(1, FLOOD_BACKLOG);
    }
  });
});
