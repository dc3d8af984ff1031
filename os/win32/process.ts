/**
 * Starting processes (kernel32/advapi32): CreateProcessAsUserW for commands (suspended, with
 * exactly the three stdio handles inherited), CreateProcessWithLogonW for the runner itself,
 * then resume, poll for exit, read the exit code.
 *
 * Inheritance: a command gets bInheritHandles = TRUE but a PROC_THREAD_ATTRIBUTE_HANDLE_LIST
 * naming only its own three pipe ends, so it can't inherit anything else the runner holds —
 * above all the runner's own protocol pipes (which would let a command forge frames).
 */
import koffi, { type TypeObject } from 'koffi';
import { bindPrototypes, declarePrototypes, layoutsOf, pointerValue, wideBuffer, type Bound, type Declarations } from './library.js';
import { Win32Handle, rawHandle } from './handle.js';
import { win32Failure } from './win32-error.js';
import { pseudoConsoleAttribute, type PseudoConsole } from './conpty.js';

export const CREATE_SUSPENDED = 0x4;
export const CREATE_UNICODE_ENVIRONMENT = 0x400;
export const CREATE_NO_WINDOW = 0x08000000;
const EXTENDED_STARTUPINFO_PRESENT = 0x80000;
const STARTF_USESTDHANDLES = 0x100;
const LOGON_WITH_PROFILE = 0x1;
const PROC_THREAD_ATTRIBUTE_HANDLE_LIST = 0x20002;
const ERROR_INSUFFICIENT_BUFFER = 122;
const WAIT_OBJECT_0 = 0;
const WAIT_TIMEOUT = 0x102;
const STILL_ACTIVE = 259;

let types: Record<'STARTUPINFOW' | 'STARTUPINFOEXW' | 'PROCESS_INFORMATION', TypeObject> | undefined;
function declareTypes(): NonNullable<typeof types> {
  if (types) return types;
  const STARTUPINFOW = koffi.struct('STARTUPINFOW', {
    cb: 'uint32',
    lpReserved: 'void *',
    lpDesktop: 'void *',
    lpTitle: 'void *',
    dwX: 'uint32',
    dwY: 'uint32',
    dwXSize: 'uint32',
    dwYSize: 'uint32',
    dwXCountChars: 'uint32',
    dwYCountChars: 'uint32',
    dwFillAttribute: 'uint32',
    dwFlags: 'uint32',
    wShowWindow: 'uint16',
    cbReserved2: 'uint16',
    lpReserved2: 'void *',
    hStdInput: 'void *',
    hStdOutput: 'void *',
    hStdError: 'void *',
  });
  const STARTUPINFOEXW = koffi.struct('STARTUPINFOEXW', { StartupInfo: STARTUPINFOW, lpAttributeList: 'void *' });
  const PROCESS_INFORMATION = koffi.struct('PROCESS_INFORMATION', {
    hProcess: 'void *',
    hThread: 'void *',
    dwProcessId: 'uint32',
    dwThreadId: 'uint32',
  });
  return (types = { STARTUPINFOW, STARTUPINFOEXW, PROCESS_INFORMATION });
}

const KERNEL32 = {
  InitializeProcThreadAttributeList:
    'int __stdcall InitializeProcThreadAttributeList(void *lpAttributeList, uint32 dwAttributeCount, uint32 dwFlags, _Inout_ size_t *lpSize)',
  UpdateProcThreadAttribute:
    'int __stdcall UpdateProcThreadAttribute(void *lpAttributeList, uint32 dwFlags, uintptr_t Attribute, void *lpValue, size_t cbSize, void *lpPreviousValue, void *lpReturnSize)',
  DeleteProcThreadAttributeList: 'void __stdcall DeleteProcThreadAttributeList(void *lpAttributeList)',
  ResumeThread: 'uint32 __stdcall ResumeThread(void *hThread)',
  WaitForSingleObject: 'uint32 __stdcall WaitForSingleObject(void *hHandle, uint32 dwMilliseconds)',
  GetExitCodeProcess: 'int __stdcall GetExitCodeProcess(void *hProcess, _Out_ uint32 *lpExitCode)',
  GetLastError: 'uint32 __stdcall GetLastError()',
  TerminateProcess: 'int __stdcall TerminateProcess(void *hProcess, uint32 uExitCode)',
} as const;

const ADVAPI32 = {
  CreateProcessAsUserW:
    'int __stdcall CreateProcessAsUserW(void *hToken, str16 lpApplicationName, void *lpCommandLine, void *lpProcessAttributes, void *lpThreadAttributes, int bInheritHandles, uint32 dwCreationFlags, void *lpEnvironment, str16 lpCurrentDirectory, STARTUPINFOEXW *lpStartupInfo, _Out_ PROCESS_INFORMATION *lpProcessInformation)',
  CreateProcessWithLogonW:
    'int __stdcall CreateProcessWithLogonW(str16 lpUsername, str16 lpDomain, str16 lpPassword, uint32 dwLogonFlags, str16 lpApplicationName, void *lpCommandLine, uint32 dwCreationFlags, void *lpEnvironment, str16 lpCurrentDirectory, STARTUPINFOW *lpStartupInfo, _Out_ PROCESS_INFORMATION *lpProcessInformation)',
} as const;

let kernelApi: Bound<typeof KERNEL32> | undefined;
let advApi: Bound<typeof ADVAPI32> | undefined;
function kernel32(): Bound<typeof KERNEL32> {
  declareTypes();
  return (kernelApi ??= bindPrototypes('kernel32.dll', KERNEL32));
}
function advapi32(): Bound<typeof ADVAPI32> {
  declareTypes();
  return (advApi ??= bindPrototypes('advapi32.dll', ADVAPI32));
}

export function processDeclarations(): Declarations {
  return {
    layouts: layoutsOf(declareTypes()),
    prototypes: [...declarePrototypes(KERNEL32), ...declarePrototypes(ADVAPI32)],
  };
}

export interface StartedProcess {
  process: Win32Handle;
  /** The primary thread (suspended when asked); close it after resuming. */
  thread: Win32Handle;
  pid: number;
}

export interface Stdio {
  stdin: Win32Handle;
  stdout: Win32Handle;
  stderr: Win32Handle;
}

function startupInfo(stdio: Stdio, desktop: Buffer | null = null): Record<string, unknown> {
  return {
    cb: koffi.sizeof(declareTypes().STARTUPINFOW),
    lpDesktop: desktop === null ? null : koffi.address(desktop),
    dwFlags: STARTF_USESTDHANDLES,
    hStdInput: rawHandle(stdio.stdin),
    hStdOutput: rawHandle(stdio.stdout),
    hStdError: rawHandle(stdio.stderr),
  };
}

function adoptProcessInformation(info: Record<string, unknown>, label: string): StartedProcess {
  const pid = info.dwProcessId as number;
  return {
    process: Win32Handle.adopt(pointerValue(info.hProcess), `${label} process ${pid}`),
    thread: Win32Handle.adopt(pointerValue(info.hThread), `${label} thread`),
    pid,
  };
}

/** A PROC_THREAD_ATTRIBUTE_LIST allowing only `handles` to be inherited; call `free` after use. */
function handleListAttribute(handles: Win32Handle[]): { list: Buffer; values: Buffer; free(): void } {
  const k = kernel32();
  const size = [0];
  // The first call only reports the size (and fails with ERROR_INSUFFICIENT_BUFFER).
  if (!k.InitializeProcThreadAttributeList(null, 1, 0, size)) {
    const code = k.GetLastError() as number;
    if (code !== ERROR_INSUFFICIENT_BUFFER) throw win32Failure('InitializeProcThreadAttributeList', code);
  }
  const list = Buffer.alloc(Number(size[0]));
  if (!k.InitializeProcThreadAttributeList(list, 1, 0, size)) throw win32Failure('InitializeProcThreadAttributeList');
  const values = Buffer.alloc(8 * handles.length);
  handles.forEach((h, i) => values.writeBigUInt64LE(rawHandle(h), i * 8));
  if (!k.UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, values, values.length, null, null)) {
    const failure = win32Failure('UpdateProcThreadAttribute');
    k.DeleteProcThreadAttributeList(list);
    throw failure;
  }
  return { list, values, free: () => k.DeleteProcThreadAttributeList(list) };
}

export interface AsUserRequest {
  token: Win32Handle;
  application: string;
  commandLine: string;
  cwd: string;
  /** UTF-16LE block (env-block.ts). */
  environment: Buffer;
  stdio: Stdio;
  flags: number;
  /** STARTUPINFO.lpDesktop (`WinSta0\corral-…`), or null for the caller's own desktop. */
  desktop?: string | null;
  label: string;
  /**
   * Start it on this pseudo console (conpty.ts) instead: its console is the pseudo console, no
   * handle is inherited (bInheritHandles FALSE, no handle list), and `stdio` is not used.
   */
  pseudoConsole?: PseudoConsole;
}

/** CreateProcessAsUserW with only the stdio handles inheritable into the child. */
export function createProcessAsUser(request: AsUserRequest): StartedProcess {
  const { stdin, stdout, stderr } = request.stdio;
  const onConsole = request.pseudoConsole !== undefined;
  // The same handle may serve twice (stdout and stderr to one pipe); the list wants each once.
  const attribute = onConsole ? pseudoConsoleAttribute(request.pseudoConsole!) : handleListAttribute([...new Set([stdin, stdout, stderr])]);
  // Referenced until CreateProcessAsUserW returns: lpDesktop points into it.
  const desktop = request.desktop === undefined || request.desktop === null ? null : wideBuffer(request.desktop);
  try {
    const info: Record<string, unknown> = {};
    const ok = advapi32().CreateProcessAsUserW(
      rawHandle(request.token),
      request.application,
      wideBuffer(request.commandLine),
      null,
      null,
      onConsole ? 0 : 1,
      request.flags | EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT,
      request.environment,
      request.cwd,
      {
        StartupInfo: onConsole
          ? { cb: koffi.sizeof(declareTypes().STARTUPINFOEXW), lpDesktop: desktop === null ? null : koffi.address(desktop) }
          : { ...startupInfo(request.stdio, desktop), cb: koffi.sizeof(declareTypes().STARTUPINFOEXW) },
        lpAttributeList: koffi.address(attribute.list),
      },
      info,
    );
    if (!ok) throw win32Failure('CreateProcessAsUserW', undefined, `starting ${request.application}`);
    return adoptProcessInformation(info, request.label);
  } finally {
    attribute.free();
    void desktop;
  }
}

export interface WithLogonRequest {
  user: string;
  /** `.` for a local account. */
  domain: string;
  password: string;
  application: string;
  commandLine: string;
  cwd: string;
  /** UTF-16LE block, or null for the identity's own default environment. */
  environment: Buffer | null;
  stdio: Stdio;
  flags: number;
}

/** CreateProcessWithLogonW with LOGON_WITH_PROFILE: one logon, the std handles on pipes. */
export function createProcessWithLogon(request: WithLogonRequest): StartedProcess {
  const info: Record<string, unknown> = {};
  const ok = advapi32().CreateProcessWithLogonW(
    request.user,
    request.domain,
    request.password,
    LOGON_WITH_PROFILE,
    request.application,
    wideBuffer(request.commandLine),
    request.flags | (request.environment ? CREATE_UNICODE_ENVIRONMENT : 0),
    request.environment,
    request.cwd,
    startupInfo(request.stdio),
    info,
  );
  if (!ok) throw win32Failure('CreateProcessWithLogonW', undefined, `starting the runner as ${request.user}`);
  return adoptProcessInformation(info, 'runner');
}

export function resumeThread(thread: Win32Handle): void {
  if ((kernel32().ResumeThread(rawHandle(thread)) as number) === 0xffffffff) throw win32Failure('ResumeThread');
}

/** The exit code once the process has ended, or undefined while it runs. Never blocks. */
export function exitCodeIfEnded(process: Win32Handle): number | undefined {
  const k = kernel32();
  const wait = k.WaitForSingleObject(rawHandle(process), 0) as number;
  if (wait === WAIT_TIMEOUT) return undefined;
  if (wait !== WAIT_OBJECT_0) throw win32Failure('WaitForSingleObject', undefined, process.label);
  const code = [STILL_ACTIVE];
  if (!k.GetExitCodeProcess(rawHandle(process), code)) throw win32Failure('GetExitCodeProcess', undefined, process.label);
  return code[0]!;
}

/** End one process (the runner: its commands die with it, their jobs being kill-on-close). */
export function terminateProcess(process: Win32Handle, exitCode: number): void {
  if (!kernel32().TerminateProcess(rawHandle(process), exitCode >>> 0)) throw win32Failure('TerminateProcess', undefined, process.label);
}

/** Wait for the process on a pool thread (tests and the launcher's `exited`; commands poll). */
export function waitForExit(process: Win32Handle, timeoutMs: number): Promise<number | undefined> {
  const value = rawHandle(process);
  return new Promise((resolve, reject) => {
    kernel32().WaitForSingleObject.async(value, timeoutMs >>> 0, (err: unknown, result: unknown) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else if (result === WAIT_TIMEOUT) resolve(undefined);
      else if (process.closed) resolve(undefined);
      else {
        try {
          resolve(exitCodeIfEnded(process));
        } catch (e) {
          reject(e as Error);
        }
      }
    });
  });
}
