/**
 * The C library through koffi, loaded lazily so that importing a runner/linux module has no
 * side effect (nothing is loaded until the first call). Each OS-area file (landlock.ts,
 * mount.ts, creds.ts, …) declares its own functions privately with `libcFunction`; only
 * strings, numbers and Buffers cross this boundary.
 *
 * Failures throw LibcError naming the function and errno, so a message reads e.g.
 * "mount(/ws/.git) failed: EPERM (errno 1)". A LibcError is a CorralError at its source
 * (code `runner_failed` unless the caller names another), with the call and the errno name in
 * its details, so no generic Error crosses the protocol from a system call.
 */
import koffi from 'koffi';
import { constants as osConstants } from 'node:os';
import { CorralError, type ErrorCode } from '../../core/errors.js';

type LibraryHandle = ReturnType<typeof koffi.load>;
export type KoffiFunction = (...args: any[]) => any;

let library: LibraryHandle | undefined;

function libc(): LibraryHandle {
  library ??= koffi.load('libc.so.6');
  return library;
}

/** Declare a libc function from a C prototype; declared on first use. */
export function libcFunction(prototype: string): KoffiFunction {
  let fn: KoffiFunction | undefined;
  return (...args: unknown[]) => {
    fn ??= libc().func(prototype) as KoffiFunction;
    return fn(...args);
  };
}

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(osConstants.errno).map(([name, value]) => [value, name]),
);

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

export class LibcError extends CorralError {
  constructor(
    readonly call: string,
    readonly errno: number,
    code: ErrorCode = 'runner_failed',
  ) {
    super(code, `${call} failed: ${errnoName(errno)} (errno ${errno})`, { details: { call, errno: errnoName(errno) } });
  }
}

/** The calling thread's errno right after a koffi call. */
export function lastErrno(): number {
  return koffi.errno();
}

/** Throw LibcError when a libc call returned -1 (or a negative value). */
export function check(result: number | bigint, call: string): number {
  const n = Number(result);
  if (n < 0) throw new LibcError(call, lastErrno());
  return n;
}

/** The koffi module, for struct/pointer declarations inside runner/linux only. */
export { koffi };
