/**
 * The Windows Provisioner: the shared CLI's plan / --dry-run / progress / status / teardown
 * on top of the Corral PowerShell module.
 *
 * - Reading (plan, status) runs in the persistent PowerShell session, elevated or not:
 *   Get-CorralState and Test-CorralFirewallEffective need no elevation.
 * - Applying: when this process is elevated, each step is one call in the same session;
 *   when it is not, the whole plan runs in one elevated PowerShell behind one UAC prompt
 *   (elevation.ts), and each step's apply() waits for its own result line.
 * - Journal: the module journals every change itself, elevated, before and after it
 *   (%ProgramData%\Corral\journal.jsonl, its own format), so these steps are
 *   `journaled: false` and this provisioner has no orchestrator journal (`journal: null`).
 */
import { realpathSync } from 'node:fs';
import { CorralError } from '../../../core/errors.js';
import { DEFAULT_WINDOWS_PROXY_PORT } from '../../../core/proxy/port.js';
import { windowsPaths } from '../../../core/paths.js';
import type { Installation } from '../../../core/installation.js';
import type { Plan, PlanStep, Provisioner, RealUser, SetupRequest, StatusReport } from '../../platform.js';
import { buildInvocation } from './command.js';
import { ElevatedPlanRun } from './elevation.js';
import { ModuleClient, type PowerShellHost } from './host.js';
import { planSetupCalls, planTeardownCalls, type CallPlan } from './plan.js';
import { lookupWindowsUser } from './real-user.js';
import { planRemoveWorkspaceCalls } from './remove-workspace-plan.js';
import { parseCorralState, parseFirewallFacts, type CorralState, type FirewallFacts } from './state-report.js';
import { statusFromState, type FirewallByUser } from './status.js';

export interface WindowsProvisionerDeps {
  installation: Installation;
  /** The persistent session with the module imported. */
  host: PowerShellHost;
  /** Whether that session (this process) is elevated. */
  elevated: boolean;
  /** For the single elevated run when not elevated. */
  elevation: { powershellExe: string; hostScript: string; tempRoot: string; pollIntervalMs?: number };
  /** The built package folder (package.json, dist, node_modules) Install-CorralRunner copies: the verified staging copy. */
  runnerSource: string;
  /** Where this package itself lies (refused inside a workspace, which sessions can write). */
  packageRoot?: string;
  /** Called once the provisioner is closed (removes the staging copy). */
  onClose?: () => void;
  /** node.exe installed with the runner. */
  nodePath: string;
  currentUser(): Promise<RealUser>;
}

export class WindowsProvisioner implements Provisioner {
  readonly installation: Installation;
  readonly journal = null;
  private readonly client: ModuleClient;
  private readonly runs: ElevatedPlanRun[] = [];

  constructor(private readonly deps: WindowsProvisionerDeps) {
    this.installation = deps.installation;
    this.client = new ModuleClient(deps.host);
  }

  /**
   * The module was imported when the session started (tool_missing otherwise). Not being
   * elevated is fine: applying asks for elevation once.
   */
  async checkPrerequisites(): Promise<void> {}

  async resolveRealUser(name: string | undefined): Promise<RealUser> {
    const current = await this.deps.currentUser();
    if (name === undefined || name === '' || name.toLowerCase() === current.name.toLowerCase()) return current;
    return lookupWindowsUser(this.deps.host, name);
  }

  private async state(): Promise<CorralState> {
    return parseCorralState(await this.client.call({ operation: 'Get-CorralState', args: {} }));
  }

  /** The firewall facts of one user, or why they could not be read (a string). */
  private async firewall(user: string): Promise<FirewallFacts | string> {
    try {
      return parseFirewallFacts(await this.client.call({ operation: 'Test-CorralFirewallEffective', args: { User: user, NoThrow: true } }));
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  async planSetup(request: SetupRequest): Promise<Plan> {
    const user = request.realUser.name;
    const state = await this.state();
    if (this.deps.packageRoot !== undefined) {
      const recorded = Object.values(state.Recorded.users).flatMap((u) => u.workspaces.map((w) => w.path));
      refusePackageInWorkspace(this.deps.packageRoot, [...request.workspaces, ...recorded]);
    }
    const extraWarnings: string[] = [];
    let firewall: FirewallFacts | null = null;
    if (state.Recorded.users[user]?.identities.offline) {
      const facts = await this.firewall(user);
      if (typeof facts === 'string') extraWarnings.push(`firewall rules could not be checked (${facts}); they are re-applied`);
      else firewall = facts;
    }
    const { policy } = request.policy;
    const calls = planSetupCalls({
      installation: this.installation,
      user,
      workspaces: request.workspaces,
      network: request.network,
      protected: policy.protected,
      denyRead: policy.denyRead,
      loopback: policy.loopback,
      runnerSource: this.deps.runnerSource,
      nodePath: this.deps.nodePath,
      state,
      firewall,
      proxyPort: request.proxyPort ?? state.Recorded.users[user]?.firewall?.proxyPort ?? DEFAULT_WINDOWS_PROXY_PORT,
    });
    calls.warnings.push(...extraWarnings);
    return this.toPlan('setup', calls);
  }

  async status(): Promise<StatusReport> {
    const state = await this.state();
    const firewall: FirewallByUser = {};
    for (const [user, record] of Object.entries(state.Recorded.users)) {
      if (record.identities.offline) firewall[user] = await this.firewall(user);
    }
    const report = statusFromState(state, firewall);
    report.warnings.push(...this.client.takeWarnings());
    return report;
  }

  /**
   * One workspace taken back (remove-workspace-plan.ts decides from Get-CorralState); the
   * workspace is the directory as given or its resolved path, whichever the state knows.
   */
  async planRemoveWorkspace(request: { realUser: RealUser; workspace: string }): Promise<Plan> {
    const candidates = [request.workspace];
    try {
      const resolved = realpathSync.native(request.workspace);
      if (!candidates.some((c) => windowsPaths.samePath(c, resolved))) candidates.push(resolved);
    } catch {
      // gone or unreadable: the recorded spelling is compared as given
    }
    return this.toPlan('remove-workspace', planRemoveWorkspaceCalls({ user: request.realUser.name, candidates, state: await this.state() }));
  }

  async planTeardown(): Promise<Plan> {
    return this.toPlan('teardown', planTeardownCalls(await this.state()));
  }

  private toPlan(action: Plan['action'], plan: CallPlan): Plan {
    const warnings = [...plan.warnings, ...this.client.takeWarnings()];
    let run: ElevatedPlanRun | null = null;
    if (!this.deps.elevated && plan.calls.length > 0) {
      run = new ElevatedPlanRun(
        plan.calls.map((c) => c.call),
        { ...this.deps.elevation, host: this.deps.host, installation: this.installation.name },
      );
      this.runs.push(run);
      warnings.push(`not elevated: applying asks for elevation once (UAC) and runs these ${plan.calls.length} calls in one elevated PowerShell`);
    }
    const steps: PlanStep[] = plan.calls.map((planned, index) => ({
      id: planned.id,
      title: planned.title,
      preview: [buildInvocation(planned.call)],
      undo: [],
      journaled: false,
      apply: async () => {
        if (run !== null) await run.result(index);
        else await this.client.call(planned.call);
      },
    }));
    return { action, steps, unchanged: plan.unchanged, warnings };
  }

  async close(): Promise<void> {
    try {
      for (const run of this.runs) await run.finished();
    } finally {
      try {
        await this.deps.host.close();
      } finally {
        this.deps.onClose?.();
      }
    }
  }
}

/**
 * package_unverified when this package lies inside a workspace (requested or recorded):
 * sessions of that workspace could change what setup runs elevated. Pure (tested).
 */
export function refusePackageInWorkspace(packageRoot: string, workspaces: readonly string[]): void {
  const inside = workspaces.find((w) => windowsPaths.within(packageRoot, w));
  if (inside !== undefined) {
    throw new CorralError(
      'package_unverified',
      `this Corral package (${packageRoot}) lies inside the workspace ${inside}, which its sessions can write: install Corral outside every workspace (npm install -g corral) and run setup from there`,
      { details: { packageRoot, workspace: inside } },
    );
  }
}

/** Whether the session runs elevated, from the module's Test-CorralElevation. */
export async function sessionIsElevated(host: PowerShellHost): Promise<boolean> {
  const result = await new ModuleClient(host).call({ operation: 'Test-CorralElevation', args: {} });
  if (typeof result !== 'boolean') throw new CorralError('internal', `Test-CorralElevation returned ${JSON.stringify(result)}`);
  return result;
}
