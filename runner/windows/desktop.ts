/**
 * The session's private desktop (user32): every command of a session starts on a desktop of
 * its own (STARTUPINFO.lpDesktop = `<window station>\corral-<random>`), created by the runner
 * when the session is confined and closed when it ends.
 *
 * Why: a process that loads USER32 must be able to open its desktop, or it dies at start with
 * 0xC0000142 (STATUS_DLL_INIT_FAILED: PowerShell, whoami, anything with a window class),
 * which is what the restricted token meets on the caller's desktop, whose DACL names the
 * real user's logon SID, not this session's. And commands on the developer's own desktop
 * would share its windows, its clipboard and its input: a private desktop has none of them.
 *
 * The desktop is created WITH its DACL (security-descriptor.ts), which names:
 *  - the identity SID: everything (the runner, which also closes it);
 *  - the session's logon SID: everything a program needs on a desktop (read/create/enumerate/
 *    write objects, hooks and journaling — confined to this desktop), but not DELETE,
 *    WRITE_DAC, WRITE_OWNER nor DESKTOP_SWITCHDESKTOP. A command's access is the
 *    intersection of both checks (token-sids.ts), so it gets exactly the logon SID's share.
 * No other principal is named: the real user's processes can't open it, nor can another session's.
 * The job's UI limits (job.ts) keep commands off the clipboard, global atoms and other desktops.
 *
 * Opt-out: `windows.privateDesktop: false` in the machine or user config (then commands start
 * on the runner's own desktop, WinSta0\Default, which seclogon grants the logon SID).
 */
import { randomBytes } from 'node:crypto';
import { bindPrototypes, declarePrototypes, pointerValue, type Bound, type Declarations } from '../../os/win32/library.js';
import { win32Failure } from '../../os/win32/win32-error.js';
import { securityAttributes, type AceSpec } from './security-descriptor.js';

export const DESKTOP_READOBJECTS = 0x1;
export const DESKTOP_CREATEWINDOW = 0x2;
export const DESKTOP_CREATEMENU = 0x4;
export const DESKTOP_HOOKCONTROL = 0x8;
export const DESKTOP_JOURNALRECORD = 0x10;
export const DESKTOP_JOURNALPLAYBACK = 0x20;
export const DESKTOP_ENUMERATE = 0x40;
export const DESKTOP_WRITEOBJECTS = 0x80;
export const DESKTOP_SWITCHDESKTOP = 0x100;
const DELETE = 0x10000;
const READ_CONTROL = 0x20000;
const WRITE_DAC = 0x40000;
const WRITE_OWNER = 0x80000;
const UOI_NAME = 2;
const NAME_CHARS = 256;

/** Every desktop right (the runner's). */
export const DESKTOP_ALL_ACCESS =
  DESKTOP_READOBJECTS | DESKTOP_CREATEWINDOW | DESKTOP_CREATEMENU | DESKTOP_HOOKCONTROL | DESKTOP_JOURNALRECORD |
  DESKTOP_JOURNALPLAYBACK | DESKTOP_ENUMERATE | DESKTOP_WRITEOBJECTS | DESKTOP_SWITCHDESKTOP | DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER;

/** What a command may do on its session's desktop: use it, never re-secure, delete or switch it. */
export const DESKTOP_COMMAND_ACCESS =
  DESKTOP_READOBJECTS | DESKTOP_CREATEWINDOW | DESKTOP_CREATEMENU | DESKTOP_HOOKCONTROL | DESKTOP_JOURNALRECORD |
  DESKTOP_JOURNALPLAYBACK | DESKTOP_ENUMERATE | DESKTOP_WRITEOBJECTS | READ_CONTROL;

/** The desktop's DACL (pure, unit-tested): the identity (runner) and the session's logon SID, nobody else. */
export function desktopAces(identitySid: string, logonSid: string): AceSpec[] {
  return [
    { type: 'allow', sid: identitySid, mask: DESKTOP_ALL_ACCESS },
    { type: 'allow', sid: logonSid, mask: DESKTOP_COMMAND_ACCESS },
  ];
}

/** A fresh desktop name (pure but for the random bytes): no caller-chosen text reaches the object namespace. */
export function newDesktopName(random: Buffer = randomBytes(8)): string {
  return `corral-${random.toString('hex')}`;
}

/** STARTUPINFO.lpDesktop for a desktop in a window station: `WinSta0\corral-…`. Pure. */
export function startupDesktop(windowStation: string, desktop: string): string {
  if (!/^[^\\]+$/.test(windowStation) || !/^[^\\]+$/.test(desktop)) {
    throw new TypeError(`window station and desktop names contain no backslash: ${JSON.stringify([windowStation, desktop])}`);
  }
  return `${windowStation}\\${desktop}`;
}

const USER32 = {
  GetProcessWindowStation: 'void * __stdcall GetProcessWindowStation()',
  GetUserObjectInformationW:
    'int __stdcall GetUserObjectInformationW(void *hObj, int nIndex, void *pvInfo, uint32 nLength, _Out_ uint32 *lpnLengthNeeded)',
  CreateDesktopW:
    'void * __stdcall CreateDesktopW(str16 lpszDesktop, void *lpszDevice, void *pDevmode, uint32 dwFlags, uint32 dwDesiredAccess, void *lpsa)',
  CloseDesktop: 'int __stdcall CloseDesktop(void *hDesktop)',
} as const;

let user: Bound<typeof USER32> | undefined;
function user32(): Bound<typeof USER32> {
  return (user ??= bindPrototypes('user32.dll', USER32));
}

export function desktopDeclarations(): Declarations {
  return { layouts: {}, prototypes: declarePrototypes(USER32) };
}

/** The name of this process's window station (WinSta0 on an interactive session). */
export function windowStationName(): string {
  const u = user32();
  const station = pointerValue(u.GetProcessWindowStation());
  if (station === 0n) throw win32Failure('GetProcessWindowStation');
  const buffer = Buffer.alloc(NAME_CHARS * 2);
  const needed = [0];
  if (!u.GetUserObjectInformationW(station, UOI_NAME, buffer, buffer.length, needed)) throw win32Failure('GetUserObjectInformationW', undefined, 'UOI_NAME');
  const text = buffer.toString('utf16le');
  const end = text.indexOf('\0');
  return end < 0 ? text : text.slice(0, end);
}

export interface PrivateDesktop {
  /** `WinSta0\corral-…`, for STARTUPINFO.lpDesktop. */
  readonly startupName: string;
  close(): void;
}

/** Create the session's desktop with its DACL (see the file comment). The caller closes it. */
export function createPrivateDesktop(identitySid: string, logonSid: string): PrivateDesktop {
  const station = windowStationName();
  const name = newDesktopName();
  const sa = securityAttributes(desktopAces(identitySid, logonSid), { protectedDacl: true });
  const handle = pointerValue(user32().CreateDesktopW(name, null, null, 0, DESKTOP_ALL_ACCESS, sa.attributes));
  void sa.keep; // referenced until here: the descriptor points into these buffers
  if (handle === 0n) throw win32Failure('CreateDesktopW', undefined, `creating the session desktop ${station}\\${name} (set windows.privateDesktop to false to run commands on the runner's desktop)`);
  let open = true;
  return {
    startupName: startupDesktop(station, name),
    close() {
      if (!open) return;
      open = false;
      user32().CloseDesktop(handle);
    },
  };
}
