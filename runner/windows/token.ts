/**
 * Tokens and SIDs (advapi32): the restricted token every command of a session runs with.
 *
 * Built once per session from the runner's own token (the identity's, from the one logon):
 *   CreateRestrictedToken(WRITE_RESTRICTED | DISABLE_MAX_PRIVILEGE | LUA_TOKEN,
 *                         restricting SIDs = the workspace capability SID(s) + the session's
 *                         logon SID + Everyone — never the identity SID; token-sids.ts says why)
 * With WRITE_RESTRICTED, a write is allowed only if the normal access check passes AND a
 * second check using only the restricting SIDs passes: the identity may write where both the
 * identity's group and a capability SID of this session are granted — the workspace — plus
 * the session's own objects (its temp directory and desktop name the logon SID) and objects
 * open to Everyone (the NUL device); not its HKCU, its profile or the runner process, which
 * grant only the identity SID. Reads are unaffected. DISABLE_MAX_PRIVILEGE drops every
 * privilege but SeChangeNotify; LUA_TOKEN makes it a filtered, medium-integrity token.
 *
 * Default DACL: objects a command creates without an inherited ACL (pipes, events, process
 * and thread objects) get the token's default DACL: GENERIC_ALL for the identity SID, the
 * logon SID and SYSTEM, so that both access checks pass on them and pipes between a
 * command's own processes keep working.
 *
 * SIDs cross this file's boundary only as S-1-… strings; binary SIDs and ACLs live in Buffers
 * or LocalAlloc'd memory owned and freed here.
 */
import koffi, { type TypeObject } from 'koffi';
import { bindPrototypes, declarePrototypes, layoutsOf, pointerValue, type Bound, type Declarations } from '../../os/win32/library.js';
import { Win32Handle, rawHandle } from '../../os/win32/handle.js';
import { win32Failure } from '../../os/win32/win32-error.js';
import { CorralError } from '../../core/errors.js';
import { isSidString } from '../../os/win32/sid.js';

export { isSidString };
import type { CommandTokenSids } from './token-sids.js';

const CURRENT_PROCESS = 0xffffffffffffffffn; // GetCurrentProcess() pseudo-handle (-1)
const TOKEN_ASSIGN_PRIMARY = 0x1;
const TOKEN_DUPLICATE = 0x2;
const TOKEN_QUERY = 0x8;
const TOKEN_ADJUST_DEFAULT = 0x80;
const DISABLE_MAX_PRIVILEGE = 0x1;
const WRITE_RESTRICTED = 0x8;
const LUA_TOKEN = 0x4;
const TOKEN_USER_CLASS = 1;
const TOKEN_GROUPS_CLASS = 2;
const SE_GROUP_LOGON_ID = 0xc0000000;
const TOKEN_DEFAULT_DACL_CLASS = 6;
const TOKEN_RESTRICTED_SIDS_CLASS = 11;
const ACL_REVISION = 2;
const GENERIC_ALL = 0x10000000;
const ERROR_INSUFFICIENT_BUFFER = 122;
const ACL_HEADER_BYTES = 8;
const ACCESS_ALLOWED_ACE_HEADER_BYTES = 8; // ACE_HEADER + ACCESS_MASK; SidStart follows

/** Flags for the session's command token (pure, tested). */
export const RESTRICTED_TOKEN_FLAGS = WRITE_RESTRICTED | DISABLE_MAX_PRIVILEGE | LUA_TOKEN;

let types: Record<'SID_AND_ATTRIBUTES' | 'TOKEN_DEFAULT_DACL' | 'TOKEN_USER', TypeObject> | undefined;
function declareTypes(): NonNullable<typeof types> {
  if (types) return types;
  const SID_AND_ATTRIBUTES = koffi.struct('SID_AND_ATTRIBUTES', { Sid: 'void *', Attributes: 'uint32' });
  const TOKEN_DEFAULT_DACL = koffi.struct('TOKEN_DEFAULT_DACL', { DefaultDacl: 'void *' });
  const TOKEN_USER = koffi.struct('TOKEN_USER', { User: SID_AND_ATTRIBUTES });
  return (types = { SID_AND_ATTRIBUTES, TOKEN_DEFAULT_DACL, TOKEN_USER });
}

const ADVAPI32 = {
  OpenProcessToken: 'int __stdcall OpenProcessToken(void *ProcessHandle, uint32 DesiredAccess, _Out_ void **TokenHandle)',
  CreateRestrictedToken:
    'int __stdcall CreateRestrictedToken(void *ExistingTokenHandle, uint32 Flags, uint32 DisableSidCount, void *SidsToDisable, uint32 DeletePrivilegeCount, void *PrivilegesToDelete, uint32 RestrictedSidCount, void *SidsToRestrict, _Out_ void **NewTokenHandle)',
  ConvertStringSidToSidW: 'int __stdcall ConvertStringSidToSidW(str16 StringSid, _Out_ void **Sid)',
  ConvertSidToStringSidW: 'int __stdcall ConvertSidToStringSidW(void *Sid, _Out_ void **StringSid)',
  GetLengthSid: 'uint32 __stdcall GetLengthSid(void *pSid)',
  IsValidSid: 'int __stdcall IsValidSid(void *pSid)',
  GetTokenInformation:
    'int __stdcall GetTokenInformation(void *TokenHandle, int TokenInformationClass, void *TokenInformation, uint32 TokenInformationLength, _Out_ uint32 *ReturnLength)',
  SetTokenInformation:
    'int __stdcall SetTokenInformation(void *TokenHandle, int TokenInformationClass, TOKEN_DEFAULT_DACL *TokenInformation, uint32 TokenInformationLength)',
  IsTokenRestricted: 'int __stdcall IsTokenRestricted(void *TokenHandle)',
  InitializeAcl: 'int __stdcall InitializeAcl(void *pAcl, uint32 nAclLength, uint32 dwAclRevision)',
  AddAccessAllowedAce: 'int __stdcall AddAccessAllowedAce(void *pAcl, uint32 dwAceRevision, uint32 AccessMask, void *pSid)',
} as const;
const KERNEL32 = {
  LocalFree: 'void * __stdcall LocalFree(void *hMem)',
  GetLastError: 'uint32 __stdcall GetLastError()',
} as const;

let adv: Bound<typeof ADVAPI32> | undefined;
let kern: Bound<typeof KERNEL32> | undefined;
function advapi32(): Bound<typeof ADVAPI32> {
  declareTypes();
  return (adv ??= bindPrototypes('advapi32.dll', ADVAPI32));
}
function kernel32(): Bound<typeof KERNEL32> {
  return (kern ??= bindPrototypes('kernel32.dll', KERNEL32));
}

export function tokenDeclarations(): Declarations {
  return { layouts: layoutsOf(declareTypes()), prototypes: [...declarePrototypes(ADVAPI32), ...declarePrototypes(KERNEL32)] };
}


/** The binary form of a SID string, copied into a Buffer (ConvertStringSidToSidW + LocalFree). */
export function sidFromString(sid: string): Buffer {
  const a = advapi32();
  const out: unknown[] = [null];
  if (!a.ConvertStringSidToSidW(sid, out)) throw win32Failure('ConvertStringSidToSidW', undefined, `SID ${JSON.stringify(sid)}`);
  const pointer = pointerValue(out[0]);
  try {
    const length = a.GetLengthSid(pointer) as number;
    return Buffer.from(koffi.decode(pointer, 'uint8', length) as Uint8Array);
  } finally {
    kernel32().LocalFree(pointer);
  }
}

function sidToString(sid: bigint | Buffer): string {
  const out: unknown[] = [null];
  if (!advapi32().ConvertSidToStringSidW(sid, out)) throw win32Failure('ConvertSidToStringSidW');
  const pointer = pointerValue(out[0]);
  try {
    return koffi.decode.string16(pointer);
  } finally {
    kernel32().LocalFree(pointer);
  }
}

/** GetTokenInformation with the usual size probe; returns the raw buffer. */
function tokenInformation(token: bigint, infoClass: number, api: string): Buffer {
  const a = advapi32();
  const needed = [0];
  if (!a.GetTokenInformation(token, infoClass, null, 0, needed)) {
    const code = kernel32().GetLastError() as number;
    if (code !== ERROR_INSUFFICIENT_BUFFER) throw win32Failure('GetTokenInformation', code, api);
  }
  const buffer = Buffer.alloc(Math.max(needed[0]!, 8));
  if (!a.GetTokenInformation(token, infoClass, buffer, buffer.length, needed)) throw win32Failure('GetTokenInformation', undefined, api);
  return buffer;
}

/** SID_AND_ATTRIBUTES entries (16 bytes each: SID pointer, attributes) as SID strings. */
function sidsAt(buffer: Buffer, offset: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(sidToString(buffer.readBigUInt64LE(offset + i * 16)));
  return out;
}

function openOwnToken(access: number): Win32Handle {
  const out: unknown[] = [null];
  if (!advapi32().OpenProcessToken(CURRENT_PROCESS, access, out)) throw win32Failure('OpenProcessToken');
  return Win32Handle.adopt(pointerValue(out[0]), 'runner token');
}

/** The SID of the account this process runs as (TokenUser of its own token). */
export function currentUserSid(): string {
  const token = openOwnToken(TOKEN_QUERY);
  try {
    return sidsAt(tokenInformation(rawHandle(token), TOKEN_USER_CLASS, 'TokenUser'), 0, 1)[0]!;
  } finally {
    token.close();
  }
}

/**
 * The logon SID of this process's token (the TokenGroups entry marked SE_GROUP_LOGON_ID):
 * CreateProcessWithLogonW makes one logon per session, so it names this session only.
 */
export function currentLogonSid(): string {
  const token = openOwnToken(TOKEN_QUERY);
  try {
    const buffer = tokenInformation(rawHandle(token), TOKEN_GROUPS_CLASS, 'TokenGroups');
    const count = buffer.readUInt32LE(0);
    // TOKEN_GROUPS: GroupCount (4 bytes, padded to 8), then SID_AND_ATTRIBUTES[GroupCount].
    for (let i = 0; i < count; i++) {
      const attributes = buffer.readUInt32LE(8 + i * 16 + 8);
      if ((attributes & SE_GROUP_LOGON_ID) === SE_GROUP_LOGON_ID) return sidToString(buffer.readBigUInt64LE(8 + i * 16));
    }
  } finally {
    token.close();
  }
  throw new CorralError('runner_failed', "the runner's token has no logon SID (TokenGroups has no SE_GROUP_LOGON_ID entry)");
}

/** An ACL granting GENERIC_ALL to each SID, in a Buffer (InitializeAcl + AddAccessAllowedAce). */
function aclGranting(sids: Buffer[]): Buffer {
  const a = advapi32();
  const size = sids.reduce((n, sid) => n + ACCESS_ALLOWED_ACE_HEADER_BYTES + sid.length, ACL_HEADER_BYTES);
  const acl = Buffer.alloc((size + 3) & ~3);
  if (!a.InitializeAcl(acl, acl.length, ACL_REVISION)) throw win32Failure('InitializeAcl');
  for (const sid of sids) if (!a.AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, sid)) throw win32Failure('AddAccessAllowedAce');
  return acl;
}

export interface RestrictedTokenFacts {
  /** The SIDs the new token reports as restricting (read back with GetTokenInformation). */
  restrictingSids: string[];
  /** IsTokenRestricted on the new token. */
  restricted: boolean;
}

/**
 * The session's command token: see the file comment. `sids` comes from token-sids.ts
 * (commandTokenSids), which refuses every SID that must not restrict it. The caller owns the handle.
 */
export function createCommandToken(sids: CommandTokenSids): Win32Handle {
  for (const sid of [...sids.restricting, ...sids.defaultDacl]) {
    if (!isSidString(sid)) throw new CorralError('runner_failed', `${JSON.stringify(sid)} is not a SID (S-1-…)`);
  }
  const restricting = sids.restricting.map(sidFromString);
  const entries = Buffer.alloc(16 * restricting.length);
  restricting.forEach((sid, i) => entries.writeBigUInt64LE(koffi.address(sid), i * 16));
  const own = openOwnToken(TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT);
  let created: Win32Handle | undefined;
  try {
    const out: unknown[] = [null];
    const ok = advapi32().CreateRestrictedToken(rawHandle(own), RESTRICTED_TOKEN_FLAGS, 0, null, 0, null, restricting.length, entries, out);
    if (!ok) throw win32Failure('CreateRestrictedToken');
    created = Win32Handle.adopt(pointerValue(out[0]), 'command token');
    const acl = aclGranting(sids.defaultDacl.map(sidFromString));
    const size = koffi.sizeof(declareTypes().TOKEN_DEFAULT_DACL);
    if (!advapi32().SetTokenInformation(rawHandle(created), TOKEN_DEFAULT_DACL_CLASS, { DefaultDacl: koffi.address(acl) }, size)) {
      throw win32Failure('SetTokenInformation', undefined, 'TokenDefaultDacl');
    }
    const result = created;
    created = undefined;
    return result;
  } finally {
    created?.close();
    own.close();
  }
}

/** Read back what a command token enforces (setup verification and the Wine smoke test). */
export function commandTokenFacts(token: Win32Handle): RestrictedTokenFacts {
  const buffer = tokenInformation(rawHandle(token), TOKEN_RESTRICTED_SIDS_CLASS, 'TokenRestrictedSids');
  const count = buffer.readUInt32LE(0);
  // TOKEN_GROUPS: GroupCount (4 bytes, padded to 8), then SID_AND_ATTRIBUTES[GroupCount].
  return {
    restrictingSids: sidsAt(buffer, 8, count),
    restricted: Boolean(advapi32().IsTokenRestricted(rawHandle(token))),
  };
}
