/**
 * DPAPI (crypt32): protect and unprotect bytes. The identity passwords are stored protected
 * with CRYPTPROTECT_LOCAL_MACHINE (any account on this machine can unprotect; the file's ACL,
 * set by the PowerShell module, is what keeps other users out) and an entropy of
 * `corral:<identity name>` so a blob copied to another identity's entry doesn't decrypt.
 * Takes and returns Buffers; the output blob DPAPI allocates is copied out and LocalFree'd here.
 */
import koffi, { type TypeObject } from 'koffi';
import { bindPrototypes, declarePrototypes, layoutsOf, pointerValue, type Bound, type Declarations } from './library.js';
import { win32Failure } from './win32-error.js';

const CRYPTPROTECT_UI_FORBIDDEN = 0x1;
const CRYPTPROTECT_LOCAL_MACHINE = 0x4;

let types: { DATA_BLOB: TypeObject } | undefined;
function declareTypes(): NonNullable<typeof types> {
  return (types ??= { DATA_BLOB: koffi.struct('DATA_BLOB', { cbData: 'uint32', pbData: 'void *' }) });
}

const CRYPT32 = {
  CryptProtectData:
    'int __stdcall CryptProtectData(DATA_BLOB *pDataIn, str16 szDataDescr, DATA_BLOB *pOptionalEntropy, void *pvReserved, void *pPromptStruct, uint32 dwFlags, _Out_ DATA_BLOB *pDataOut)',
  CryptUnprotectData:
    'int __stdcall CryptUnprotectData(DATA_BLOB *pDataIn, void *ppszDataDescr, DATA_BLOB *pOptionalEntropy, void *pvReserved, void *pPromptStruct, uint32 dwFlags, _Out_ DATA_BLOB *pDataOut)',
} as const;
const KERNEL32 = { LocalFree: 'void * __stdcall LocalFree(void *hMem)' } as const;

let crypt: Bound<typeof CRYPT32> | undefined;
let kernel: Bound<typeof KERNEL32> | undefined;
function crypt32(): Bound<typeof CRYPT32> {
  declareTypes();
  return (crypt ??= bindPrototypes('crypt32.dll', CRYPT32));
}
function kernel32(): Bound<typeof KERNEL32> {
  return (kernel ??= bindPrototypes('kernel32.dll', KERNEL32));
}

export function dpapiDeclarations(): Declarations {
  return { layouts: layoutsOf(declareTypes()), prototypes: [...declarePrototypes(CRYPT32), ...declarePrototypes(KERNEL32)] };
}

/** The DPAPI entropy for an identity's password (the contract with the PowerShell module). */
export function identityEntropy(identityName: string): Buffer {
  return Buffer.from(`corral:${identityName}`, 'utf8');
}

function blob(data: Buffer): { cbData: number; pbData: bigint | null } {
  // An empty Buffer may have no backing store; DPAPI accepts a null pointer with length 0.
  return { cbData: data.length, pbData: data.length === 0 ? null : koffi.address(data) };
}

function takeOutput(out: Record<string, unknown>): Buffer {
  const pointer = pointerValue(out.pbData);
  const length = out.cbData as number;
  try {
    return length === 0 ? Buffer.alloc(0) : Buffer.from(koffi.decode(pointer, 'uint8', length) as Uint8Array);
  } finally {
    if (pointer !== 0n) kernel32().LocalFree(pointer);
  }
}

export interface ProtectOptions {
  entropy: Buffer;
  /** CRYPTPROTECT_LOCAL_MACHINE (true) or the calling user's key (false). */
  localMachine: boolean;
}

export function protect(plain: Buffer, { entropy, localMachine }: ProtectOptions): Buffer {
  const out: Record<string, unknown> = {};
  const flags = CRYPTPROTECT_UI_FORBIDDEN | (localMachine ? CRYPTPROTECT_LOCAL_MACHINE : 0);
  // `plain` and `entropy` stay referenced (arguments) until the call returns.
  if (!crypt32().CryptProtectData(blob(plain), 'corral', blob(entropy), null, null, flags, out)) {
    throw win32Failure('CryptProtectData');
  }
  return takeOutput(out);
}

export function unprotect(protectedBytes: Buffer, entropy: Buffer): Buffer {
  const out: Record<string, unknown> = {};
  if (!crypt32().CryptUnprotectData(blob(protectedBytes), null, blob(entropy), null, null, CRYPTPROTECT_UI_FORBIDDEN, out)) {
    throw win32Failure('CryptUnprotectData');
  }
  return takeOutput(out);
}
