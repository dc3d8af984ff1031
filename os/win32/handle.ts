/**
 * Kernel handles with one owner. A `Win32Handle` is opaque outside runner/windows: the raw
 * value is reachable only through `rawHandle()`, which the binding files use to pass it to
 * the next API. Whoever holds a Win32Handle closes it exactly once (`close()` is idempotent),
 * normally in a `finally`.
 */
import { bindPrototypes, declarePrototypes, type Bound, type Declarations } from './library.js';

const PROTOTYPES = {
  CloseHandle: 'int __stdcall CloseHandle(void *hObject)',
} as const;

let api: Bound<typeof PROTOTYPES> | undefined;
function kernel32(): Bound<typeof PROTOTYPES> {
  return (api ??= bindPrototypes('kernel32.dll', PROTOTYPES));
}

export function handleDeclarations(): Declarations {
  return { layouts: {}, prototypes: declarePrototypes(PROTOTYPES) };
}

const INVALID_HANDLE_VALUE = 0xffffffffffffffffn;
const values = new WeakMap<Win32Handle, bigint>();

export class Win32Handle {
  /** What the handle is, for messages ("job", "process 1234", "stdout pipe"). */
  readonly label: string;

  private constructor(label: string) {
    this.label = label;
  }

  /** Take ownership of a raw handle; null / 0 / INVALID_HANDLE_VALUE are refused by callers first. */
  static adopt(value: bigint, label: string): Win32Handle {
    if (value === 0n || value === INVALID_HANDLE_VALUE) throw new RangeError(`invalid ${label} handle`);
    const handle = new Win32Handle(label);
    values.set(handle, value);
    return handle;
  }

  get closed(): boolean {
    return !values.has(this);
  }

  close(): void {
    const value = values.get(this);
    if (value === undefined) return;
    values.delete(this);
    kernel32().CloseHandle(value);
  }
}

/** The raw value, for a binding file about to pass it to an API. Throws once closed. */
export function rawHandle(handle: Win32Handle): bigint {
  const value = values.get(handle);
  if (value === undefined) throw new Error(`${handle.label} handle is already closed`);
  return value;
}

/** Close every handle given, ignoring ones already closed (for finally blocks). */
export function closeAll(...handles: Array<Win32Handle | undefined>): void {
  for (const h of handles) h?.close();
}
