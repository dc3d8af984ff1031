/**
 * The directories a Windows session owns, and its protected entries (kernel32/advapi32):
 *  - the session temp directory, created with a protected DACL naming the identity and the
 *    session's logon SID (commands write it through the logon SID, which restricts their
 *    token; the identity's profile itself grants them no write — token-sids.ts);
 *  - placeholders reserving missing protected names (protected-plan.ts; a directory or an
 *    empty file, by the name's kind in core/protected-names.ts), created with a
 *    protected DACL that lets commands read and nothing else, the real user full control (so
 *    a placeholder a crashed runner left is theirs to remove), and removed at close;
 *  - a handle on every protected entry, held without FILE_SHARE_DELETE for the session's
 *    life: nobody can delete or rename the entry (a rename needs DELETE) while it is held;
 *  - AccessCheck of each existing protected entry against the command token: a command that
 *    could write one would write code the real user runs (hooks, tasks), so the session is
 *    refused, naming the entry and the remedy (an elevated `corral setup` adds its deny ACE).
 */
import { CorralError } from '../../core/errors.js';
import { bindPrototypes, declarePrototypes, pointerValue, type Bound, type Declarations } from '../../os/win32/library.js';
import { Win32Handle, rawHandle } from '../../os/win32/handle.js';
import { win32Failure } from '../../os/win32/win32-error.js';
import { CONTAINER_INHERIT_ACE, OBJECT_INHERIT_ACE, securityAttributes, type AceSpec } from './security-descriptor.js';
import { planProtection, protectedTargets, type EntryKind } from './protected-plan.js';
import { defaultProtectedNames, placeholderKind } from '../../core/protected-names.js';
import { SYSTEM_SID } from './token-sids.js';

const ADMINISTRATORS_SID = 'S-1-5-32-544';
/** OWNER RIGHTS: an ACE for it replaces the owner's implicit READ_CONTROL | WRITE_DAC. */
const OWNER_RIGHTS_SID = 'S-1-3-4';
const FILE_ALL_ACCESS = 0x1f01ff;
const FILE_GENERIC_READ_EXECUTE = 0x1200a9; // READ_CONTROL | SYNCHRONIZE | read data/EA/attributes | traverse
const DELETE = 0x10000;
const READ_CONTROL = 0x20000;
const WRITE_DAC = 0x40000;
const WRITE_OWNER = 0x80000;
const FILE_WRITE_DATA = 0x2; // directories: FILE_ADD_FILE
const FILE_APPEND_DATA = 0x4; // directories: FILE_ADD_SUBDIRECTORY
const FILE_WRITE_EA = 0x10;
const MAXIMUM_ALLOWED = 0x02000000;
/** A granted right among these means a command could change the entry. */
export const PROTECTED_WRITE_RIGHTS = FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | DELETE | WRITE_DAC | WRITE_OWNER;
const FILE_GENERIC_MAPPING = { read: 0x120089, write: 0x120116, execute: 0x1200a0, all: FILE_ALL_ACCESS };
const OWNER_GROUP_DACL_SECURITY_INFORMATION = 0x7;
const SECURITY_IMPERSONATION = 2;
const INVALID_FILE_ATTRIBUTES = 0xffffffff;
const FILE_ATTRIBUTE_DIRECTORY = 0x10;
const FILE_ATTRIBUTE_REPARSE_POINT = 0x400;
const ERROR_FILE_NOT_FOUND = 2;
const ERROR_PATH_NOT_FOUND = 3;
const ERROR_INSUFFICIENT_BUFFER = 122;
const FILE_SHARE_READ_WRITE = 0x3; // not FILE_SHARE_DELETE: the point of the hold
const OPEN_EXISTING = 3;
const CREATE_NEW = 1;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const FILE_FLAG_BACKUP_SEMANTICS = 0x02000000; // needed to open a directory
const FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000;
const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
const PRIVILEGE_SET_BYTES = 64;

/** The temp directory's DACL (pure, tested): identity and logon SID full control, inherited by what is made in it. */
export function sessionTmpAces(identitySid: string, logonSid: string): AceSpec[] {
  const inherit = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE;
  return [
    { type: 'allow', sid: identitySid, mask: FILE_ALL_ACCESS, inheritance: inherit },
    { type: 'allow', sid: logonSid, mask: FILE_ALL_ACCESS, inheritance: inherit },
    { type: 'allow', sid: SYSTEM_SID, mask: FILE_ALL_ACCESS, inheritance: inherit },
  ];
}

/**
 * A placeholder's DACL (pure, tested): read for the session, DELETE for the identity (the
 * runner removes it; a command's token never gets DELETE here, since no restricting SID is
 * granted it), full control for the real user, SYSTEM and Administrators; OWNER RIGHTS gets
 * READ_CONTROL only, so the identity's ownership gives no WRITE_DAC.
 */
export function placeholderAces(identitySid: string, logonSid: string, realUserSid: string): AceSpec[] {
  return [
    { type: 'allow', sid: OWNER_RIGHTS_SID, mask: READ_CONTROL },
    { type: 'allow', sid: identitySid, mask: FILE_GENERIC_READ_EXECUTE | DELETE },
    { type: 'allow', sid: logonSid, mask: FILE_GENERIC_READ_EXECUTE },
    { type: 'allow', sid: realUserSid, mask: FILE_ALL_ACCESS },
    { type: 'allow', sid: SYSTEM_SID, mask: FILE_ALL_ACCESS },
    { type: 'allow', sid: ADMINISTRATORS_SID, mask: FILE_ALL_ACCESS },
  ];
}

const KERNEL32 = {
  CreateDirectoryW: 'int __stdcall CreateDirectoryW(str16 lpPathName, void *lpSecurityAttributes)',
  RemoveDirectoryW: 'int __stdcall RemoveDirectoryW(str16 lpPathName)',
  DeleteFileW: 'int __stdcall DeleteFileW(str16 lpFileName)',
  GetFileAttributesW: 'uint32 __stdcall GetFileAttributesW(str16 lpFileName)',
  CreateFileW:
    'void * __stdcall CreateFileW(str16 lpFileName, uint32 dwDesiredAccess, uint32 dwShareMode, void *lpSecurityAttributes, uint32 dwCreationDisposition, uint32 dwFlagsAndAttributes, void *hTemplateFile)',
} as const;
const ADVAPI32 = {
  GetFileSecurityW:
    'int __stdcall GetFileSecurityW(str16 lpFileName, uint32 RequestedInformation, void *pSecurityDescriptor, uint32 nLength, _Out_ uint32 *lpnLengthNeeded)',
  DuplicateToken: 'int __stdcall DuplicateToken(void *ExistingTokenHandle, int ImpersonationLevel, _Out_ void **DuplicateTokenHandle)',
  AccessCheck:
    'int __stdcall AccessCheck(void *pSecurityDescriptor, void *ClientToken, uint32 DesiredAccess, void *GenericMapping, void *PrivilegeSet, _Inout_ uint32 *PrivilegeSetLength, _Out_ uint32 *GrantedAccess, _Out_ int *AccessStatus)',
} as const;

let kern: Bound<typeof KERNEL32> | undefined;
let adv: Bound<typeof ADVAPI32> | undefined;
function kernel32(): Bound<typeof KERNEL32> {
  return (kern ??= bindPrototypes('kernel32.dll', KERNEL32));
}
function advapi32(): Bound<typeof ADVAPI32> {
  return (adv ??= bindPrototypes('advapi32.dll', ADVAPI32));
}

export function sessionDirsDeclarations(): Declarations {
  return { layouts: {}, prototypes: [...declarePrototypes(KERNEL32), ...declarePrototypes(ADVAPI32)] };
}

/** What is at `path`, without following a reparse point. */
export function entryKind(path: string): EntryKind {
  const k = kernel32();
  const attributes = k.GetFileAttributesW(path) as number;
  if (attributes === INVALID_FILE_ATTRIBUTES) {
    const failure = win32Failure('GetFileAttributesW', undefined, path);
    const code = (failure.details as { win32Error: number }).win32Error;
    if (code === ERROR_FILE_NOT_FOUND || code === ERROR_PATH_NOT_FOUND) return 'missing';
    throw failure;
  }
  if (attributes & FILE_ATTRIBUTE_REPARSE_POINT) return 'reparse';
  return attributes & FILE_ATTRIBUTE_DIRECTORY ? 'dir' : 'file';
}

/** Create a directory that carries exactly `aces` (protected DACL) from its first moment. */
export function createDirectoryWith(path: string, aces: readonly AceSpec[]): void {
  const sa = securityAttributes(aces, { protectedDacl: true });
  const ok = kernel32().CreateDirectoryW(path, sa.attributes);
  void sa.keep;
  if (!ok) throw win32Failure('CreateDirectoryW', undefined, path);
}

/** Create an empty file that carries exactly `aces` (protected DACL) from its first moment; fails if it exists. */
export function createFileWith(path: string, aces: readonly AceSpec[]): void {
  const sa = securityAttributes(aces, { protectedDacl: true });
  const raw = pointerValue(kernel32().CreateFileW(path, READ_CONTROL, FILE_SHARE_READ_WRITE, sa.attributes, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, null));
  void sa.keep;
  if (raw === 0n || raw === INVALID_HANDLE_VALUE) throw win32Failure('CreateFileW', undefined, `creating ${path}`);
  Win32Handle.adopt(raw, `new ${path}`).close();
}

/** Open `path` (file or directory) sharing read and write but not delete: it can't be deleted or renamed while held. */
export function holdEntry(path: string): Win32Handle {
  const raw = pointerValue(
    kernel32().CreateFileW(path, READ_CONTROL, FILE_SHARE_READ_WRITE, null, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, null),
  );
  if (raw === 0n || raw === INVALID_HANDLE_VALUE) throw win32Failure('CreateFileW', undefined, `holding ${path}`);
  return Win32Handle.adopt(raw, `hold on ${path}`);
}

/** The rights `token` (a primary token) would be granted on `path` (AccessCheck with MAXIMUM_ALLOWED). */
export function grantedAccess(path: string, token: Win32Handle): number {
  const a = advapi32();
  const needed = [0];
  if (!a.GetFileSecurityW(path, OWNER_GROUP_DACL_SECURITY_INFORMATION, null, 0, needed)) {
    const failure = win32Failure('GetFileSecurityW', undefined, path);
    if ((failure.details as { win32Error: number }).win32Error !== ERROR_INSUFFICIENT_BUFFER) throw failure;
  }
  const descriptor = Buffer.alloc(Math.max(needed[0]!, 20));
  if (!a.GetFileSecurityW(path, OWNER_GROUP_DACL_SECURITY_INFORMATION, descriptor, descriptor.length, needed)) {
    throw win32Failure('GetFileSecurityW', undefined, path);
  }
  const out: unknown[] = [null];
  if (!a.DuplicateToken(rawHandle(token), SECURITY_IMPERSONATION, out)) throw win32Failure('DuplicateToken', undefined, 'for AccessCheck');
  const impersonation = Win32Handle.adopt(pointerValue(out[0]), 'AccessCheck token');
  try {
    const mapping = Buffer.alloc(16);
    mapping.writeUInt32LE(FILE_GENERIC_MAPPING.read, 0);
    mapping.writeUInt32LE(FILE_GENERIC_MAPPING.write, 4);
    mapping.writeUInt32LE(FILE_GENERIC_MAPPING.execute, 8);
    mapping.writeUInt32LE(FILE_GENERIC_MAPPING.all, 12);
    const privileges = Buffer.alloc(PRIVILEGE_SET_BYTES);
    const privilegesLength = [PRIVILEGE_SET_BYTES];
    const granted = [0];
    const status = [0];
    if (!a.AccessCheck(descriptor, rawHandle(impersonation), MAXIMUM_ALLOWED, mapping, privileges, privilegesLength, granted, status)) {
      throw win32Failure('AccessCheck', undefined, path);
    }
    return status[0] ? granted[0]! : 0;
  } finally {
    impersonation.close();
  }
}

export interface SessionProtection {
  /** Paths of the placeholders this session created. */
  readonly reserved: readonly string[];
  /** Those of them that are files (the rest are directories). */
  readonly reservedFiles: readonly string[];
  readonly warnings: readonly string[];
  /** Release the holds and remove this session's placeholders (a placeholder another session holds stays). */
  release(): void;
}

export interface ProtectionRequest {
  /** The installation's name: its protected names (core/protected-names.ts) are always protected. */
  installationName: string;
  writableRoots: readonly string[];
  protectedEntries: readonly string[];
  identitySid: string;
  logonSid: string;
  realUserSid: string;
  /** The session's command token, for AccessCheck. */
  commandToken: Win32Handle;
}

/** Reserve, hold and check the session's protected entries (see the file comment); undone on failure. */
export function protectSession(request: ProtectionRequest): SessionProtection {
  const holds: Win32Handle[] = [];
  const reserved: string[] = [];
  const reservedFiles: string[] = [];
  const warnings: string[] = [];
  const release = () => {
    for (const hold of holds.splice(0)) hold.close();
    // Each fails while another session holds the placeholder: then it stays, for that one.
    for (const path of reserved) {
      if (reservedFiles.includes(path)) kernel32().DeleteFileW(path);
      else kernel32().RemoveDirectoryW(path);
    }
  };
  try {
    // The request's list is the policy's; the installation's own list is added whatever it says.
    const entries = [...new Set([...defaultProtectedNames(request.installationName), ...request.protectedEntries])];
    const targets = protectedTargets(request.writableRoots, entries, (name) => placeholderKind(name, request.installationName));
    for (const step of planProtection(targets, entryKind)) {
      if (step.op === 'warn') {
        warnings.push(step.message);
        continue;
      }
      if (step.op === 'reserve') {
        const aces = placeholderAces(request.identitySid, request.logonSid, request.realUserSid);
        if (step.kind === 'file') {
          createFileWith(step.path, aces);
          reservedFiles.push(step.path);
        } else createDirectoryWith(step.path, aces);
        reserved.push(step.path);
        holds.push(holdEntry(step.path));
        continue;
      }
      holds.push(holdEntry(step.path));
      const rights = grantedAccess(step.path, request.commandToken) & PROTECTED_WRITE_RIGHTS;
      if (rights !== 0) {
        throw new CorralError(
          'not_provisioned',
          `protected entry ${step.path} is writable by the session's commands (rights 0x${rights.toString(16)}): it was created after the workspace was granted; run \`corral setup --workspace ${step.root}\` again to protect it`,
          { details: { path: step.path, rights } },
        );
      }
    }
  } catch (err) {
    release();
    throw err;
  }
  return { reserved, reservedFiles, warnings, release };
}
