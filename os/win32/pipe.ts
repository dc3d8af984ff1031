/**
 * Anonymous pipes for a child's stdio, and how the runner pumps them.
 *
 * Pumping without blocking Node: ReadFile on an anonymous pipe blocks until data or EOF.
 * Koffi's `fn.async` would run it on libuv's thread pool — 4 threads by default, shared with
 * fs, dns and crypto — and each running command would pin two of them (stdout, stderr), so a
 * third command could starve the session and closing a handle under a blocked reader is its
 * own hazard. Wrapping the handle as a CRT fd for `fs.createReadStream` uses the same pool and
 * needs the CRT node.exe was linked with (a static one: `_open_osfhandle` from ucrtbase would
 * fill a different fd table). So the runner polls instead: PeekNamedPipe says how many bytes
 * are waiting (or that the writer is gone), and ReadFile then reads exactly those, which never
 * blocks. Everything stays on the main thread; the poller backs off when idle (see
 * output-pump.ts). The same calls behave the same under Wine, where the smoke test runs them.
 *
 * Writes to a child's stdin do block while its pipe is full, so they go through koffi's async
 * WriteFile, one at a time per pipe, which holds a pool thread only while the child isn't
 * reading (and fails at once once the child is gone).
 */
import koffi, { type TypeObject } from 'koffi';
import { bindPrototypes, declarePrototypes, layoutsOf, pointerValue, type Bound, type Declarations } from './library.js';
import { Win32Handle, rawHandle } from './handle.js';
import { win32Failure } from './win32-error.js';

const HANDLE_FLAG_INHERIT = 0x1;
const ERROR_BROKEN_PIPE = 109;
const ERROR_NO_DATA = 232;
const DEFAULT_PIPE_BYTES = 64 * 1024;

let types: { SECURITY_ATTRIBUTES: TypeObject } | undefined;
function declareTypes(): NonNullable<typeof types> {
  return (types ??= {
    SECURITY_ATTRIBUTES: koffi.struct('SECURITY_ATTRIBUTES', {
      nLength: 'uint32',
      lpSecurityDescriptor: 'void *',
      bInheritHandle: 'int',
    }),
  });
}

const PROTOTYPES = {
  CreatePipe:
    'int __stdcall CreatePipe(_Out_ void **hReadPipe, _Out_ void **hWritePipe, SECURITY_ATTRIBUTES *lpPipeAttributes, uint32 nSize)',
  SetHandleInformation: 'int __stdcall SetHandleInformation(void *hObject, uint32 dwMask, uint32 dwFlags)',
  PeekNamedPipe:
    'int __stdcall PeekNamedPipe(void *hNamedPipe, void *lpBuffer, uint32 nBufferSize, void *lpBytesRead, _Out_ uint32 *lpTotalBytesAvail, void *lpBytesLeftThisMessage)',
  ReadFile: 'int __stdcall ReadFile(void *hFile, void *lpBuffer, uint32 nNumberOfBytesToRead, _Out_ uint32 *lpNumberOfBytesRead, void *lpOverlapped)',
  WriteFile: 'int __stdcall WriteFile(void *hFile, void *lpBuffer, uint32 nNumberOfBytesToWrite, _Out_ uint32 *lpNumberOfBytesWritten, void *lpOverlapped)',
  GetLastError: 'uint32 __stdcall GetLastError()',
  GetStdHandle: 'void * __stdcall GetStdHandle(uint32 nStdHandle)',
} as const;

const STD_HANDLES = [0xfffffff6, 0xfffffff5, 0xfffffff4]; // STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE

let api: Bound<typeof PROTOTYPES> | undefined;
function kernel32(): Bound<typeof PROTOTYPES> {
  declareTypes();
  return (api ??= bindPrototypes('kernel32.dll', PROTOTYPES));
}

export function pipeDeclarations(): Declarations {
  return { layouts: layoutsOf(declareTypes()), prototypes: declarePrototypes(PROTOTYPES) };
}

export interface ChildPipe {
  /** The runner's end: never inheritable. */
  parent: Win32Handle;
  /** The child's end: inheritable, handed to exactly one CreateProcess, then closed here. */
  child: Win32Handle;
}

/** A pipe whose `direction` says which way data flows from the child's point of view. */
export function createChildPipe(direction: 'to-child' | 'from-child', label: string, bytes = DEFAULT_PIPE_BYTES): ChildPipe {
  const k = kernel32();
  const read: unknown[] = [null];
  const write: unknown[] = [null];
  const sa = { nLength: koffi.sizeof(declareTypes().SECURITY_ATTRIBUTES), lpSecurityDescriptor: null, bInheritHandle: 1 };
  if (!k.CreatePipe(read, write, sa, bytes)) throw win32Failure('CreatePipe');
  const readEnd = Win32Handle.adopt(pointerValue(read[0]), `${label} pipe (read end)`);
  const writeEnd = Win32Handle.adopt(pointerValue(write[0]), `${label} pipe (write end)`);
  const [parent, child] = direction === 'to-child' ? [writeEnd, readEnd] : [readEnd, writeEnd];
  if (!k.SetHandleInformation(rawHandle(parent), HANDLE_FLAG_INHERIT, 0)) {
    const failure = win32Failure('SetHandleInformation');
    readEnd.close();
    writeEnd.close();
    throw failure;
  }
  return { parent, child };
}

/**
 * Make this process's own stdin/stdout/stderr non-inheritable. The runner's stdio carries the
 * protocol; a command that inherited it could forge frames. Commands already inherit only
 * their handle list (process.ts); this is the second wall. Handles that aren't there (0 or
 * INVALID_HANDLE_VALUE) are skipped; a console handle may refuse the flag, which is harmless.
 */
export function protectOwnStdio(): void {
  const k = kernel32();
  for (const which of STD_HANDLES) {
    const value = pointerValue(k.GetStdHandle(which));
    if (value === 0n || value === 0xffffffffffffffffn) continue;
    k.SetHandleInformation(value, HANDLE_FLAG_INHERIT, 0);
  }
}

export type PollResult = { kind: 'data'; data: Buffer } | { kind: 'empty' } | { kind: 'eof' };

/** Read what is waiting in the pipe without blocking: data, nothing yet, or end of stream. */
export function pollPipe(handle: Win32Handle, maxBytes: number): PollResult {
  const k = kernel32();
  const available = [0];
  if (!k.PeekNamedPipe(rawHandle(handle), null, 0, null, available, null)) {
    const code = k.GetLastError() as number;
    if (code === ERROR_BROKEN_PIPE) return { kind: 'eof' };
    throw win32Failure('PeekNamedPipe', code, handle.label);
  }
  if (available[0] === 0) return { kind: 'empty' };
  const want = Math.min(available[0]!, maxBytes);
  const buffer = Buffer.alloc(want);
  const got = [0];
  if (!k.ReadFile(rawHandle(handle), buffer, want, got, null)) {
    const code = k.GetLastError() as number;
    if (code === ERROR_BROKEN_PIPE) return { kind: 'eof' };
    throw win32Failure('ReadFile', code, handle.label);
  }
  return got[0] === 0 ? { kind: 'empty' } : { kind: 'data', data: buffer.subarray(0, got[0]) };
}

/** Outcome of a write: all bytes written, or the reader has gone away. */
export type WriteResult = 'written' | 'closed';

/** Write all of `data` on a pool thread (it may block while the pipe is full). */
export function writePipe(handle: Win32Handle, data: Buffer): Promise<WriteResult> {
  const value = rawHandle(handle);
  const k = kernel32();
  return new Promise((resolve, reject) => {
    const written = [0];
    k.WriteFile.async(value, data, data.length, written, null, (err: unknown, ok: unknown) => {
      if (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (ok) {
        if (written[0] === data.length) {
          resolve('written');
          return;
        }
        // A short write on a blocking pipe: write the rest.
        writePipe(handle, data.subarray(written[0])).then(resolve, reject);
        return;
      }
      const code = k.GetLastError() as number;
      if (code === ERROR_BROKEN_PIPE || code === ERROR_NO_DATA) resolve('closed');
      else reject(win32Failure('WriteFile', code, handle.label));
    });
  });
}
