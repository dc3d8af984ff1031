/**
 * The Win32 structs the runner declares through koffi have the documented x64 sizes and field
 * offsets, and every prototype the Windows runner binds parses and resolves its types — all
 * without loading any DLL, so this runs on Linux (x64: koffi lays structs out with the same C
 * rules as MSVC on x64 Windows for these all-natural-alignment structs).
 */
import assert from 'node:assert/strict';
import { dpapiDeclarations } from '../../os/win32/dpapi.js';
import { errorDeclarations } from '../../os/win32/win32-error.js';
import { handleDeclarations } from '../../os/win32/handle.js';
import { jobDeclarations, jobLimitFlags } from '../../runner/windows/job.js';
import { pipeDeclarations } from '../../os/win32/pipe.js';
import { processDeclarations } from '../../os/win32/process.js';
import { RESTRICTED_TOKEN_FLAGS, isSidString, tokenDeclarations } from '../../runner/windows/token.js';
import type { Declarations } from '../../os/win32/library.js';
import { desktopDeclarations } from '../../runner/windows/desktop.js';
import { knownFolderDeclarations } from '../../os/win32/known-folders.js';
import { SECURITY_ATTRIBUTES_BYTES, securityDescriptorDeclarations } from '../../runner/windows/security-descriptor.js';
import { sessionDirsDeclarations } from '../../runner/windows/session-dirs.js';
import { fileOwnerDeclarations } from '../../os/win32/file-owner.js';
import { profilePathDeclarations } from '../../os/win32/profile-path.js';
import { tcpListenerDeclarations } from '../../os/win32/tcp-listeners.js';
import { conptyDeclarations, coordOf, PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE } from '../../os/win32/conpty.js';

/** Documented x64 values (Windows SDK headers: processthreadsapi.h, winnt.h, minwinbase.h, dpapi.h). */
const EXPECTED: Record<string, { size: number; offsets: Record<string, number> }> = {
  STARTUPINFOW: {
    size: 104,
    offsets: { cb: 0, lpReserved: 8, lpDesktop: 16, lpTitle: 24, dwX: 32, dwFlags: 60, wShowWindow: 64, cbReserved2: 66, lpReserved2: 72, hStdInput: 80, hStdOutput: 88, hStdError: 96 },
  },
  STARTUPINFOEXW: { size: 112, offsets: { StartupInfo: 0, lpAttributeList: 104 } },
  PROCESS_INFORMATION: { size: 24, offsets: { hProcess: 0, hThread: 8, dwProcessId: 16, dwThreadId: 20 } },
  SECURITY_ATTRIBUTES: { size: 24, offsets: { nLength: 0, lpSecurityDescriptor: 8, bInheritHandle: 16 } },
  IO_COUNTERS: { size: 48, offsets: { ReadOperationCount: 0, OtherTransferCount: 40 } },
  JOBOBJECT_BASIC_LIMIT_INFORMATION: {
    size: 64,
    offsets: { PerProcessUserTimeLimit: 0, PerJobUserTimeLimit: 8, LimitFlags: 16, MinimumWorkingSetSize: 24, MaximumWorkingSetSize: 32, ActiveProcessLimit: 40, Affinity: 48, PriorityClass: 56, SchedulingClass: 60 },
  },
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION: {
    size: 144,
    offsets: { BasicLimitInformation: 0, IoInfo: 64, ProcessMemoryLimit: 112, JobMemoryLimit: 120, PeakProcessMemoryUsed: 128, PeakJobMemoryUsed: 136 },
  },
  DATA_BLOB: { size: 16, offsets: { cbData: 0, pbData: 8 } },
  SID_AND_ATTRIBUTES: { size: 16, offsets: { Sid: 0, Attributes: 8 } },
  TOKEN_DEFAULT_DACL: { size: 8, offsets: { DefaultDacl: 0 } },
  TOKEN_USER: { size: 16, offsets: { User: 0 } },
  JOBOBJECT_BASIC_UI_RESTRICTIONS: { size: 4, offsets: { UIRestrictionsClass: 0 } },
  /** wincontypes.h: SHORT X, Y (passed by value to CreatePseudoConsole and ResizePseudoConsole). */
  COORD: { size: 4, offsets: { X: 0, Y: 2 } },
};

const FILES: Record<string, () => Declarations> = {
  'win32-error.ts': errorDeclarations,
  'handle.ts': handleDeclarations,
  'pipe.ts': pipeDeclarations,
  'process.ts': processDeclarations,
  'job.ts': jobDeclarations,
  'token.ts': tokenDeclarations,
  'dpapi.ts': dpapiDeclarations,
  'desktop.ts': desktopDeclarations,
  'known-folders.ts': knownFolderDeclarations,
  'security-descriptor.ts': securityDescriptorDeclarations,
  'session-dirs.ts': sessionDirsDeclarations,
  'file-owner.ts': fileOwnerDeclarations,
  'profile-path.ts': profilePathDeclarations,
  'tcp-listeners.ts': tcpListenerDeclarations,
  'conpty.ts': conptyDeclarations,
};

const REQUIRED_PROTOTYPES = [
  'RegGetValueW',
  'CreateProcessWithLogonW', 'OpenProcessToken', 'CreateRestrictedToken', 'ConvertStringSidToSidW', 'GetTokenInformation',
  'SetTokenInformation', 'CreateProcessAsUserW', 'CreatePipe', 'SetHandleInformation', 'CreateJobObjectW',
  'SetInformationJobObject', 'AssignProcessToJobObject', 'ResumeThread', 'TerminateJobObject', 'WaitForSingleObject',
  'GetExitCodeProcess', 'CloseHandle', 'CryptProtectData', 'CryptUnprotectData', 'LocalFree', 'ReadFile', 'WriteFile',
  'PeekNamedPipe', 'GetLastError', 'FormatMessageW', 'InitializeProcThreadAttributeList', 'UpdateProcThreadAttribute',
  'QueryInformationJobObject', 'GetProcessWindowStation', 'GetUserObjectInformationW', 'CreateDesktopW', 'CloseDesktop',
  'SHGetKnownFolderPath', 'CoTaskMemFree', 'InitializeAcl', 'AddAccessAllowedAceEx', 'AddAccessDeniedAceEx',
  'InitializeSecurityDescriptor', 'SetSecurityDescriptorDacl', 'SetSecurityDescriptorControl', 'CreateDirectoryW',
  'RemoveDirectoryW', 'GetFileAttributesW', 'CreateFileW', 'GetFileSecurityW', 'DuplicateToken', 'AccessCheck', 'GetSecurityDescriptorOwner',
  'CreatePseudoConsole', 'ResizePseudoConsole', 'ClosePseudoConsole',
];

describe('windows FFI declarations (no DLL loaded)', function () {
  before(function () {
    if (process.arch !== 'x64') this.skip(); // the documented values below are x64's
  });

  // Each file's declarations are memoised there: calling again returns the same facts.
  const declared = (): Declarations[] => Object.values(FILES).map((declarations) => declarations());
  for (const [file, declarations] of Object.entries(FILES)) {
    it(`declares every prototype and struct of runner/windows/${file}`, () => {
      const d = declarations();
      assert.ok(d.prototypes.length > 0 || Object.keys(d.layouts).length > 0);
    });
  }

  it('declares every API the runner needs', () => {
    const names = new Set(declared().flatMap((d) => d.prototypes));
    for (const name of REQUIRED_PROTOTYPES) assert.ok(names.has(name), `${name} is declared`);
  });

  for (const [struct, expected] of Object.entries(EXPECTED)) {
    it(`lays out ${struct} as on x64 Windows (${expected.size} bytes)`, () => {
      const layout = declared().map((d) => d.layouts[struct]).find((l) => l !== undefined);
      assert.ok(layout, `${struct} is declared by one binding file`);
      assert.equal(layout.size, expected.size, `sizeof(${struct})`);
      for (const [field, offset] of Object.entries(expected.offsets)) {
        assert.equal(layout.offsets[field], offset, `offsetof(${struct}, ${field})`);
      }
    });
  }

  it('declares each struct in exactly one file', () => {
    const names = declared().flatMap((d) => Object.keys(d.layouts));
    assert.equal(new Set(names).size, names.length);
  });

  it('uses the documented flag values', () => {
    // WRITE_RESTRICTED 0x8 | DISABLE_MAX_PRIVILEGE 0x1 | LUA_TOKEN 0x4
    assert.equal(RESTRICTED_TOKEN_FLAGS, 0xd);
    // KILL_ON_JOB_CLOSE 0x2000 | DIE_ON_UNHANDLED_EXCEPTION 0x400 (| ACTIVE_PROCESS 0x8)
    assert.equal(jobLimitFlags({}), 0x2400);
    assert.equal(jobLimitFlags({ activeProcesses: 64 }), 0x2408);
  });

  it('writes SECURITY_ATTRIBUTES by hand with the declared struct size', () => {
    const layout = declared().map((d) => d.layouts.SECURITY_ATTRIBUTES).find((l) => l !== undefined);
    assert.equal(SECURITY_ATTRIBUTES_BYTES, layout?.size);
    assert.equal(layout?.offsets.lpSecurityDescriptor, 8);
    assert.equal(layout?.offsets.bInheritHandle, 16);
  });

  it('pseudo consoles: the documented attribute value, and sizes as COORD (X columns, Y rows, SHORTs)', () => {
    // processthreadsapi.h: ProcThreadAttributeValue(22, FALSE, TRUE, FALSE)
    assert.equal(PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, 0x20016);
    assert.deepEqual(coordOf({ cols: 120, rows: 40 }), { X: 120, Y: 40 });
    assert.throws(() => coordOf({ cols: 0x8000, rows: 1 }), RangeError);
    assert.throws(() => coordOf({ cols: 80, rows: 0 }), RangeError);
  });

  it('accepts SID strings and nothing else before any API sees them', () => {
    assert.ok(isSidString('S-1-5-18'));
    assert.ok(isSidString('S-1-5-21-1004336348-1177238915-682003330-512'));
    for (const bad of ['', 'S-1', 'S-1-5', 'S-1-5-18;D:(A;;GA;;;WD)', 's-1-5-18 ', 'S-1-5-x']) assert.ok(!isSidString(bad), bad);
  });

  it('refuses to load a Windows DLL on this platform with platform_unsupported', async function () {
    if (process.platform === 'win32') this.skip();
    const { currentUserSid } = await import('../../runner/windows/token.js');
    assert.throws(() => currentUserSid(), (err: Error & { code?: string }) => err.code === 'platform_unsupported');
  });
});
