/**
 * Loading Win32 DLLs through koffi — lazily, and only on Windows — and the two helpers every
 * binding file uses: bind a table of C prototypes to a DLL, and declare the same table without
 * any DLL (what test/windows/layout.test.ts does on Linux).
 *
 * Shared by the binding files of os/win32/ and runner/windows/ only (the bridge imports the
 * binding files, never this loader directly).
 * Koffi type names are process-global, so each struct is declared in exactly one binding file,
 * once (memoised there), and the prototypes are declared once per name here.
 */
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { CorralError } from '../../core/errors.js';

export type SystemLibrary = 'kernel32.dll' | 'advapi32.dll' | 'crypt32.dll' | 'user32.dll' | 'shell32.dll' | 'ole32.dll' | 'iphlpapi.dll';

const loaded = new Map<SystemLibrary, LibraryHandle>();

function load(name: SystemLibrary): LibraryHandle {
  if (process.platform !== 'win32') {
    throw new CorralError('platform_unsupported', `${name} can only be loaded on Windows (this is ${process.platform})`);
  }
  let lib = loaded.get(name);
  if (lib === undefined) {
    lib = koffi.load(name);
    loaded.set(name, lib);
  }
  return lib;
}

/** A koffi function bound to a DLL symbol: called with JS values, returns the C result. */
export type NativeFunction = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

export type Bound<T extends Record<string, string>> = { [K in keyof T]: NativeFunction };

/** Bind every prototype of `prototypes` (C-like koffi declarations) to `dll`. */
export function bindPrototypes<T extends Record<string, string>>(dll: SystemLibrary, prototypes: T): Bound<T> {
  const lib = load(dll);
  const out: Partial<Record<keyof T, NativeFunction>> = {};
  for (const [name, prototype] of Object.entries(prototypes) as Array<[keyof T, string]>) {
    out[name] = lib.func(prototype) as unknown as NativeFunction;
  }
  return out as Bound<T>;
}

const declared = new Set<string>();

/** Declare each prototype as a koffi function type (parses it and resolves its types; no DLL). */
export function declarePrototypes(prototypes: Record<string, string>): string[] {
  for (const [name, prototype] of Object.entries(prototypes)) {
    if (declared.has(name)) continue;
    koffi.proto(prototype);
    declared.add(name);
  }
  return Object.keys(prototypes);
}

export interface StructLayout {
  size: number;
  offsets: Record<string, number>;
}

/** Sizes and field offsets of declared structs, as plain numbers (for the layout test). */
export function layoutsOf(types: Record<string, TypeObject>): Record<string, StructLayout> {
  const out: Record<string, StructLayout> = {};
  for (const [name, type] of Object.entries(types)) {
    const offsets: Record<string, number> = {};
    for (const member of Object.keys(type.members ?? {})) offsets[member] = koffi.offsetof(type, member);
    out[name] = { size: koffi.sizeof(type), offsets };
  }
  return out;
}

/** What a binding file shows the layout test: struct layouts and the prototype names it declared. */
export interface Declarations {
  layouts: Record<string, StructLayout>;
  prototypes: string[];
}

/** UTF-16LE with a terminating NUL, for LPWSTR parameters the callee may write to. */
export function wideBuffer(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf16le');
}

/** A pointer-sized integer read as a BigInt; koffi 3 returns pointers as BigInt or null. */
export function pointerValue(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  throw new TypeError(`not a pointer: ${typeof value}`);
}
