/**
 * A PowerShell session as the Windows provisioner sees it, and the module client on top.
 *
 * The real host (node-powershell-host.ts) is Windows-only; everything above this
 * interface is unit-tested on any OS with a recording fake that asserts the exact text.
 */
import { buildInvocation, parseOperationReply, type ModuleCall } from './command.js';

export interface PowerShellHost {
  /**
   * Run one script in the session; resolves with what it wrote to stdout. A script that
   * writes nothing to stdout but something to stderr rejects with that text.
   */
  invoke(script: string): Promise<string>;
  /** End the PowerShell process. */
  close(): Promise<void>;
}

/** Calls Corral module functions through a host, one JSON line in, one JSON line out. */
export class ModuleClient {
  /** Warnings module functions wrote, prefixed with the function; `takeWarnings()` drains them. */
  private warnings: string[] = [];

  constructor(private readonly host: PowerShellHost) {}

  async call(call: ModuleCall): Promise<unknown> {
    const script = buildInvocation(call);
    const output = await this.host.invoke(script);
    const reply = parseOperationReply(call.operation, output);
    for (const w of reply.warnings) this.warnings.push(`${call.operation}: ${w}`);
    return reply.result;
  }

  takeWarnings(): string[] {
    const out = this.warnings;
    this.warnings = [];
    return out;
  }
}
