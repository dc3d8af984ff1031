/**
 * Win32 failures as CorralErrors that name the API, the Win32 error code and the system's
 * message for it (FormatMessageW), e.g.
 *   `ConvertStringSidToSidW failed: Win32 error 1337 (The security ID structure is invalid.)`
 *
 * Koffi keeps GetLastError() intact across its own calls (it saves and restores the value
 * around each native call, so Node and V8 can't clobber it in between): calling
 * `win32Failure()` right after the failing call, before any other koffi call, reads the
 * value the failing API set.
 */
import { CorralError } from '../../core/errors.js';
import { bindPrototypes, declarePrototypes, type Bound, type Declarations } from './library.js';

const FORMAT_MESSAGE_IGNORE_INSERTS = 0x200;
const FORMAT_MESSAGE_FROM_SYSTEM = 0x1000;
const MESSAGE_CHARS = 1024;

const PROTOTYPES = {
  GetLastError: 'uint32 __stdcall GetLastError()',
  FormatMessageW:
    'uint32 __stdcall FormatMessageW(uint32 dwFlags, void *lpSource, uint32 dwMessageId, uint32 dwLanguageId, void *lpBuffer, uint32 nSize, void *Arguments)',
} as const;

let api: Bound<typeof PROTOTYPES> | undefined;
function kernel32(): Bound<typeof PROTOTYPES> {
  return (api ??= bindPrototypes('kernel32.dll', PROTOTYPES));
}

export function errorDeclarations(): Declarations {
  return { layouts: {}, prototypes: declarePrototypes(PROTOTYPES) };
}

/** The calling thread's last Win32 error. */
export function lastWin32Error(): number {
  return kernel32().GetLastError() as number;
}

/** The system's text for a Win32 error code (English or the system language), trimmed. */
export function win32Message(code: number): string {
  const buffer = Buffer.alloc(MESSAGE_CHARS * 2);
  const chars = kernel32().FormatMessageW(
    FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
    null,
    code >>> 0,
    0,
    buffer,
    MESSAGE_CHARS,
    null,
  ) as number;
  if (chars === 0) return `unknown error 0x${(code >>> 0).toString(16)}`;
  return buffer.toString('utf16le', 0, chars * 2).trim();
}

/** The text of a Win32 failure (pure; what `win32Failure` puts in its message). */
export function describeWin32Failure(api: string, code: number, message: string): string {
  return `${api} failed: Win32 error ${code} (${message})`;
}

/** A CorralError for `api` failing with `code` (default: GetLastError, read now). */
export function win32Failure(api: string, code: number = lastWin32Error(), context?: string): CorralError {
  const message = win32Message(code);
  const text = describeWin32Failure(api, code, message);
  return new CorralError('runner_failed', context === undefined ? text : `${context}: ${text}`, {
    details: { api, win32Error: code, win32Message: message },
  });
}
