/**
 * Security descriptors the runner attaches to objects it creates for a session (advapi32):
 * the private desktop (desktop.ts), the session temp directory and the placeholders that
 * reserve missing protected names (session-dirs.ts). Each object is created WITH its
 * descriptor (SECURITY_ATTRIBUTES), so there is no moment in which it carries a default one.
 *
 * The ACL is built in canonical order (deny ACEs first), with the DACL marked protected when
 * asked (SE_DACL_PROTECTED: no ACE inherited from the parent, so a workspace's inheritable
 * Modify grant can't reach a placeholder). Buffers only: the descriptor, its ACL and the SIDs
 * live in Buffers the caller keeps alive (`keep`) until the create call has returned.
 */
import koffi from 'koffi';
import { bindPrototypes, declarePrototypes, type Bound, type Declarations } from '../../os/win32/library.js';
import { win32Failure } from '../../os/win32/win32-error.js';
import { sidFromString } from './token.js';

const ACL_REVISION = 2;
const SECURITY_DESCRIPTOR_REVISION = 1;
/** sizeof(SECURITY_DESCRIPTOR) on x64 (absolute form: 4 header bytes, padding, four pointers). */
export const SECURITY_DESCRIPTOR_BYTES = 40;
/** sizeof(SECURITY_ATTRIBUTES) on x64: DWORD nLength, (pad), LPVOID lpSecurityDescriptor, BOOL bInheritHandle, (pad). */
export const SECURITY_ATTRIBUTES_BYTES = 24;
const SE_DACL_PROTECTED = 0x1000;
const ACL_HEADER_BYTES = 8;
const ACE_HEADER_BYTES = 8; // ACE_HEADER (4) + ACCESS_MASK (4); the SID follows

export const OBJECT_INHERIT_ACE = 0x1;
export const CONTAINER_INHERIT_ACE = 0x2;

export interface AceSpec {
  type: 'allow' | 'deny';
  /** S-1-… */
  sid: string;
  mask: number;
  /** AceFlags (OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE); 0 for objects that have no children. */
  inheritance?: number;
}

const ADVAPI32 = {
  InitializeAcl: 'int __stdcall InitializeAcl(void *pAcl, uint32 nAclLength, uint32 dwAclRevision)',
  AddAccessAllowedAceEx: 'int __stdcall AddAccessAllowedAceEx(void *pAcl, uint32 dwAceRevision, uint32 AceFlags, uint32 AccessMask, void *pSid)',
  AddAccessDeniedAceEx: 'int __stdcall AddAccessDeniedAceEx(void *pAcl, uint32 dwAceRevision, uint32 AceFlags, uint32 AccessMask, void *pSid)',
  InitializeSecurityDescriptor: 'int __stdcall InitializeSecurityDescriptor(void *pSecurityDescriptor, uint32 dwRevision)',
  SetSecurityDescriptorDacl: 'int __stdcall SetSecurityDescriptorDacl(void *pSecurityDescriptor, int bDaclPresent, void *pDacl, int bDaclDefaulted)',
  SetSecurityDescriptorControl:
    'int __stdcall SetSecurityDescriptorControl(void *pSecurityDescriptor, uint16 ControlBitsOfInterest, uint16 ControlBitsToSet)',
} as const;

let adv: Bound<typeof ADVAPI32> | undefined;
function advapi32(): Bound<typeof ADVAPI32> {
  return (adv ??= bindPrototypes('advapi32.dll', ADVAPI32));
}

export function securityDescriptorDeclarations(): Declarations {
  return { layouts: {}, prototypes: declarePrototypes(ADVAPI32) };
}

/** Deny ACEs before allow ACEs (the canonical order Windows evaluates correctly); stable otherwise. Pure. */
export function canonicalOrder(aces: readonly AceSpec[]): AceSpec[] {
  return [...aces.filter((a) => a.type === 'deny'), ...aces.filter((a) => a.type === 'allow')];
}

/** Bytes an ACL of ACEs with these SID lengths needs, DWORD-aligned. Pure. */
export function aclBytes(sidLengths: readonly number[]): number {
  const size = sidLengths.reduce((n, length) => n + ACE_HEADER_BYTES + length, ACL_HEADER_BYTES);
  return (size + 3) & ~3;
}

/** An ACL holding `aces` in canonical order, in a Buffer. */
export function buildAcl(aces: readonly AceSpec[]): Buffer {
  const a = advapi32();
  const ordered = canonicalOrder(aces).map((ace) => ({ ...ace, binary: sidFromString(ace.sid) }));
  const acl = Buffer.alloc(aclBytes(ordered.map((o) => o.binary.length)));
  if (!a.InitializeAcl(acl, acl.length, ACL_REVISION)) throw win32Failure('InitializeAcl');
  for (const ace of ordered) {
    const add = ace.type === 'deny' ? a.AddAccessDeniedAceEx : a.AddAccessAllowedAceEx;
    if (!add(acl, ACL_REVISION, ace.inheritance ?? 0, ace.mask >>> 0, ace.binary)) {
      throw win32Failure(ace.type === 'deny' ? 'AddAccessDeniedAceEx' : 'AddAccessAllowedAceEx', undefined, `ACE for ${ace.sid}`);
    }
  }
  return acl;
}

export interface SecurityAttributes {
  /** SECURITY_ATTRIBUTES (not inheritable), to pass as LPSECURITY_ATTRIBUTES. */
  attributes: Buffer;
  /** The descriptor alone (for SetUserObjectSecurity and the like). */
  descriptor: Buffer;
  /** Buffers the descriptor points into: keep them referenced until the call has returned. */
  keep: Buffer[];
}

/** An absolute security descriptor with exactly `aces` as its DACL (protected when asked). */
export function securityAttributes(aces: readonly AceSpec[], options: { protectedDacl: boolean }): SecurityAttributes {
  const a = advapi32();
  const acl = buildAcl(aces);
  const descriptor = Buffer.alloc(SECURITY_DESCRIPTOR_BYTES);
  if (!a.InitializeSecurityDescriptor(descriptor, SECURITY_DESCRIPTOR_REVISION)) throw win32Failure('InitializeSecurityDescriptor');
  if (!a.SetSecurityDescriptorDacl(descriptor, 1, acl, 0)) throw win32Failure('SetSecurityDescriptorDacl');
  if (options.protectedDacl && !a.SetSecurityDescriptorControl(descriptor, SE_DACL_PROTECTED, SE_DACL_PROTECTED)) {
    throw win32Failure('SetSecurityDescriptorControl', undefined, 'SE_DACL_PROTECTED');
  }
  const attributes = Buffer.alloc(SECURITY_ATTRIBUTES_BYTES);
  attributes.writeUInt32LE(SECURITY_ATTRIBUTES_BYTES, 0);
  attributes.writeBigUInt64LE(koffi.address(descriptor), 8);
  attributes.writeUInt32LE(0, 16); // bInheritHandle = FALSE
  return { attributes, descriptor, keep: [acl, descriptor] };
}
