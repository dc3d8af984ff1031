/**
 * The Linux setup planner, in three steps (the shape of the Windows state-report.ts + plan.ts):
 *
 *   1. setup-facts.ts  gathers the machine's facts into a plain object (reads only);
 *   2. setup-plan.ts   decides, purely, which steps bring the machine to the desired state;
 *   3. setup-steps.ts  turns those descriptors into steps that apply and read back.
 *
 * Planning only reads; `--dry-run` prints the steps' commands.
 */
import type { Installation } from '../../../core/installation.js';
import type { Journal } from '../../journal.js';
import type { Plan, SetupRequest } from '../../platform.js';
import type { StateStore } from '../../state-store.js';
import { gatherLinuxSetupFacts } from './setup-facts.js';
import { planLinuxSetup as decide } from './setup-plan.js';
import { buildPlan } from './setup-steps.js';

export { ancestorsOf } from './setup-paths.js';

export interface PlannerContext {
  inst: Installation;
  store: StateStore;
  journal: Journal;
}

export async function planLinuxSetup(ctx: PlannerContext, req: SetupRequest): Promise<Plan> {
  const facts = await gatherLinuxSetupFacts(ctx, req);
  const plan = decide(ctx.inst, req, facts);
  const built = await buildPlan({ inst: ctx.inst, store: ctx.store, request: req, plan });
  const workspaceAccess = facts.workspaces.map((w) => ({ path: w.path, access: w.access, reason: w.accessReason ?? w.access }));
  const unread = (facts.unread ?? []).map((u) => `planned without root, which cannot read ${u}; assumed missing, so a step may show that root finds already done (sudo corral setup --dry-run is exact)`);
  return { ...built, warnings: [...built.warnings, ...unread], workspaceAccess };
}
