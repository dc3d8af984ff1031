/**
 * The policy floor on Windows (core/policy/floor.ts, the merge the Linux runner applies): what
 * this runner enforces is computed here from the request, the built-in defaults and the machine
 * layer the runner read itself (runner/machine-layer.ts), never taken from the request alone:
 * protected names and paths are the union, a locked key must match (config_locked), limits are
 * the minimum, writable roots are those the floor allows, every spawn's environment is filtered
 * again with the enforced env policy, and the digest sent in `hello` is of what is enforced.
 * `~` is the real user's profile folder, looked up from the SID the machine state records for
 * them (os/win32/profile-path.ts), never from the request. Pure given its inputs.
 */
import { applyFloorToRequest, type EnforcedPolicy, type MachineLayer } from '../../core/policy/floor.js';
import { windowsPaths } from '../../core/paths.js';
import { defaultMemoryBytes } from '../../core/vocabulary.js';
import type { SessionRequest } from '../../core/protocol.js';
import type { WindowsSessionPlan } from './session-check.js';

export interface WindowsPolicyContext {
  installation: string;
  /** The real user's profile folder. */
  home: string;
  /** The canonical form of an existing path (realpath.native), else the path. */
  canonical(path: string): string;
  totalMemoryBytes: number;
}

export function windowsEnforcedPolicy(request: SessionRequest, plan: WindowsSessionPlan, machine: MachineLayer | null, ctx: WindowsPolicyContext): EnforcedPolicy {
  const extraWritableRoots = plan.writable.map((w) => w.path).filter((p) => !windowsPaths.samePath(p, plan.workspace));
  return applyFloorToRequest(request, { workspace: plan.workspace, extraWritableRoots }, machine, {
    paths: windowsPaths,
    installation: ctx.installation,
    home: ctx.home,
    canonical: ctx.canonical,
    defaultMemoryBytes: defaultMemoryBytes(ctx.totalMemoryBytes),
  });
}

/** The plan narrowed to what the floor enforces: only the writable roots it kept. */
export function planWithinPolicy(plan: WindowsSessionPlan, policy: EnforcedPolicy): WindowsSessionPlan {
  const writable = plan.writable.filter((w) => policy.writableRoots.some((r) => windowsPaths.samePath(r, w.path)));
  return { ...plan, writable };
}
