/**
 * `struct sock_fprog` (u16 len, then a pointer to the `struct sock_filter` array), declared once
 * for koffi: both the seccomp filter (runner/linux/seccomp.ts) and the audit socket's filter
 * (runner/linux/landlock-audit.ts) pass one. koffi registers a struct name once per process.
 */
import { koffi } from './libc.js';

let fprogType: ReturnType<typeof koffi.struct> | undefined;

/** The registered `corral_sock_fprog` type (fields `len`, `filter`: a Buffer of 8-byte instructions). */
export function sockFprogType(): ReturnType<typeof koffi.struct> {
  fprogType ??= koffi.struct('corral_sock_fprog', { len: 'uint16', filter: 'void *' });
  return fprogType;
}
