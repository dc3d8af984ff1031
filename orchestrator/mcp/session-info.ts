/**
 * The `session_info` tool: what confines the commands of a session — the workspace, the
 * identity they run as, the network, the limits and what the runner reported it enforces.
 * Asking opens the session if it is not open yet (the same one run_command then uses).
 */
import { z } from 'zod';
import { NETWORKS } from '../../core/vocabulary.js';
import type { Session } from '../session/types.js';

export const SESSION_INFO_DESCRIPTION =
  'Describe the Corral sandbox commands run in: the workspace they may write, the identity they run as, the network, the limits and what is enforced.';

export const sessionInfoInput = z.strictObject({
  network: z.enum(NETWORKS).optional().describe("The session of this network (offline or online). Default: the server's --network, else the policy's."),
});

export const sessionInfoOutput = z.strictObject({
  sessionId: z.string(),
  workspace: z.string().describe('The only directory (with the policy\'s writable roots) commands may write.'),
  defaultCwd: z.string().describe('Where a command that names no cwd starts.'),
  identity: z.string().describe('The sandbox account commands run as.'),
  network: z.enum(NETWORKS).describe('offline (no network, or the allowlist proxy only) or online.'),
  policyDigest: z.string().describe('Digest of the policy the runner enforces (also in the audit records).'),
  shell: z.string().nullable().describe('The shell a run_command string runs with (policy shell); null: none, pass argv.'),
  limits: z
    .strictObject({
      timeoutSec: z.number().describe('Longest a command may run, and the default timeout.'),
      maxOutputBytes: z.number().describe('Output kept per stream per command.'),
      pids: z.number().describe('Processes in the session.'),
      memoryBytes: z.number().optional().describe('Memory of the whole session.'),
      homeBytes: z.number().optional().describe('Disk the session may write into HOME (Linux).'),
    })
    .describe("The resolved policy's limits as requested; the runner may lower them to the machine's ceilings."),
  enforcement: z
    .strictObject({
      landlockAbi: z.number().optional().describe('Landlock ABI in force (0: none, degraded).'),
      workspaceAccess: z.string(),
      networkNamespace: z.boolean(),
      containment: z.string(),
      warnings: z.array(z.string()).describe('Degradations the runner reported (empty when everything is enforced).'),
    })
    .describe('What the runner reported it enforces.'),
});

export type SessionInfo = z.infer<typeof sessionInfoOutput>;

export function sessionInfo(session: Session, defaultCwd: string): SessionInfo {
  const { timeoutSec, maxOutputBytes, pids, memoryBytes, homeBytes } = session.limits;
  const e = session.enforcement;
  return {
    sessionId: session.id,
    workspace: session.workspace,
    defaultCwd,
    identity: session.identity,
    network: session.network,
    policyDigest: session.policyDigest,
    shell: session.shell,
    limits: { timeoutSec, maxOutputBytes, pids, ...(memoryBytes !== undefined ? { memoryBytes } : {}), ...(homeBytes !== undefined ? { homeBytes } : {}) },
    enforcement: {
      ...(e.landlockAbi !== undefined ? { landlockAbi: e.landlockAbi } : {}),
      workspaceAccess: e.workspaceAccess,
      networkNamespace: e.networkNamespace,
      containment: e.containment,
      warnings: [...(e.warnings ?? [])],
    },
  };
}
