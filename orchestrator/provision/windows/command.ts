/**
 * The exact PowerShell text the Windows provisioner sends, and the parsing of what comes back.
 *
 * Contract with ps-module/Corral (Invoke-CorralOperation): every call is exactly
 *
 *   Invoke-CorralOperation -Operation '<Verb-CorralNoun>' -ArgumentsBase64 '<base64>'
 *
 * where the base64 is of a UTF-8 JSON object of named parameters, and the function writes
 * one line of JSON: `{"ok":true,"result":…}` or `{"ok":false,"error":{"errorId":…,"message":…}}`.
 *
 * Threat model: workspace paths, user names and policy entries come from the user, from
 * config files and from repositories (a workspace's own `.corral/config.json`). None of
 * them ever becomes PowerShell source text: the only characters that reach the parser are
 * this file's fixed text, an operation name from a fixed allowlist that also matches
 * OPERATION_PATTERN (letters and one hyphen), and base64 (A–Z a–z 0–9 + / =). Quoting
 * inside '…' is therefore trivially safe: neither can contain a quote. Values are decoded
 * by the module as data (ConvertFrom-Json), never evaluated.
 *
 * NUL characters are refused in every string: Win32 APIs stop at NUL, so `C:\ws\0x` would
 * silently become `C:\ws` somewhere down the line (a truncation that could widen a grant).
 */
import { CorralError } from '../../../core/errors.js';
import { isOperation, type Operation } from './operations.js';
import { moduleError } from './error-map.js';

/** Verb-Corral[Noun] (`Uninstall-Corral` has no noun): letters only, one hyphen. */
export const OPERATION_PATTERN = /^[A-Z][a-z]+-Corral[A-Za-z]*$/;
/** Standard base64 alphabet with padding — no quote, no `$`, no backtick, no whitespace. */
export const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
/** PowerShell parameter names as JSON keys (splatted by the module). */
export const PARAMETER_PATTERN = /^[A-Z][A-Za-z0-9]*$/;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** Named parameters of one module function. */
export type OperationArgs = Record<string, JsonValue>;

/** One call of a module function: what a plan step runs, and what --dry-run prints. */
export interface ModuleCall {
  operation: Operation;
  args: OperationArgs;
}

function checkValue(value: JsonValue, where: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      throw new CorralError('usage', `${where} contains a NUL character, which Windows cannot store in a name or path`, {
        details: { where },
      });
    }
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CorralError('internal', `${where} is not a finite number`);
    return;
  }
  if (value === null || typeof value === 'boolean') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkValue(item, `${where}[${i}]`));
    return;
  }
  for (const [key, item] of Object.entries(value)) checkValue(key, `${where} key`), checkValue(item, `${where}.${key}`);
}

function checkOperation(operation: string): asserts operation is Operation {
  if (!OPERATION_PATTERN.test(operation) || !isOperation(operation)) {
    throw new CorralError('internal', `not an allowed Corral module operation: ${JSON.stringify(operation)}`);
  }
}

/** Base64 of the UTF-8 JSON of `args` (after validating names and values). */
export function encodeArguments(operation: string, args: OperationArgs): string {
  for (const [name, value] of Object.entries(args)) {
    if (!PARAMETER_PATTERN.test(name)) {
      throw new CorralError('internal', `${operation}: not a PowerShell parameter name: ${JSON.stringify(name)}`);
    }
    checkValue(value, `${operation} -${name}`);
  }
  return Buffer.from(JSON.stringify(args), 'utf8').toString('base64');
}

/** The inverse of encodeArguments (tests, and the elevated-plan reader). */
export function decodeArguments(base64: string): OperationArgs {
  if (!BASE64_PATTERN.test(base64)) throw new CorralError('internal', 'arguments are not base64');
  return JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as OperationArgs;
}

/** The exact script text for an already-encoded call (both parts re-validated). */
export function invocationText(operation: string, argumentsBase64: string): string {
  checkOperation(operation);
  if (!BASE64_PATTERN.test(argumentsBase64)) {
    throw new CorralError('internal', `${operation}: arguments are not base64`);
  }
  return `Invoke-CorralOperation -Operation '${operation}' -ArgumentsBase64 '${argumentsBase64}'`;
}

/** The exact script text that reaches PowerShell for one module call. */
export function buildInvocation(call: ModuleCall): string {
  checkOperation(call.operation);
  return invocationText(call.operation, encodeArguments(call.operation, call.args));
}

interface ResultLine {
  ok: boolean;
  result?: unknown;
  error?: { errorId?: unknown; message?: unknown };
}

function asResultLine(line: string): ResultLine | null {
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean') {
      return value as ResultLine;
    }
  } catch {
    // not a result line (e.g. a warning the host printed); ignored
  }
  return null;
}

const MAX_ECHO = 2000;

/**
 * The result of one module call from its output: exactly one `{"ok":…}` line is expected.
 * Other lines (host noise) are ignored; zero or several result lines are a contract break.
 * `ok:false` throws the CorralError its ErrorId maps to.
 */
export function parseOperationOutput(operation: string, output: string): unknown {
  return parseOperationReply(operation, output).result;
}

/** Like parseOperationOutput, with the warnings the function wrote (`"warnings":[…]`). */
export function parseOperationReply(operation: string, output: string): { result: unknown; warnings: string[] } {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const results = lines.map(asResultLine).filter((r): r is ResultLine => r !== null);
  if (results.length !== 1) {
    throw new CorralError(
      'internal',
      `${operation}: expected one JSON result line from the Corral module, found ${results.length}`,
      { details: { operation, output: output.slice(0, MAX_ECHO) } },
    );
  }
  const line = results[0]!;
  if (line.ok) {
    const raw = (line as { warnings?: unknown }).warnings;
    const warnings = Array.isArray(raw) ? raw.filter((w): w is string => typeof w === 'string') : [];
    return { result: line.result ?? null, warnings };
  }
  const errorId = typeof line.error?.errorId === 'string' ? line.error.errorId : 'CorralStepFailed';
  const message = typeof line.error?.message === 'string' ? line.error.message : '(no message)';
  throw moduleError(operation, errorId, message);
}
