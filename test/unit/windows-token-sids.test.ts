/**
 * The Windows command token's SIDs and the DACLs of the session's own objects: pure decisions
 * (runner/windows/token-sids.ts, desktop.ts, session-dirs.ts, job.ts), checked on every OS.
 * That Windows enforces them is test/windows-ci's job; that the calls take them, the Wine smoke's.
 */
import assert from 'node:assert/strict';
import { commandTokenSids, EVERYONE_SID, isLogonSid, SYSTEM_SID } from '../../runner/windows/token-sids.js';
import { DESKTOP_ALL_ACCESS, DESKTOP_COMMAND_ACCESS, DESKTOP_SWITCHDESKTOP, desktopAces, newDesktopName, startupDesktop } from '../../runner/windows/desktop.js';
import { PROTECTED_WRITE_RIGHTS, placeholderAces, sessionTmpAces } from '../../runner/windows/session-dirs.js';
import { aclBytes, canonicalOrder, CONTAINER_INHERIT_ACE, OBJECT_INHERIT_ACE } from '../../runner/windows/security-descriptor.js';
import { JOB_UI_RESTRICTIONS } from '../../runner/windows/job.js';
import { guidBytes } from '../../os/win32/known-folders.js';

const IDENTITY = 'S-1-5-21-1-2-3-1001';
const LOGON = 'S-1-5-5-0-123456';
const CAP = 'S-1-5-21-9-8-7-6';
const CAP2 = 'S-1-5-21-9-8-7-5';
const REAL_USER = 'S-1-5-21-1-2-3-1000';

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error & { code?: string }) => err.code === 'runner_failed' && pattern.test(err.message));
}

describe('windows command token SIDs', () => {
  it('restricts to the capability SIDs, the logon SID and Everyone — never the identity SID', () => {
    const sids = commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [CAP, CAP2] });
    assert.deepEqual(sids.restricting, [CAP, CAP2, LOGON, EVERYONE_SID]);
    assert.ok(!sids.restricting.includes(IDENTITY));
  });

  it('a read-only session restricts to the logon SID and Everyone only (no workspace write)', () => {
    assert.deepEqual(commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [] }).restricting, [LOGON, EVERYONE_SID]);
  });

  it('names the identity, the logon SID and SYSTEM in the default DACL (both checks pass on what a command creates)', () => {
    assert.deepEqual(commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [CAP] }).defaultDacl, [IDENTITY, LOGON, SYSTEM_SID]);
  });

  it('keeps each capability SID once', () => {
    assert.deepEqual(commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [CAP, CAP] }).restricting, [CAP, LOGON, EVERYONE_SID]);
  });

  it('refuses the identity SID as a capability SID (it owns its HKCU, its profile and the runner)', () => {
    refused(() => commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [IDENTITY] }), /identity SID/);
  });

  it('refuses shared groups, Everyone and logon SIDs as capability SIDs', () => {
    for (const sid of ['S-1-5-32-545', 'S-1-5-11', 'S-1-5-4', 'S-1-5-32-544', 'S-1-5-18', 'S-1-3-4', EVERYONE_SID, LOGON, 'S-1-5-5-0-9']) {
      refused(() => commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [sid] }), /can't be a capability SID/);
    }
  });

  it('refuses a logon SID that is not one, and text that is no SID', () => {
    refused(() => commandTokenSids({ identitySid: IDENTITY, logonSid: IDENTITY, capabilitySids: [] }), /not a logon SID/);
    refused(() => commandTokenSids({ identitySid: 'alice', logonSid: LOGON, capabilitySids: [] }), /not a SID/);
    refused(() => commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: ['S-1-5-21-1;D:(A;;GA;;;WD)'] }), /not a SID/);
    assert.ok(isLogonSid('S-1-5-5-0-999'));
    assert.ok(!isLogonSid('S-1-5-5-0'));
    assert.ok(!isLogonSid('S-1-5-21-5-0-999'));
  });
});

describe('windows session desktop', () => {
  it('names only the identity (all rights) and the logon SID (use, not re-secure, delete or switch)', () => {
    assert.deepEqual(desktopAces(IDENTITY, LOGON), [
      { type: 'allow', sid: IDENTITY, mask: DESKTOP_ALL_ACCESS },
      { type: 'allow', sid: LOGON, mask: DESKTOP_COMMAND_ACCESS },
    ]);
    assert.equal(DESKTOP_ALL_ACCESS, 0x000f01ff);
    assert.equal(DESKTOP_COMMAND_ACCESS, 0x000200ff);
    assert.equal(DESKTOP_COMMAND_ACCESS & (0x10000 | 0x40000 | 0x80000 | DESKTOP_SWITCHDESKTOP), 0, 'no DELETE, WRITE_DAC, WRITE_OWNER, SWITCHDESKTOP');
  });

  it('makes a fresh name from random bytes and a `station\\desktop` startup name', () => {
    assert.equal(newDesktopName(Buffer.from('0011223344556677', 'hex')), 'corral-0011223344556677');
    assert.notEqual(newDesktopName(), newDesktopName());
    assert.equal(startupDesktop('WinSta0', 'corral-ab'), 'WinSta0\\corral-ab');
    assert.throws(() => startupDesktop('WinSta0\\x', 'd'), TypeError);
  });

  it('limits a command job off the clipboard, global atoms, other desktops and system settings', () => {
    // READCLIPBOARD 0x2 | WRITECLIPBOARD 0x4 | SYSTEMPARAMETERS 0x8 | DISPLAYSETTINGS 0x10 | GLOBALATOMS 0x20 | DESKTOP 0x40 | EXITWINDOWS 0x80
    assert.equal(JOB_UI_RESTRICTIONS, 0xfe);
  });
});

describe('windows session directories', () => {
  it('gives the session temp dir to the identity, the logon SID and SYSTEM, inherited by what is made in it', () => {
    const aces = sessionTmpAces(IDENTITY, LOGON);
    assert.deepEqual(aces.map((a) => a.sid), [IDENTITY, LOGON, SYSTEM_SID]);
    for (const ace of aces) assert.equal(ace.inheritance, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE);
  });

  it('grants a placeholder no write right to any SID a command token can restrict to', () => {
    const aces = placeholderAces(IDENTITY, LOGON, REAL_USER);
    const restricting = commandTokenSids({ identitySid: IDENTITY, logonSid: LOGON, capabilitySids: [CAP] }).restricting;
    for (const ace of aces.filter((a) => restricting.includes(a.sid))) {
      assert.equal(ace.mask & PROTECTED_WRITE_RIGHTS, 0, `${ace.sid} gets no write, delete or re-secure right`);
    }
    // OWNER RIGHTS replaces the owner's (the identity's) implicit WRITE_DAC with READ_CONTROL only.
    assert.deepEqual(aces.find((a) => a.sid === 'S-1-3-4'), { type: 'allow', sid: 'S-1-3-4', mask: 0x20000 });
    // The real user can remove a placeholder a crashed runner left.
    assert.equal(aces.find((a) => a.sid === REAL_USER)?.mask, 0x1f01ff);
    assert.ok(aces.every((a) => a.type === 'allow' && (a.inheritance ?? 0) === 0));
  });

  it('orders deny ACEs first and sizes the ACL DWORD-aligned', () => {
    const ordered = canonicalOrder([
      { type: 'allow', sid: 'S-1-1-0', mask: 1 },
      { type: 'deny', sid: 'S-1-5-18', mask: 2 },
      { type: 'allow', sid: 'S-1-5-11', mask: 3 },
    ]);
    assert.deepEqual(ordered.map((a) => a.mask), [2, 1, 3]);
    assert.equal(aclBytes([]), 8);
    assert.equal(aclBytes([12]), 28);
    assert.equal(aclBytes([12, 26]), 64); // 8 + 20 + 34 = 62 → 64
  });
});

describe('windows known folders', () => {
  it('lays a GUID out as Windows does in memory (Data1..3 little-endian, Data4 as written)', () => {
    assert.equal(guidBytes('62AB5D82-FDC1-4DC3-A9DD-070D1D495D97').toString('hex'), '825dab62c1fdc34da9dd070d1d495d97');
    assert.throws(() => guidBytes('not-a-guid'), TypeError);
  });
});
