/**
 * Pseudo consoles (ConPTY, kernel32, Windows 10 1809+): the Windows counterpart of a pty. A
 * pseudo console reads the keys typed from one pipe and writes the screen, as VT sequences, to
 * another; a process started with PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE (process.ts) gets it as its
 * console, and its stdio are that console's (no handles are inherited).
 *
 * Lifetimes: the pseudo console belongs to whoever opened it and is closed once, by close()
 * (ClosePseudoConsole also ends the console's host, conhost, and the client sees the output pipe
 * break). The console's own pipe ends are closed here right after CreatePseudoConsole (it holds
 * duplicates); the caller's ends (`input`, `output`) are the caller's to close after the console.
 *
 * Not yet used by the Windows runner (`pty` stays unsupported there, platform_unsupported):
 * bindings, layout test (test/windows/layout.test.ts) and the Wine smoke's `conpty_*` checks.
 */
import koffi, { type TypeObject } from 'koffi';
import { bindPrototypes, declarePrototypes, layoutsOf, pointerValue, type Bound, type Declarations } from './library.js';
import { Win32Handle, rawHandle } from './handle.js';
import { createChildPipe } from './pipe.js';
import { win32Failure } from './win32-error.js';
import type { PtySize } from '../../core/protocol.js';

export const PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE = 0x20016;
const ERROR_INSUFFICIENT_BUFFER = 122;
/** COORD fields are SHORTs: a size beyond them is refused before it reaches the API. */
const MAX_COORD = 0x7fff;

let types: Record<'COORD', TypeObject> | undefined;
function declareTypes(): NonNullable<typeof types> {
  if (types) return types;
  const COORD = koffi.struct('COORD', { X: 'int16', Y: 'int16' });
  return (types = { COORD });
}

const PROTOTYPES = {
  CreatePseudoConsole: 'int32 __stdcall CreatePseudoConsole(COORD size, void *hInput, void *hOutput, uint32 dwFlags, _Out_ void **phPC)',
  ResizePseudoConsole: 'int32 __stdcall ResizePseudoConsole(void *hPC, COORD size)',
  ClosePseudoConsole: 'void __stdcall ClosePseudoConsole(void *hPC)',
  InitializeProcThreadAttributeList:
    'int __stdcall InitializeProcThreadAttributeList(void *lpAttributeList, uint32 dwAttributeCount, uint32 dwFlags, _Inout_ size_t *lpSize)',
  UpdateProcThreadAttribute:
    'int __stdcall UpdateProcThreadAttribute(void *lpAttributeList, uint32 dwFlags, uintptr_t Attribute, void *lpValue, size_t cbSize, void *lpPreviousValue, void *lpReturnSize)',
  DeleteProcThreadAttributeList: 'void __stdcall DeleteProcThreadAttributeList(void *lpAttributeList)',
  GetLastError: 'uint32 __stdcall GetLastError()',
} as const;

let api: Bound<typeof PROTOTYPES> | undefined;
function kernel32(): Bound<typeof PROTOTYPES> {
  declareTypes();
  return (api ??= bindPrototypes('kernel32.dll', PROTOTYPES));
}

export function conptyDeclarations(): Declarations {
  return { layouts: layoutsOf(declareTypes()), prototypes: declarePrototypes(PROTOTYPES) };
}

/** Pure: a pty size as a COORD (X = columns, Y = rows), refused beyond what a SHORT holds. */
export function coordOf(size: PtySize): { X: number; Y: number } {
  for (const [name, n] of [['cols', size.cols], ['rows', size.rows]] as const) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_COORD) throw new RangeError(`pseudo console ${name} must be 1–${MAX_COORD}; found ${n}`);
  }
  return { X: size.cols, Y: size.rows };
}

/** HRESULT failure → the same Win32Error shape as the other bindings (FACILITY_WIN32 carries the code). */
function hresultFailure(api: string, hr: number, context: string): Error {
  const code = (hr & 0xffff0000) >>> 0 === 0x80070000 ? hr & 0xffff : hr >>> 0;
  return win32Failure(api, code, context);
}

export class PseudoConsole {
  private handle: bigint | null;

  private constructor(
    handle: bigint,
    /** Write the keys typed here (the console's input). */
    readonly input: Win32Handle,
    /** Read the screen here (VT output). */
    readonly output: Win32Handle,
  ) {
    this.handle = handle;
  }

  /** A pseudo console of `size`, with a fresh pipe each way. */
  static open(size: PtySize, label: string): PseudoConsole {
    const coord = coordOf(size);
    const keys = createChildPipe('to-child', `${label} console input`);
    const screen = createChildPipe('from-child', `${label} console output`);
    try {
      const out: unknown[] = [null];
      const hr = kernel32().CreatePseudoConsole(coord, rawHandle(keys.child), rawHandle(screen.child), 0, out) as number;
      if (hr < 0) throw hresultFailure('CreatePseudoConsole', hr, label);
      return new PseudoConsole(pointerValue(out[0]), keys.parent, screen.parent);
    } catch (err) {
      keys.parent.close();
      screen.parent.close();
      throw err;
    } finally {
      // The console holds its own duplicates; ours would keep the pipes open after it closes.
      keys.child.close();
      screen.child.close();
    }
  }

  /** The raw HPCON, for the process attribute only. */
  get value(): bigint {
    if (this.handle === null) throw new Error('the pseudo console is closed');
    return this.handle;
  }

  resize(size: PtySize): void {
    const hr = kernel32().ResizePseudoConsole(this.value, coordOf(size)) as number;
    if (hr < 0) throw hresultFailure('ResizePseudoConsole', hr, 'resize');
  }

  /** Close the console (idempotent); the client then reads the end of `output`. */
  close(): void {
    if (this.handle === null) return;
    const h = this.handle;
    this.handle = null;
    kernel32().ClosePseudoConsole(h);
  }
}

/**
 * A PROC_THREAD_ATTRIBUTE_LIST with only the pseudo console (whose lpValue is the HPCON itself,
 * not a pointer to it); `free` after CreateProcess returns.
 */
export function pseudoConsoleAttribute(pc: PseudoConsole): { list: Buffer; free(): void } {
  const k = kernel32();
  const size = [0];
  if (!k.InitializeProcThreadAttributeList(null, 1, 0, size)) {
    const code = k.GetLastError() as number;
    if (code !== ERROR_INSUFFICIENT_BUFFER) throw win32Failure('InitializeProcThreadAttributeList', code);
  }
  const list = Buffer.alloc(Number(size[0]));
  if (!k.InitializeProcThreadAttributeList(list, 1, 0, size)) throw win32Failure('InitializeProcThreadAttributeList');
  if (!k.UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, pc.value, 8, null, null)) {
    const failure = win32Failure('UpdateProcThreadAttribute', undefined, 'PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE');
    k.DeleteProcThreadAttributeList(list);
    throw failure;
  }
  return { list, free: () => k.DeleteProcThreadAttributeList(list) };
}
