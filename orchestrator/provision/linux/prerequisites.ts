/**
 * What Linux provisioning needs before it plans anything: root (`not_elevated`, with the
 * exact command to run instead) and the administration tools (`tool_missing`, naming
 * the Debian package).
 */
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';
import { findTool, formatCommand, toolMissing, TOOL_PACKAGES, type Tool } from './exec.js';

export const REQUIRED_TOOLS: readonly Tool[] = Object.keys(TOOL_PACKAGES) as Tool[];

/** How the user invoked corral, as a command line for `sudo` (display only). */
export function elevatedCommand(invocation: readonly string[], argv: readonly string[] = process.argv): string {
  const script = argv[1] ?? 'corral';
  const head = path.basename(script) === 'corral' ? ['corral'] : [process.execPath, script];
  return `sudo ${formatCommand(head[0]!, [...head.slice(1), ...invocation])}`;
}

export function checkRoot(invocation: readonly string[], uid: number | undefined = process.getuid?.()): void {
  if (uid === 0) return;
  const command = elevatedCommand(invocation);
  throw new CorralError('not_elevated', `provisioning changes users, groups, nftables and sudoers, which needs root; run: ${command}`, {
    details: { command },
  });
}

export function checkTools(tools: readonly Tool[] = REQUIRED_TOOLS): void {
  const missing = tools.filter((t) => findTool(t) === null);
  if (missing.length === 0) return;
  if (missing.length === 1) throw toolMissing(missing[0]!);
  const packages = [...new Set(missing.map((t) => TOOL_PACKAGES[t]))];
  throw new CorralError('tool_missing', `${missing.join(', ')} are not installed; install the Debian packages ${packages.join(' ')} (apt-get install ${packages.join(' ')})`, {
    details: { tools: missing, packages },
  });
}
