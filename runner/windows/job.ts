/**
 * Job objects (kernel32): every command runs in a job of its own with
 * JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so closing the job's handle — at the command's end, at
 * `kill`/timeout, or when the runner itself dies and Windows closes its handles — ends the
 * command and everything it started. JOB_OBJECT_LIMIT_ACTIVE_PROCESS caps its process count
 * (the `pids` limit), and DIE_ON_UNHANDLED_EXCEPTION keeps crash dialogs from holding it open.
 *
 * UI limits (JOBOBJECT_BASIC_UI_RESTRICTIONS): no clipboard (read or write), no global atoms,
 * no switching or creating desktops (the session has its own, desktop.ts), no changing system
 * parameters or display settings, no ExitWindows. JOB_OBJECT_UILIMIT_HANDLES is not set: it
 * would also cut commands off the USER objects of their own console host.
 */
import koffi, { type TypeObject } from 'koffi';
import { bindPrototypes, declarePrototypes, layoutsOf, pointerValue, type Bound, type Declarations } from '../../os/win32/library.js';
import { Win32Handle, rawHandle } from '../../os/win32/handle.js';
import { win32Failure } from '../../os/win32/win32-error.js';

const JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x8;
const JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x400;
const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000;
const JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9;
const JOB_OBJECT_BASIC_UI_RESTRICTIONS_CLASS = 4;
const JOB_OBJECT_UILIMIT_READCLIPBOARD = 0x2;
const JOB_OBJECT_UILIMIT_WRITECLIPBOARD = 0x4;
const JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS = 0x8;
const JOB_OBJECT_UILIMIT_DISPLAYSETTINGS = 0x10;
const JOB_OBJECT_UILIMIT_GLOBALATOMS = 0x20;
const JOB_OBJECT_UILIMIT_DESKTOP = 0x40;
const JOB_OBJECT_UILIMIT_EXITWINDOWS = 0x80;

/** The UI limits of every command job (pure, tested). */
export const JOB_UI_RESTRICTIONS =
  JOB_OBJECT_UILIMIT_READCLIPBOARD |
  JOB_OBJECT_UILIMIT_WRITECLIPBOARD |
  JOB_OBJECT_UILIMIT_SYSTEMPARAMETERS |
  JOB_OBJECT_UILIMIT_DISPLAYSETTINGS |
  JOB_OBJECT_UILIMIT_GLOBALATOMS |
  JOB_OBJECT_UILIMIT_DESKTOP |
  JOB_OBJECT_UILIMIT_EXITWINDOWS;

let types:
  | Record<'IO_COUNTERS' | 'JOBOBJECT_BASIC_LIMIT_INFORMATION' | 'JOBOBJECT_EXTENDED_LIMIT_INFORMATION' | 'JOBOBJECT_BASIC_UI_RESTRICTIONS', TypeObject>
  | undefined;
function declareTypes(): NonNullable<typeof types> {
  if (types) return types;
  const IO_COUNTERS = koffi.struct('IO_COUNTERS', {
    ReadOperationCount: 'uint64',
    WriteOperationCount: 'uint64',
    OtherOperationCount: 'uint64',
    ReadTransferCount: 'uint64',
    WriteTransferCount: 'uint64',
    OtherTransferCount: 'uint64',
  });
  const JOBOBJECT_BASIC_LIMIT_INFORMATION = koffi.struct('JOBOBJECT_BASIC_LIMIT_INFORMATION', {
    PerProcessUserTimeLimit: 'int64',
    PerJobUserTimeLimit: 'int64',
    LimitFlags: 'uint32',
    MinimumWorkingSetSize: 'size_t',
    MaximumWorkingSetSize: 'size_t',
    ActiveProcessLimit: 'uint32',
    Affinity: 'uintptr_t',
    PriorityClass: 'uint32',
    SchedulingClass: 'uint32',
  });
  const JOBOBJECT_EXTENDED_LIMIT_INFORMATION = koffi.struct('JOBOBJECT_EXTENDED_LIMIT_INFORMATION', {
    BasicLimitInformation: JOBOBJECT_BASIC_LIMIT_INFORMATION,
    IoInfo: IO_COUNTERS,
    ProcessMemoryLimit: 'size_t',
    JobMemoryLimit: 'size_t',
    PeakProcessMemoryUsed: 'size_t',
    PeakJobMemoryUsed: 'size_t',
  });
  const JOBOBJECT_BASIC_UI_RESTRICTIONS = koffi.struct('JOBOBJECT_BASIC_UI_RESTRICTIONS', { UIRestrictionsClass: 'uint32' });
  return (types = { IO_COUNTERS, JOBOBJECT_BASIC_LIMIT_INFORMATION, JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JOBOBJECT_BASIC_UI_RESTRICTIONS });
}

const PROTOTYPES = {
  CreateJobObjectW: 'void * __stdcall CreateJobObjectW(void *lpJobAttributes, str16 lpName)',
  SetInformationJobObject:
    'int __stdcall SetInformationJobObject(void *hJob, int JobObjectInformationClass, void *lpJobObjectInformation, uint32 cbJobObjectInformationLength)',
  QueryInformationJobObject:
    'int __stdcall QueryInformationJobObject(void *hJob, int JobObjectInformationClass, void *lpJobObjectInformation, uint32 cbJobObjectInformationLength, void *lpReturnLength)',
  AssignProcessToJobObject: 'int __stdcall AssignProcessToJobObject(void *hJob, void *hProcess)',
  TerminateJobObject: 'int __stdcall TerminateJobObject(void *hJob, uint32 uExitCode)',
} as const;

let api: Bound<typeof PROTOTYPES> | undefined;
function kernel32(): Bound<typeof PROTOTYPES> {
  declareTypes();
  return (api ??= bindPrototypes('kernel32.dll', PROTOTYPES));
}

export function jobDeclarations(): Declarations {
  return { layouts: layoutsOf(declareTypes()), prototypes: declarePrototypes(PROTOTYPES) };
}

export interface JobLimits {
  /** At most this many processes at once in the job; undefined = no cap. */
  activeProcesses?: number;
}

/** The limit flags for a command job (pure). */
export function jobLimitFlags(limits: JobLimits): number {
  let flags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (limits.activeProcesses !== undefined) flags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
  return flags;
}

/** An anonymous job that kills its processes when its last handle closes. */
export function createKillOnCloseJob(limits: JobLimits, label: string): Win32Handle {
  const k = kernel32();
  const raw = pointerValue(k.CreateJobObjectW(null, null));
  if (raw === 0n) throw win32Failure('CreateJobObjectW');
  const job = Win32Handle.adopt(raw, `${label} job`);
  const info = {
    BasicLimitInformation: { LimitFlags: jobLimitFlags(limits), ActiveProcessLimit: limits.activeProcesses ?? 0 },
  };
  const t = declareTypes();
  const extended = Buffer.alloc(koffi.sizeof(t.JOBOBJECT_EXTENDED_LIMIT_INFORMATION));
  koffi.encode(extended, t.JOBOBJECT_EXTENDED_LIMIT_INFORMATION, info);
  const ui = Buffer.alloc(koffi.sizeof(t.JOBOBJECT_BASIC_UI_RESTRICTIONS));
  koffi.encode(ui, t.JOBOBJECT_BASIC_UI_RESTRICTIONS, { UIRestrictionsClass: JOB_UI_RESTRICTIONS });
  try {
    if (!k.SetInformationJobObject(rawHandle(job), JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS, extended, extended.length)) {
      throw win32Failure('SetInformationJobObject', undefined, 'JobObjectExtendedLimitInformation');
    }
    if (!k.SetInformationJobObject(rawHandle(job), JOB_OBJECT_BASIC_UI_RESTRICTIONS_CLASS, ui, ui.length)) {
      throw win32Failure('SetInformationJobObject', undefined, 'JobObjectBasicUIRestrictions');
    }
  } catch (err) {
    job.close();
    throw err;
  }
  return job;
}

export function assignToJob(job: Win32Handle, process: Win32Handle): void {
  if (!kernel32().AssignProcessToJobObject(rawHandle(job), rawHandle(process))) {
    throw win32Failure('AssignProcessToJobObject', undefined, process.label);
  }
}

/** End every process in the job now, with `exitCode`. */
export function terminateJob(job: Win32Handle, exitCode: number): void {
  if (!kernel32().TerminateJobObject(rawHandle(job), exitCode >>> 0)) throw win32Failure('TerminateJobObject', undefined, job.label);
}

/** The UI limits a job enforces, read back (QueryInformationJobObject; the Wine smoke test). */
export function jobUiRestrictions(job: Win32Handle): number {
  const ui = Buffer.alloc(koffi.sizeof(declareTypes().JOBOBJECT_BASIC_UI_RESTRICTIONS));
  if (!kernel32().QueryInformationJobObject(rawHandle(job), JOB_OBJECT_BASIC_UI_RESTRICTIONS_CLASS, ui, ui.length, null)) {
    throw win32Failure('QueryInformationJobObject', undefined, 'JobObjectBasicUIRestrictions');
  }
  return ui.readUInt32LE(0);
}
