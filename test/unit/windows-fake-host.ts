/**
 * A recording stand-in for a PowerShell session (test helper, not a test): it keeps every
 * script it is given, in order, and answers with the handler's output. Tests assert on the
 * exact recorded text.
 */
import type { PowerShellHost } from '../../orchestrator/provision/windows/host.js';
import { decodeArguments } from '../../orchestrator/provision/windows/command.js';

export type Handler = (script: string) => string | Promise<string>;

export class FakePowerShellHost implements PowerShellHost {
  readonly scripts: string[] = [];
  closed = false;

  constructor(private readonly handler: Handler) {}

  async invoke(script: string): Promise<string> {
    if (this.closed) throw new Error('invoke after close');
    this.scripts.push(script);
    return this.handler(script);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const CALL = /^Invoke-CorralOperation -Operation '([A-Za-z-]+)' -ArgumentsBase64 '([A-Za-z0-9+/=]*)'$/;

/** Operation and decoded arguments of a module call script, or null for any other script. */
export function parseCall(script: string): { operation: string; args: Record<string, unknown> } | null {
  const m = CALL.exec(script);
  if (m === null) return null;
  return { operation: m[1]!, args: decodeArguments(m[2]!) };
}

export const ok = (result: unknown): string => `${JSON.stringify({ ok: true, result })}\n`;
export const fail = (errorId: string, message: string): string => `${JSON.stringify({ ok: false, error: { errorId, message } })}\n`;
