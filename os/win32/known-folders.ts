/**
 * Known folders (shell32 SHGetKnownFolderPath): where Windows itself says %ProgramData%,
 * %ProgramFiles%, the Windows directory and the current account's profile folders are.
 *
 * Why not the environment: a process's environment is whatever its parent chose, and the
 * folders Corral trusts — %ProgramData%\Corral (state, journal, credentials) and
 * %ProgramFiles%\Corral (the installed runner) — must not be chosen by whoever starts it. A
 * `ProgramData=C:\Users\mallory\fake` in the caller's environment would otherwise point the
 * launcher at a state file, runner and node.exe of the caller's making. The profile folders
 * (APPDATA, LOCALAPPDATA, the profile) are looked up for the account this process runs as.
 */
import koffi from 'koffi';
import { bindPrototypes, declarePrototypes, pointerValue, type Bound, type Declarations } from './library.js';
import { win32Failure } from './win32-error.js';

/** The folders Corral asks for, by FOLDERID (KnownFolders.h). */
export const FOLDER_IDS = {
  ProgramData: '62AB5D82-FDC1-4DC3-A9DD-070D1D495D97',
  ProgramFiles: '905E63B6-C1BF-494E-B29C-65B732D3D21A',
  Windows: 'F38BF404-1D43-42F2-9305-67DE0B28FC23',
  Profile: '5E6C858F-0E22-4760-9AFE-EA3317B67173',
  RoamingAppData: '3EB685DB-65F9-4CF6-A03A-E3EF65729F3D',
  LocalAppData: 'F1B32785-6FBA-4FCF-9D55-7B8E7F157091',
} as const;
export type KnownFolder = keyof typeof FOLDER_IDS;

/** A GUID in its 16-byte in-memory form (Data1 u32 LE, Data2/Data3 u16 LE, Data4 as written). Pure. */
export function guidBytes(guid: string): Buffer {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (m === null) throw new TypeError(`not a GUID: ${JSON.stringify(guid)}`);
  const out = Buffer.alloc(16);
  out.writeUInt32LE(parseInt(m[1]!, 16), 0);
  out.writeUInt16LE(parseInt(m[2]!, 16), 4);
  out.writeUInt16LE(parseInt(m[3]!, 16), 6);
  Buffer.from(`${m[4]}${m[5]}`, 'hex').copy(out, 8);
  return out;
}

const SHELL32 = {
  SHGetKnownFolderPath: 'int32 __stdcall SHGetKnownFolderPath(void *rfid, uint32 dwFlags, void *hToken, _Out_ void **ppszPath)',
} as const;
const OLE32 = {
  CoTaskMemFree: 'void __stdcall CoTaskMemFree(void *pv)',
} as const;

let shell: Bound<typeof SHELL32> | undefined;
let ole: Bound<typeof OLE32> | undefined;

export function knownFolderDeclarations(): Declarations {
  return { layouts: {}, prototypes: [...declarePrototypes(SHELL32), ...declarePrototypes(OLE32)] };
}

/** The path of a known folder for the account this process runs as. */
export function knownFolder(folder: KnownFolder): string {
  shell ??= bindPrototypes('shell32.dll', SHELL32);
  ole ??= bindPrototypes('ole32.dll', OLE32);
  const out: unknown[] = [null];
  const hr = shell.SHGetKnownFolderPath(guidBytes(FOLDER_IDS[folder]), 0, null, out) as number;
  const pointer = pointerValue(out[0]);
  try {
    if (hr !== 0 || pointer === 0n) throw win32Failure('SHGetKnownFolderPath', hr >>> 0, `FOLDERID_${folder}`);
    return koffi.decode.string16(pointer) as string;
  } finally {
    if (pointer !== 0n) ole.CoTaskMemFree(pointer);
  }
}

/** %ProgramData% and %ProgramFiles% as Windows knows them (core/installation.ts WindowsFolders). */
export function windowsFolders(): { ProgramData: string; ProgramFiles: string } {
  return { ProgramData: knownFolder('ProgramData'), ProgramFiles: knownFolder('ProgramFiles') };
}
