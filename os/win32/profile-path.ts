/**
 * A user's profile folder (their home, `~` of the policy) from the account's SID: the
 * `ProfileImagePath` value of HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\<SID>,
 * which Windows keeps for every profile and lets every user read (advapi32 RegGetValueW; a
 * REG_EXPAND_SZ such as `%SystemDrive%\Users\alice` comes back expanded).
 *
 * The Windows runner asks it for the real user's SID recorded in the machine state, never for
 * a name or path the request carries: the floor (core/policy/floor.ts) expands `~` in the
 * machine layer and refuses the home as a writable root with it.
 */
import { CorralError } from '../../core/errors.js';
import { bindPrototypes, declarePrototypes, type Bound, type Declarations } from './library.js';
import { isSidString } from './sid.js';

/** HKEY_LOCAL_MACHINE: (HKEY)(ULONG_PTR)(LONG)0x80000002, sign-extended on 64-bit. */
const HKEY_LOCAL_MACHINE = -2147483646;
const RRF_RT_REG_SZ = 0x2;
const ERROR_SUCCESS = 0;
const ERROR_MORE_DATA = 234;
const PROFILE_LIST = 'SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList';

const ADVAPI32 = {
  RegGetValueW:
    'long __stdcall RegGetValueW(intptr_t hkey, str16 lpSubKey, str16 lpValue, uint32 dwFlags, _Out_ uint32 *pdwType, void *pvData, _Inout_ uint32 *pcbData)',
} as const;

let adv: Bound<typeof ADVAPI32> | undefined;

export function profilePathDeclarations(): Declarations {
  return { layouts: {}, prototypes: declarePrototypes(ADVAPI32) };
}

/** The profile folder of the account `sid` (S-1-… text); runner_failed when Windows has none recorded. */
export function profilePathOfSid(sid: string): string {
  if (!isSidString(sid)) throw new CorralError('internal', `profilePathOfSid: ${JSON.stringify(sid)} is not a SID`);
  adv ??= bindPrototypes('advapi32.dll', ADVAPI32);
  const subKey = `${PROFILE_LIST}\\${sid}`;
  let size = 520;
  for (let attempt = 0; attempt < 3; attempt++) {
    const data = Buffer.alloc(size);
    const type = [0];
    const length = [size];
    const status = Number(adv.RegGetValueW(HKEY_LOCAL_MACHINE, subKey, 'ProfileImagePath', RRF_RT_REG_SZ, type, data, length));
    if (status === ERROR_SUCCESS) {
      const text = data.subarray(0, Math.max(0, length[0]! - 2)).toString('utf16le').replace(/\0+$/, '');
      if (text === '') break;
      return text;
    }
    if (status !== ERROR_MORE_DATA) {
      throw new CorralError('runner_failed', `the real user's profile folder is unknown: RegGetValueW(HKLM\\${subKey}\\ProfileImagePath) failed with Win32 error ${status}`, {
        details: { sid, win32Error: status },
      });
    }
    size = length[0]! + 2;
  }
  throw new CorralError('runner_failed', `the real user's profile folder is unknown: HKLM\\${subKey}\\ProfileImagePath is empty or keeps growing`, { details: { sid } });
}
