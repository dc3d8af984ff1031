/**
 * One table of hostile open requests, run against both runners' validation as each runner
 * does it (issue 14 item 2): the shared shape check for the platform's path flavour
 * (core/request-shape.ts, what runner/start.ts calls), then the Linux root phase's checks
 * against the machine (runner/linux/request-validation.ts resolveSession, with this process's
 * own account as the caller and `nobody`/`daemon` as the recorded identities) or the Windows
 * runner's (runner/windows/session-check.ts planWindowsSession, then the floor:
 * session-policy.ts). Each row must be refused with the same code on both: request_invalid,
 * not_permitted, not_provisioned or config_locked — never a generic runner_failed. No root
 * needed (as root the Linux side resolves paths with setfsuid to the caller, root itself).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { isCorralError } from '../../core/errors.js';
import { linuxInstallation } from '../../core/installation.js';
import { PROTOCOL_VERSION, type SessionRequest } from '../../core/protocol.js';
import { parseSessionRequest } from '../../core/request-shape.js';
import { posixPaths, windowsPaths } from '../../core/paths.js';
import { emptyState, type MachineState } from '../../core/state.js';
import type { MachineLayer } from '../../core/policy/floor.js';
import { resolveSession, closePinnedDirectories } from '../../runner/linux/request-validation.js';
import { parseWindowsState } from '../../os/win32/machine-state.js';
import { planWindowsSession } from '../../runner/windows/session-check.js';
import { windowsEnforcedPolicy } from '../../runner/windows/session-policy.js';
import { userByName } from '../../os/linux/passwd.js';

const WIN_WS = 'C:\\Users\\alice\\proj';
const OFF_SID = 'S-1-5-21-1-2-3-1001';
const windowsState = parseWindowsState(
  JSON.stringify({
    version: 1,
    users: {
      alice: {
        sid: 'S-1-5-21-1-2-3-500',
        identities: { offline: { name: 'crl-off-alice', sid: OFF_SID }, online: { name: 'crl-on-alice', sid: 'S-1-5-21-1-2-3-1002' } },
        workspaces: [{ path: WIN_WS, capabilitySid: 'S-1-5-21-9-9-9-1' }],
        // Set up with the allowlist proxy's firewall port (New-CorralFirewallRule -ProxyPort).
        firewall: { proxyPort: 41817, loopbackPorts: [] },
      },
    },
    runner: null,
  }),
  'state.json',
);

/** A row: what the hostile request changes, per platform where paths differ, and the code both must answer. */
interface Row {
  what: string;
  change: (base: Record<string, unknown>, p: { ws: string; sub: string; abs: (name: string) => string }) => Record<string, unknown>;
  code: 'request_invalid' | 'not_permitted' | 'not_provisioned' | 'config_locked';
  /** A machine layer that both runners read themselves. */
  machine?: MachineLayer['data'];
  /** The caller has nothing provisioned on this machine. */
  unprovisionedCaller?: boolean;
}

const ROWS: Row[] = [
  { what: 'not an object', change: () => [] as unknown as Record<string, unknown>, code: 'request_invalid' },
  { what: 'another protocol version', change: (b) => ({ ...b, version: 99 }), code: 'request_invalid' },
  { what: 'an unknown key', change: (b) => ({ ...b, identity: 'root' }), code: 'request_invalid' },
  { what: 'an unknown key in limits', change: (b) => ({ ...b, limits: { ...(b.limits as object), uid: 0 } }), code: 'request_invalid' },
  { what: 'a missing workspace', change: ({ workspace: _w, ...rest }) => rest, code: 'request_invalid' },
  { what: 'full-access', change: (b) => ({ ...b, mode: 'full-access' }), code: 'request_invalid' },
  { what: 'an unknown mode', change: (b) => ({ ...b, mode: 'god' }), code: 'request_invalid' },
  { what: 'an unknown network', change: (b) => ({ ...b, network: 'everything' }), code: 'request_invalid' },
  { what: 'a relative workspace', change: (b) => ({ ...b, workspace: 'proj' }), code: 'request_invalid' },
  { what: 'a NUL in a writable root', change: (b, p) => ({ ...b, writableRoots: [`${p.abs('x')}\0y`] }), code: 'request_invalid' },
  { what: 'a protected entry with a separator', change: (b) => ({ ...b, protected: ['a/b'] }), code: 'request_invalid' },
  { what: 'a protected entry ".."', change: (b) => ({ ...b, protected: ['..'] }), code: 'request_invalid' },
  { what: 'pids below the floor', change: (b) => ({ ...b, limits: { ...(b.limits as object), pids: 1 } }), code: 'request_invalid' },
  { what: 'a timeout of a year', change: (b) => ({ ...b, limits: { ...(b.limits as object), timeoutSec: 365 * 24 * 3600 } }), code: 'request_invalid' },
  { what: '300 writable roots', change: (b, p) => ({ ...b, writableRoots: Array.from({ length: 300 }, (_, i) => p.abs(`r${i}`)) }), code: 'request_invalid' },
  { what: 'an allowlist on the online network', change: (b) => ({ ...b, network: 'online', allowlist: { allow: ['example.com'], deny: [] } }), code: 'request_invalid' },
  { what: 'an allowlist entry with a control byte', change: (b) => ({ ...b, allowlist: { allow: ['exa\u0001mple.com'], deny: [] } }), code: 'request_invalid' },
  { what: 'an allowlist wider than the machine lock', change: (b) => ({ ...b, allowlist: { allow: ['example.com', 'evil.example'], deny: [] } }), code: 'config_locked', machine: { network: { allow: ['example.com'] }, locked: ['network'] } },
  { what: 'a secret env name with a bad character', change: (b) => ({ ...b, env: { allow: [], set: { 'A-B': 'x' } } }), code: 'request_invalid' },
  { what: 'another real user', change: (b) => ({ ...b, realUser: 'mallory' }), code: 'not_permitted' },
  { what: 'a caller with nothing provisioned', change: (b) => b, code: 'not_provisioned', unprovisionedCaller: true },
  { what: 'a workspace not provisioned (an existing directory inside a provisioned one)', change: (b, p) => ({ ...b, workspace: p.sub }), code: 'not_provisioned' },
  { what: 'online under a network lock', change: (b) => ({ ...b, network: 'online' }), code: 'config_locked', machine: { network: 'offline', locked: ['network'] } },
  { what: 'more processes under a limits lock', change: (b) => ({ ...b, limits: { ...(b.limits as object), pids: 5000 } }), code: 'config_locked', machine: { limits: { pids: 64 }, locked: ['limits'] } },
  { what: 'read-only under a mode lock', change: (b) => ({ ...b, mode: 'read-only' }), code: 'config_locked', machine: { mode: 'workspace-write', locked: ['mode'] } },
];

function base(user: string, workspace: string, loopback: 'private' | 'deny'): Record<string, unknown> {
  const request: SessionRequest = {
    version: PROTOCOL_VERSION,
    realUser: user,
    network: 'offline',
    mode: 'workspace-write',
    workspace,
    writableRoots: [],
    protected: ['.git'],
    denyRead: [],
    loopback,
    limits: { timeoutSec: 600, maxOutputBytes: 1 << 20, pids: 64 },
    policyDigest: 'x',
  };
  return request as unknown as Record<string, unknown>;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isCorralError(err) ? err.code : `not a CorralError: ${String(err)}`;
  }
  return 'accepted';
}

describe('one table of hostile requests, both runners, the same codes', function () {
  const linuxUser = userInfo();
  const inst = linuxInstallation('ctesthr');
  let ws = '';
  let linuxState: MachineState;
  before(function () {
    if (process.platform !== 'linux') this.skip(); // the Linux side reads passwd and opens real directories
    const nobody = userByName('nobody');
    const daemon = userByName('daemon');
    if (nobody === null || daemon === null || nobody.uid === linuxUser.uid || daemon.uid === linuxUser.uid) this.skip(); // needs two system accounts to stand for the identities
    ws = realpathSync(mkdtempSync(join(tmpdir(), 'corral-hostile-')));
    mkdirSync(join(ws, 'sub'));
    linuxState = {
      ...emptyState(inst.name),
      sandboxGroup: { name: 'ctesthr-sandbox', gid: 64000 },
      users: {
        [linuxUser.username]: {
          realUser: { name: linuxUser.username, uid: linuxUser.uid, gid: linuxUser.gid, home: linuxUser.homedir },
          identities: { offline: { name: nobody!.name, uid: nobody!.uid, gid: nobody!.gid }, online: { name: daemon!.name, uid: daemon!.uid, gid: daemon!.gid } },
          network: 'offline',
          workspaces: { [ws]: { path: ws, access: 'acl' } },
        },
      },
    };
  });
  after(function () {
    if (ws !== '') rmSync(ws, { recursive: true, force: true });
  });

  function onLinux(row: Row): string {
    const request = row.change(base(linuxUser.username, ws, 'private'), { ws, sub: join(ws, 'sub'), abs: (n) => join(ws, '..', `corral-hostile-nowhere-${n}`) });
    const state = row.unprovisionedCaller === true ? emptyState(inst.name) : linuxState;
    const machine = row.machine === undefined ? null : { label: '/etc/ctesthr/config.json', data: row.machine };
    return codeOf(() => closePinnedDirectories(resolveSession(parseSessionRequest(request, posixPaths), inst, state, linuxUser.uid, machine)));
  }

  function onWindows(row: Row): string {
    const request = row.change(base('alice', WIN_WS, 'deny'), { ws: WIN_WS, sub: `${WIN_WS}\\sub`, abs: (n) => `C:\\Users\\alice\\${n}` });
    const sid = row.unprovisionedCaller === true ? 'S-1-5-21-7-7-7-7' : OFF_SID;
    const machine = row.machine === undefined ? null : { label: 'C:\\ProgramData\\Corral\\config.json', data: row.machine };
    return codeOf(() => {
      const parsed = parseSessionRequest(request, windowsPaths);
      const plan = planWindowsSession(parsed, windowsState, sid);
      windowsEnforcedPolicy(parsed, plan, machine, { installation: 'corral', home: 'C:\\Users\\alice', canonical: (p) => p, totalMemoryBytes: 8 * 2 ** 30 });
    });
  }

  it('the unchanged request is accepted by both (the rows below change one thing each)', function () {
    const unchanged: Row = { what: 'nothing', change: (b) => b, code: 'request_invalid' };
    assert.equal(onLinux(unchanged), 'accepted');
    assert.equal(onWindows(unchanged), 'accepted');
  });

  it('an allowlist session is accepted by both (Windows: on a machine set up with the proxy port)', function () {
    const allowlist: Row = { what: 'allowlist', change: (b) => ({ ...b, allowlist: { allow: ['registry.example', '*.pkg.example:443'], deny: ['bad.pkg.example'] } }), code: 'request_invalid' };
    assert.equal(onLinux(allowlist), 'accepted');
    assert.equal(onWindows(allowlist), 'accepted');
  });

  for (const row of ROWS) {
    it(`${row.what}: ${row.code} on Linux and on Windows`, function () {
      assert.deepEqual({ linux: onLinux(row), windows: onWindows(row) }, { linux: row.code, windows: row.code });
    });
  }
});
