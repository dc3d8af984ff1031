/**
 * Who owns a file or directory (advapi32 GetFileSecurityW + GetSecurityDescriptorOwner), and
 * whether that owner is one Corral trusts with its machine state.
 *
 * Threat model: %ProgramData% lets every user create folders in it. A user who creates
 * %ProgramData%\Corral before setup does (squatting) owns it, and could plant a state.json
 * naming their own runner, or a journal that teardown would replay. Setup creates the folder
 * with a protected DACL (the module's job); readers refuse a state file, journal or
 * credential file — and the folder holding them — whose owner is not Administrators or
 * SYSTEM (`state_corrupt`), before reading a byte of it.
 */
import koffi from 'koffi';
import { CorralError } from '../../core/errors.js';
import { bindPrototypes, declarePrototypes, pointerValue, type Bound, type Declarations } from './library.js';
import { win32Failure } from './win32-error.js';

const OWNER_SECURITY_INFORMATION = 0x1;
const ERROR_INSUFFICIENT_BUFFER = 122;

/** BUILTIN\Administrators and LocalSystem: the owners elevated provisioning leaves. */
export const TRUSTED_OWNERS: ReadonlyMap<string, string> = new Map([
  ['S-1-5-32-544', 'BUILTIN\\Administrators'],
  ['S-1-5-18', 'NT AUTHORITY\\SYSTEM'],
]);

/** state_corrupt unless `ownerSid` is a trusted owner. Pure. */
export function checkTrustedOwner(path: string, ownerSid: string): void {
  if (!TRUSTED_OWNERS.has(ownerSid)) {
    throw new CorralError(
      'state_corrupt',
      `${path} is owned by ${ownerSid}, not by Administrators or SYSTEM: Corral does not trust it (it may have been created by another user before setup); an administrator should remove it and run \`corral setup\` again`,
      { details: { path, owner: ownerSid } },
    );
  }
}

const ADVAPI32 = {
  GetFileSecurityW:
    'int __stdcall GetFileSecurityW(str16 lpFileName, uint32 RequestedInformation, void *pSecurityDescriptor, uint32 nLength, _Out_ uint32 *lpnLengthNeeded)',
  GetSecurityDescriptorOwner: 'int __stdcall GetSecurityDescriptorOwner(void *pSecurityDescriptor, _Out_ void **pOwner, _Out_ int *lpbOwnerDefaulted)',
  ConvertSidToStringSidW: 'int __stdcall ConvertSidToStringSidW(void *Sid, _Out_ void **StringSid)',
} as const;
const KERNEL32 = {
  LocalFree: 'void * __stdcall LocalFree(void *hMem)',
} as const;

let adv: Bound<typeof ADVAPI32> | undefined;
let kern: Bound<typeof KERNEL32> | undefined;

export function fileOwnerDeclarations(): Declarations {
  return { layouts: {}, prototypes: [...declarePrototypes(ADVAPI32), ...declarePrototypes(KERNEL32)] };
}

/** The owner SID of `path`, as S-1-… text. */
export function fileOwnerSid(path: string): string {
  adv ??= bindPrototypes('advapi32.dll', ADVAPI32);
  kern ??= bindPrototypes('kernel32.dll', KERNEL32);
  const needed = [0];
  if (!adv.GetFileSecurityW(path, OWNER_SECURITY_INFORMATION, null, 0, needed)) {
    const failure = win32Failure('GetFileSecurityW', undefined, path);
    if ((failure.details as { win32Error: number }).win32Error !== ERROR_INSUFFICIENT_BUFFER) throw failure;
  }
  const descriptor = Buffer.alloc(Math.max(needed[0]!, 20));
  if (!adv.GetFileSecurityW(path, OWNER_SECURITY_INFORMATION, descriptor, descriptor.length, needed)) throw win32Failure('GetFileSecurityW', undefined, path);
  const owner: unknown[] = [null];
  const defaulted = [0];
  if (!adv.GetSecurityDescriptorOwner(koffi.address(descriptor), owner, defaulted)) throw win32Failure('GetSecurityDescriptorOwner', undefined, path);
  const ownerPointer = pointerValue(owner[0]);
  if (ownerPointer === 0n) throw new CorralError('state_corrupt', `${path} has no owner`);
  const text: unknown[] = [null];
  if (!adv.ConvertSidToStringSidW(ownerPointer, text)) throw win32Failure('ConvertSidToStringSidW', undefined, path);
  const textPointer = pointerValue(text[0]);
  try {
    return koffi.decode.string16(textPointer) as string;
  } finally {
    kern.LocalFree(textPointer);
  }
}

/** Refuse (state_corrupt) each path not owned by Administrators or SYSTEM, in order (the folder first). */
export function requireTrustedOwners(...paths: string[]): void {
  for (const path of paths) checkTrustedOwner(path, fileOwnerSid(path));
}
