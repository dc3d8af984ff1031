/** Pure parts of the session view: the seccomp program's decisions and the cover/keep plan. */
import assert from 'node:assert/strict';
import { ARCHES, encode, evaluate, sessionFilter } from '../../runner/linux/seccomp-program.js';
import { COVERS, planView, RUN_ENTRIES } from '../../runner/linux/session-view.js';
import { defaultPolicy } from '../../orchestrator/policy/defaults.js';
import { sessionReads } from '../../orchestrator/policy/reads.js';

const ALLOW = 0x7fff0000;
const errno = (n: number) => 0x00050000 | n;

describe('seccomp program (as the kernel would run it)', function () {
  for (const [name, arch] of Object.entries(ARCHES)) {
    const program = sessionFilter(arch);
    const call = (nr: number, args: number[] = []) => evaluate(program, { nr, arch: arch.audit, args });
    it(`${name}: refuses non-IP socket families, allows unix, IP and netlink`, function () {
      for (const family of [1, 2, 10, 16]) {
        assert.equal(call(arch.nr.socket, [family]), ALLOW, `socket(${family})`);
        assert.equal(call(arch.nr.socketpair, [family]), ALLOW, `socketpair(${family})`);
      }
      for (const family of [40 /* VSOCK */, 17 /* PACKET */, 31, 29, 30, 38, 44, 21, 0, 45]) {
        assert.equal(call(arch.nr.socket, [family]), errno(97), `socket(${family})`);
      }
    });
    it(`${name}: refuses keyrings (EPERM) and io_uring (ENOSYS), allows the rest`, function () {
      for (const nr of [arch.nr.addKey, arch.nr.requestKey, arch.nr.keyctl]) assert.equal(call(nr), errno(1));
      assert.equal(call(arch.nr.ioUringSetup), errno(38));
      for (const nr of [0, 1, 2, 3, 59, 57, 231]) assert.equal(call(nr), ALLOW);
    });
    it(`${name}: refuses every syscall of a foreign ABI`, function () {
      assert.equal(evaluate(program, { nr: 102 /* i386 socketcall */, arch: 0x40000003, args: [] }), errno(38));
      if (arch.foreignFrom !== null) assert.equal(call(arch.foreignFrom + 41, [40]), errno(38));
    });
    it(`${name}: encodes 8 bytes per instruction`, function () {
      assert.equal(encode(program).length, program.length * 8);
    });
  }
});

describe('session view plan', function () {
  const dirs = new Set(['/tmp', '/var/tmp', '/dev/shm', '/run', '/home/me']);
  const isDir = (p: string) => dirs.has(p);
  it('covers the temp dirs, /run and the home; /var/run only when it is a directory', function () {
    const { covers } = planView({ keep: [], realHome: '/home/me', network: 'offline', memoryBytes: 1 }, isDir);
    assert.deepEqual(covers.map((c) => c.path), ['/tmp', '/var/tmp', '/dev/shm', '/run', '/home/me']);
    for (const c of COVERS) assert.ok(c.why.length > 10);
    for (const e of RUN_ENTRIES) assert.ok(e.why.length > 10);
  });
  it('never hides a mis-set home such as /', function () {
    const { covers } = planView({ keep: [], realHome: '/', network: 'offline', memoryBytes: 1 }, (p) => p === '/' || isDir(p));
    assert.ok(!covers.some((c) => c.path === '/'));
  });
  it('brings back only what lies under a cover, parents first; a writable root inside a read root is bound on top', function () {
    const { keep } = planView(
      {
        keep: [
          { path: '/home/me/proj', access: 'write', why: 'w' },
          { path: '/home/me/proj/.git', access: 'read', why: 'protected' },
          { path: '/home/me/.nvm', access: 'read', why: 'r' },
          { path: '/home/me/.nvm/ws', access: 'write', why: 'w' },
          { path: '/srv/ws', access: 'write', why: 'w' },
          { path: '/tmp/ws', access: 'write', why: 'w' },
        ],
        realHome: '/home/me',
        network: 'offline',
        memoryBytes: 1,
      },
      isDir,
    );
    assert.deepEqual(keep.map((k) => k.path), ['/tmp/ws', '/home/me/proj', '/home/me/.nvm', '/home/me/.nvm/ws']);
  });
});

describe('corral policy show: what a session reads', function () {
  const base = defaultPolicy('linux', '/home/me/proj', 'corral');
  const policy = { ...base, readRoots: ['/home/me/.gitconfig', '/home/me/.nvm'], denyRead: ['/home/me/.ssh'] };
  it('lists the workspace, the hidden home, read roots (missing ones marked), private covers and denyRead', function () {
    const reads = sessionReads(policy, { platform: 'linux', home: '/home/me', workspace: '/home/me/proj', exists: (p) => p !== '/home/me/.nvm' });
    const by = (path: string) => reads.find((r) => r.path === path);
    assert.equal(by('/home/me/proj')?.access, 'write');
    assert.equal(by('/home/me')?.access, 'hidden');
    assert.equal(by('/home/me/.gitconfig')?.access, 'read');
    assert.equal(by('/home/me/.nvm')?.present, false);
    assert.equal(by('/run')?.access, 'private');
    assert.equal(by('/home/me/.ssh')?.access, 'denied');
    assert.ok(reads.every((r) => r.why.length > 5));
  });
  it('does not call the home hidden when a read root contains it', function () {
    const reads = sessionReads({ ...policy, readRoots: ['/home'] }, { platform: 'linux', home: '/home/me', workspace: '/srv/ws', exists: () => true });
    assert.equal(reads.find((r) => r.access === 'hidden'), undefined);
  });
});
