/**
 * The per-workspace profile of a Windows identity (runner/windows/workspace-profile.ts) and the
 * environment block that points commands at it (os/win32/env-block.ts): pure, checked on every OS.
 */
import assert from 'node:assert/strict';
import { commandEnvironment } from '../../os/win32/env-block.js';
import type { Win32Handle } from '../../os/win32/handle.js';
import type { AceSpec } from '../../runner/windows/security-descriptor.js';
import { commandTokenSids, EVERYONE_SID } from '../../runner/windows/token-sids.js';
import {
  CREATE_IN_DIRECTORY,
  MODIFY_SYNCHRONIZE,
  prepareWorkspaceProfile,
  workspaceProfileAces,
  workspaceProfilePaths,
  workspaceProfilesContainerAces,
  type WorkspaceProfileOps,
} from '../../runner/windows/workspace-profile.js';

const PROFILE = 'C:\\Users\\crl-off-alice';
const WS_A = 'C:\\src\\app';
const WS_B = 'C:\\src\\other';
const IDENTITY = 'S-1-5-21-1-2-3-1001';
const LOGON = 'S-1-5-5-0-4242';
const CAP_A = 'S-1-5-21-9-8-7-6';
const CAP_B = 'S-1-5-21-9-8-7-5';
const TOKEN = {} as Win32Handle;
const WRITE_RIGHTS = 0x2 | 0x4 | 0x10 | 0x100 | 0x10000 | 0x40000 | 0x80000; // add file/subdir, EA, attributes, DELETE, WRITE_DAC, WRITE_OWNER

describe('windows per-workspace profile: paths', () => {
  it('puts each workspace under <identity profile>\\corral-ws\\<ws-id>, with AppData\\Roaming, AppData\\Local and Temp', () => {
    const p = workspaceProfilePaths(PROFILE, WS_A);
    assert.deepEqual(p, {
      container: 'C:\\Users\\crl-off-alice\\corral-ws',
      root: 'C:\\Users\\crl-off-alice\\corral-ws\\ws-223479b1852924db',
      roaming: 'C:\\Users\\crl-off-alice\\corral-ws\\ws-223479b1852924db\\AppData\\Roaming',
      local: 'C:\\Users\\crl-off-alice\\corral-ws\\ws-223479b1852924db\\AppData\\Local',
      temp: 'C:\\Users\\crl-off-alice\\corral-ws\\ws-223479b1852924db\\Temp',
    });
  });

  it('gives two workspaces of one identity disjoint folders, and two identities of one workspace disjoint folders', () => {
    const a = workspaceProfilePaths(PROFILE, WS_A);
    const b = workspaceProfilePaths(PROFILE, WS_B);
    const online = workspaceProfilePaths('C:\\Users\\crl-on-alice', WS_A);
    assert.equal(a.container, b.container);
    for (const other of [b, online]) {
      for (const key of ['root', 'roaming', 'local', 'temp'] as const) {
        assert.ok(!other[key].toLowerCase().startsWith(a.root.toLowerCase()), `${other[key]} is inside ${a.root}`);
        assert.ok(!a[key].toLowerCase().startsWith(other.root.toLowerCase()), `${a[key]} is inside ${other.root}`);
      }
    }
  });
});

describe('windows per-workspace profile: DACLs', () => {
  const grants = (aces: AceSpec[], sid: string) => aces.filter((a) => a.type === 'allow' && a.sid === sid).reduce((m, a) => m | a.mask, 0);

  it("grants workspace A's folders to A's capability SID (Modify, inherited) and to no SID a session of workspace B restricts to", () => {
    const aces = workspaceProfileAces(IDENTITY, CAP_A);
    assert.equal(grants(aces, CAP_A), MODIFY_SYNCHRONIZE);
    assert.equal(MODIFY_SYNCHRONIZE & 0x40000, 0, 'no WRITE_DAC for the capability SID');
    assert.equal(MODIFY_SYNCHRONIZE & 0x40, 0, 'no FILE_DELETE_CHILD');
    for (const ace of aces) assert.equal(ace.inheritance, 0x3, `${ace.sid} is inherited by files and folders`);
    const sessionOfB = commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [CAP_B] }).restricting;
    assert.deepEqual(sessionOfB, [CAP_B, LOGON, EVERYONE_SID]);
    for (const sid of sessionOfB) assert.equal(grants(aces, sid) & WRITE_RIGHTS, 0, `${sid} (a restricting SID of B's session) may write A's profile`);
  });

  it('grants corral-ws itself to no SID any session restricts to (no session creates or replaces a workspace folder)', () => {
    const aces = workspaceProfilesContainerAces(IDENTITY);
    const sessionOfA = commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [CAP_A] }).restricting;
    for (const sid of sessionOfA) assert.equal(grants(aces, sid), 0, sid);
    assert.deepEqual(aces.map((a) => a.sid), [IDENTITY, 'S-1-5-18', 'S-1-5-32-544']);
  });
});

/** A file system of kinds keyed by lower-cased path, and the rights a token gets, for prepareWorkspaceProfile. */
function fakeOps(kinds: Record<string, 'dir' | 'file' | 'reparse'>, rights: (path: string) => number) {
  const made: Array<{ path: string; aces: readonly AceSpec[] | 'inherit' }> = [];
  const key = (p: string) => p.toLowerCase();
  const fs = new Map(Object.entries(kinds).map(([p, k]) => [key(p), k]));
  const ops: WorkspaceProfileOps = {
    entryKind: (p) => fs.get(key(p)) ?? 'missing',
    createDirectoryWith(p, aces) {
      fs.set(key(p), 'dir');
      made.push({ path: p, aces });
    },
    createDirectory(p) {
      fs.set(key(p), 'dir');
      made.push({ path: p, aces: 'inherit' });
    },
    grantedAccess: (p) => rights(p),
  };
  return { ops, made };
}

const request = { identityProfile: PROFILE, workspace: WS_A, identitySid: IDENTITY, capabilitySid: CAP_A, commandToken: TOKEN, writable: true };
const paths = workspaceProfilePaths(PROFILE, WS_A);
const writableBelowRoot = (p: string) => (p.toLowerCase().startsWith(paths.root.toLowerCase()) ? 0x1301bf : 0x1200a9);

describe('windows per-workspace profile: prepareWorkspaceProfile', () => {
  it('makes what is missing, top down: corral-ws and <ws-id> with their protected DACLs, the rest inheriting', () => {
    const { ops, made } = fakeOps({ [PROFILE]: 'dir' }, writableBelowRoot);
    assert.deepEqual(prepareWorkspaceProfile(request, ops), paths);
    assert.deepEqual(made.map((m) => m.path), [paths.container, paths.root, `${paths.root}\\AppData`, paths.roaming, paths.local, paths.temp]);
    assert.deepEqual(made[0]!.aces, workspaceProfilesContainerAces(IDENTITY));
    assert.deepEqual(made[1]!.aces, workspaceProfileAces(IDENTITY, CAP_A));
    assert.ok(made.slice(2).every((m) => m.aces === 'inherit'));
  });

  it('keeps what a grant already made (Grant-CorralWorkspace) and makes nothing', () => {
    const all = Object.fromEntries([paths.container, paths.root, `${paths.root}\\AppData`, paths.roaming, paths.local, paths.temp].map((p) => [p, 'dir' as const]));
    const { ops, made } = fakeOps(all, writableBelowRoot);
    prepareWorkspaceProfile(request, ops);
    assert.deepEqual(made, []);
  });

  for (const [what, at] of [
    ['corral-ws', paths.container],
    ['<ws-id>', paths.root],
    ['AppData\\Roaming', paths.roaming],
    ['Temp', paths.temp],
  ] as const) {
    for (const kind of ['reparse', 'file'] as const) {
      it(`refuses (not_provisioned) a ${kind} at ${what}, without following or replacing it`, () => {
        const { ops, made } = fakeOps({ [at]: kind }, writableBelowRoot);
        assert.throws(
          () => prepareWorkspaceProfile(request, ops),
          (err: Error & { code?: string }) => err.code === 'not_provisioned' && err.message.includes(at),
        );
        assert.ok(!made.some((m) => m.path.toLowerCase().startsWith(at.toLowerCase())), 'nothing made at or below it');
      });
    }
  }

  it('refuses a corral-ws the command token could create entries in', () => {
    const { ops } = fakeOps({}, (p) => (p === paths.container ? 0x2 : writableBelowRoot(p)));
    assert.throws(() => prepareWorkspaceProfile(request, ops), (err: Error & { code?: string }) => err.code === 'not_provisioned' && /corral-ws is writable/.test(err.message));
  });

  it("refuses a workspace-write session whose folders its token can't write (a DACL of another capability SID)", () => {
    const { ops } = fakeOps({}, (p) => (p === paths.local ? 0x1200a9 : writableBelowRoot(p)));
    assert.throws(() => prepareWorkspaceProfile(request, ops), (err: Error & { code?: string }) => err.code === 'not_provisioned' && err.message.includes(paths.local));
  });

  it('does not ask a read-only session (no capability SID in its token) to write them', () => {
    const { ops } = fakeOps({}, (p) => (p === paths.container ? 0 : 0x1200a9));
    assert.deepEqual(prepareWorkspaceProfile({ ...request, writable: false }, ops), paths);
    assert.equal(CREATE_IN_DIRECTORY, 0x6);
  });
});

describe('windows environment block: the per-workspace profile', () => {
  const sessionTmp = `${paths.temp}\\corral-0a1b2c3d4e5f`;
  const session = { home: paths.root, appData: paths.roaming, localAppData: paths.local, tmpdir: sessionTmp, systemRoot: 'C:\\Windows', identity: 'crl-off-alice' };

  it("points USERPROFILE, HOME, HOMEDRIVE+HOMEPATH, APPDATA, LOCALAPPDATA and TEMP/TMP/TMPDIR at the workspace's own folders", () => {
    const env = commandEnvironment({ PATH: 'C:\\tools' }, session);
    assert.equal(env.USERPROFILE, paths.root);
    assert.equal(env.HOME, paths.root);
    assert.equal(env.HOMEDRIVE, 'C:');
    assert.equal(env.HOMEPATH, '\\Users\\crl-off-alice\\corral-ws\\ws-223479b1852924db');
    assert.equal(env.APPDATA, paths.roaming);
    assert.equal(env.LOCALAPPDATA, paths.local);
    for (const name of ['TEMP', 'TMP', 'TMPDIR']) assert.equal(env[name], sessionTmp, name);
  });

  it("does not let the request point any of them at the real user's or the identity's own folders, in any case spelling", () => {
    const env = commandEnvironment(
      {
        appdata: 'C:\\Users\\alice\\AppData\\Roaming',
        LocalAppData: 'C:\\Users\\crl-off-alice\\AppData\\Local',
        UserProfile: 'C:\\Users\\alice',
        home: 'C:\\Users\\alice',
        HomePath: '\\Users\\alice',
        homedrive: 'D:',
        Tmp: 'C:\\Users\\alice\\AppData\\Local\\Temp',
      },
      session,
    );
    const byUpper = new Map(Object.entries(env).map(([k, v]) => [k.toUpperCase(), v]));
    assert.equal(byUpper.get('APPDATA'), paths.roaming);
    assert.equal(byUpper.get('LOCALAPPDATA'), paths.local);
    assert.equal(byUpper.get('USERPROFILE'), paths.root);
    assert.equal(byUpper.get('HOME'), paths.root);
    assert.equal(byUpper.get('HOMEPATH'), '\\Users\\crl-off-alice\\corral-ws\\ws-223479b1852924db');
    assert.equal(byUpper.get('HOMEDRIVE'), 'C:');
    assert.equal(byUpper.get('TMP'), sessionTmp);
    assert.equal(Object.keys(env).filter((k) => k.toUpperCase() === 'APPDATA').length, 1);
  });

  it('gives sessions of two workspaces no folder in common', () => {
    const b = workspaceProfilePaths(PROFILE, WS_B);
    const envA = commandEnvironment({}, session);
    const envB = commandEnvironment({}, { ...session, home: b.root, appData: b.roaming, localAppData: b.local, tmpdir: `${b.temp}\\corral-ffeeddccbbaa` });
    for (const name of ['USERPROFILE', 'HOME', 'APPDATA', 'LOCALAPPDATA', 'TEMP', 'HOMEPATH']) assert.notEqual(envA[name], envB[name], name);
  });

  it('sets no HOMEDRIVE/HOMEPATH for a home that is not on a drive letter (a UNC profile)', () => {
    const env = commandEnvironment({}, { ...session, home: '\\\\server\\profiles\\x\\corral-ws\\ws-1' });
    assert.equal(env.HOMEDRIVE, undefined);
    assert.equal(env.HOMEPATH, undefined);
  });
});
