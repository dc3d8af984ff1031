import assert from 'node:assert/strict';
import {
  accessViolation,
  AUDIT_LANDLOCK_ACCESS,
  AUDIT_LANDLOCK_DOMAIN,
  recordFields,
  SessionDomainFilter,
} from '../../runner/linux/landlock-audit-records.js';
import { landlockRecordFilter } from '../../runner/linux/landlock-audit.js';
import { KERNEL_STAMP_SLACK_MS, landlockSource, SessionViolations, type CommandViolations } from '../../runner/linux/violations.js';
import type { Instruction } from '../../runner/linux/seccomp-program.js';
import { escapeForTerminal, violationLines } from '../../orchestrator/cli/violations.js';
import type { ConnectionRecord, ViolationRecord } from '../../core/protocol.js';
import { explainLines } from '../../orchestrator/cli/explain.js';

// Records as kernel 6.18 wrote them here (test/integration/run-violations.test.ts reads real ones).
const ACCESS = 'audit(1796319834.226:31): domain=1c8daa4f5 blockers=fs.write_file path="/etc/hosts" dev="vda" ino=11856116';
const DOMAIN = (pid: number, domain = '1c8daa4f5') => `audit(1796319834.226:31): domain=${domain} status=allocated mode=enforcing pid=${pid} uid=984 exe="/usr/local/lib/c/bin/node" comm="node"`;

/** Classic BPF as a socket filter runs it: half-word loads in network order. */
function runSocketFilter(program: Instruction[], packet: Buffer): number {
  let acc = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    if (ins.code === 0x28) acc = packet.readUInt16BE(ins.k);
    else if (ins.code === 0x15) pc += acc === ins.k ? ins.jt : ins.jf;
    else if (ins.code === 0x06) return ins.k;
    else throw new Error(`unexpected BPF code ${ins.code}`);
  }
  throw new Error('fell off the end');
}

function nlmsg(type: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(32, 0);
  b.writeUInt16LE(type, 4); // host order, as the kernel writes it on x86_64/arm64
  return b;
}

describe('violations: Landlock audit records', () => {
  it('reads quoted, bare and hex-encoded fields (the kernel writes a path with a space or control byte as hex)', () => {
    const f = recordFields(ACCESS);
    assert.equal(f.get('domain'), '1c8daa4f5');
    assert.equal(f.get('blockers'), 'fs.write_file');
    assert.equal(f.get('path'), '/etc/hosts');
    const hex = Buffer.from('/etc/a b\u001b[2J', 'utf8').toString('hex').toUpperCase();
    assert.equal(recordFields(`audit(1.000:1): domain=1 blockers=fs.make_reg path=${hex} dev="vda" ino=2`).get('path'), '/etc/a b\u001b[2J');
  });

  it('maps a record to a violation: kind, target, operation, time, rule', () => {
    assert.deepEqual(accessViolation(ACCESS), {
      kind: 'write',
      target: '/etc/hosts',
      operation: 'fs.write_file',
      time: new Date(1796319834226).toISOString(),
      rule: 'outside the writable roots',
      source: 'landlock',
    });
    const signal = accessViolation('audit(1.000:2): domain=1c8daa4f5 blockers=scope.signal opid=4242 ocomm="sleep"');
    assert.equal(signal.kind, 'signal');
    assert.equal(signal.target, 'pid 4242 (sleep)');
    assert.equal(accessViolation(`audit(1.000:3): domain=1 blockers=fs.write_file path="/${'a'.repeat(5000)}"`).target.length, 4097);
  });

  it("keeps only the runner's own domain: learned from the DOMAIN record naming the runner's pid, after the ACCESS record it follows", () => {
    const filter = new SessionDomainFilter(2140);
    assert.deepEqual(filter.feed(AUDIT_LANDLOCK_ACCESS, ACCESS), [], 'not known yet');
    const first = filter.feed(AUDIT_LANDLOCK_DOMAIN, DOMAIN(2140));
    assert.equal(first.length, 1);
    assert.equal(first[0]!.target, '/etc/hosts');
    assert.equal(filter.ownDomain, '1c8daa4f5');
    assert.equal(filter.feed(AUDIT_LANDLOCK_ACCESS, ACCESS).length, 1, 'known now: at once');
    // Another sandbox's domain (or a nested one a command made): its pid is not the runner's.
    assert.deepEqual(filter.feed(AUDIT_LANDLOCK_ACCESS, ACCESS.replace('1c8daa4f5', 'abc')), []);
    assert.deepEqual(filter.feed(AUDIT_LANDLOCK_DOMAIN, DOMAIN(999, 'abc')), []);
    assert.deepEqual(filter.feed(AUDIT_LANDLOCK_ACCESS, ACCESS.replace('1c8daa4f5', 'abc')), []);
    // A second domain claiming the runner's pid cannot replace the first.
    assert.deepEqual(filter.feed(AUDIT_LANDLOCK_DOMAIN, DOMAIN(2140, 'def')), []);
    assert.equal(filter.ownDomain, '1c8daa4f5');
    // Garbage and other record types are ignored.
    assert.deepEqual(filter.feed(AUDIT_LANDLOCK_ACCESS, 'audit(1.0:1): domain=../../x blockers=fs.write_file'), []);
    assert.deepEqual(filter.feed(1300, 'audit(1.0:1): domain=1c8daa4f5 syscall=2'), []);
  });

  it('the socket filter admits LANDLOCK_ACCESS and LANDLOCK_DOMAIN only', () => {
    const program = landlockRecordFilter('LE');
    assert.ok(runSocketFilter(program, nlmsg(1423)) > 0);
    assert.ok(runSocketFilter(program, nlmsg(1424)) > 0);
    for (const other of [1300, 1327, 1105, 1100, 1400, 1422, 1425, 0x8f05]) assert.equal(runSocketFilter(program, nlmsg(other)), 0, String(other));
  });
});

describe('violations: the corral: lines', () => {
  const v = (over: Partial<ViolationRecord>): ViolationRecord => ({ kind: 'write', target: '/etc/hosts', operation: 'fs.write_file', time: '', rule: 'outside the writable roots', source: 'landlock', ...over });

  it('one line per distinct access, in words; a file that did not exist is named by its directory', () => {
    assert.deepEqual(violationLines([v({}), v({}), v({ target: '/etc', operation: 'fs.make_reg' })]), [
      'corral: blocked: write /etc/hosts (outside the writable roots)\n',
      'corral: blocked: create a file in /etc (outside the writable roots)\n',
    ]);
    assert.deepEqual(violationLines([]), []);
  });

  it('escapes what the command chose (no terminal control sequence gets through), caps the lines and says what was dropped', () => {
    assert.equal(escapeForTerminal('/tmp/\u001b[2Jx\\y\u202e'), '/tmp/\\u001b[2Jx\\\\y\\u202e');
    const many = Array.from({ length: 30 }, (_, i) => v({ target: `/etc/f${i}` }));
    const lines = violationLines(many, 3);
    assert.equal(lines.length, 22);
    assert.equal(lines[20], 'corral: blocked: 10 more distinct accesses (corral run --json lists them all)\n');
    assert.equal(lines[21], 'corral: 3 more refused accesses were not recorded (too many at once)\n');
  });
});

describe('violations: --explain (the smallest policy change, never applied)', () => {
  const ctx = {
    uid: 1000,
    home: '/home/alice',
    userConfig: '/home/alice/.config/corral/config.json',
    ownerOf: (dir: string) => ({ '/srv/alice-data': 1000, '/usr': 0, '/home/alice': 1000, '/home/alice/.config': 1000 })[dir] ?? null,
  };
  const v = (over: Partial<ViolationRecord>): ViolationRecord => ({ kind: 'write', target: '/srv/alice-data', operation: 'fs.make_reg', time: '', rule: 'outside the writable roots', source: 'landlock', ...over });

  it('a directory of the user: add it to writableRoots in their config; a file in one: its directory', () => {
    assert.deepEqual(explainLines([v({}), v({ target: '/srv/alice-data/notes.txt', operation: 'fs.write_file' })], [], ctx), [
      'corral: explain: create a file in /srv/alice-data — add "/srv/alice-data" to "writableRoots" in /home/alice/.config/corral/config.json (not applied)\n',
      'corral: explain: write /srv/alice-data/notes.txt — add "/srv/alice-data" to "writableRoots" in /home/alice/.config/corral/config.json (not applied)\n',
    ]);
  });

  it('says when no setting allows it: not the user\'s, the home itself or a dot directory of it, invisible, a signal', () => {
    const lines = explainLines(
      [v({ target: '/usr' }), v({ target: '/home/alice' }), v({ target: '/home/alice/.config' }), v({ target: '/nope' }), v({ kind: 'signal', target: 'pid 7', operation: 'scope.signal' })],
      [],
      ctx,
    );
    assert.match(lines[0]!, /\/usr — no setting allows it: \/usr is not yours/);
    assert.match(lines[1]!, /no setting allows it: \/home\/alice is the real user's home/);
    assert.match(lines[2]!, /no setting allows it: \/home\/alice\/\.config is in \.config of the real user's home/);
    assert.match(lines[3]!, /\/nope is not visible to you/);
    assert.match(lines[4]!, /signal pid 7 — no setting allows it: a session never reaches processes outside itself/);
  });

  it('a refused connection: network.allow or --allow-host; a denied one: the deny entry; allowed ones: nothing', () => {
    const c = (over: Partial<ConnectionRecord>): ConnectionRecord => ({ time: '', via: 'connect', host: 'registry.example', port: 443, allowed: false, rule: 'not in network.allow', ...over });
    assert.deepEqual(explainLines([], [c({}), c({}), c({ allowed: true, host: 'ok.example' }), c({ host: 'evil.example', rule: 'network.deny: evil.example' })], ctx), [
      'corral: explain: connect to registry.example:443 — add "registry.example:443" to "network.allow" in /home/alice/.config/corral/config.json, or pass --allow-host registry.example:443 (not applied)\n',
      'corral: explain: connect to evil.example:443 — remove the matching entry from "network.deny" (network.deny: evil.example), in the layer that set it (not applied)\n',
    ]);
  });
});

describe('violations: per-command attribution (SessionViolations)', () => {
  const fakeSocket = () => {
    const queue: { type: number; text: string }[] = [];
    return { queue, socket: { overflows: 0, drain: () => queue.splice(0), close: () => undefined } };
  };
  const stamp = (ms: number) => `audit(${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}:9)`;

  it('gives a record to the commands running when it arrives, never to a command that started after the kernel stamped it', async () => {
    const { queue, socket } = fakeSocket();
    const sv = new SessionViolations([landlockSource(socket, 77)]);
    const first = sv.begin();
    const t0 = Date.now();
    queue.push({ type: AUDIT_LANDLOCK_ACCESS, text: `${stamp(t0)}: domain=ab blockers=fs.write_file path="/etc/a"` });
    queue.push({ type: AUDIT_LANDLOCK_DOMAIN, text: `${stamp(t0)}: domain=ab status=allocated mode=enforcing pid=77` });
    const a = await new Promise<CommandViolations>((resolve) => sv.end(first, resolve));
    assert.deepEqual(a.records.map((r) => r.target), ['/etc/a']);
    // A straggler of the first command, stamped before the second began: not the second's.
    await new Promise((r) => setTimeout(r, KERNEL_STAMP_SLACK_MS + 5));
    const second = sv.begin();
    queue.push({ type: AUDIT_LANDLOCK_ACCESS, text: `${stamp(t0)}: domain=ab blockers=fs.write_file path="/etc/late"` });
    queue.push({ type: AUDIT_LANDLOCK_ACCESS, text: `${stamp(Date.now() + 1)}: domain=ab blockers=fs.write_file path="/etc/b"` });
    // Refused right after it started: the kernel's coarse clock may stamp it up to a tick before `since`.
    queue.push({ type: AUDIT_LANDLOCK_ACCESS, text: `${stamp(second.since - 4)}: domain=ab blockers=fs.write_file path="/etc/coarse"` });
    const b = await new Promise<CommandViolations>((resolve) => sv.end(second, resolve, true));
    assert.deepEqual(b.records.map((r) => r.target), ['/etc/b', '/etc/coarse']);
    sv.close();
  });

  it('a command that failed with nothing yet gets one more read a moment later; its late record counts', async () => {
    const { queue, socket } = fakeSocket();
    const sv = new SessionViolations([landlockSource(socket, 77)]);
    queue.push({ type: AUDIT_LANDLOCK_DOMAIN, text: `${stamp(Date.now())}: domain=cd status=allocated mode=enforcing pid=77` });
    const sink = sv.begin();
    const ended = new Promise<CommandViolations>((resolve) => sv.end(sink, resolve, true));
    queue.push({ type: AUDIT_LANDLOCK_ACCESS, text: `${stamp(Date.now() + 1)}: domain=cd blockers=fs.make_reg path="/usr"` });
    assert.deepEqual((await ended).records.map((r) => r.target), ['/usr']);
    sv.close();
  });
});
