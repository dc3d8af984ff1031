/**
 * Step 3 of Linux setup planning: step descriptors (setup-plan.ts) into steps that apply and
 * read back. This is the only part of planning that changes the machine (when a step is
 * applied) — and, for an ACL grant, reads the tree's current extended entries once while the
 * step is built, so that the journal's undo record holds them before anything changes.
 */
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import type { UndoRecord } from '../../journal.js';
import type { Plan, PlanStep, SetupRequest } from '../../platform.js';
import type { StateStore } from '../../state-store.js';
import { display, getGroup, getUser, runCommand } from './accounts.js';
import { snapshotExtended, type AclRevokeUndo } from './acl.js';
import { applyTable, expectedSignature, readTable, sameSignature } from './nft.js';
import { installedDigest, installedFiles, installRunner, ownershipProblems } from './runner-install.js';
import { desiredState, withUids, type LinuxSetupPlan, type RecordFacts, type SetupStepSpec } from './setup-plan.js';
import { installSudoers, readSudoers, sudoersDrift } from './sudoers.js';

export interface StepContext {
  inst: Installation;
  store: StateStore;
  request: SetupRequest;
  plan: LinuxSetupPlan;
}

/** The facts the state record is built from, read again after the other steps ran. */
async function recordFactsNow(inst: Installation, plan: LinuxSetupPlan): Promise<RecordFacts> {
  const account = async (name: string) => {
    const e = await getUser(name);
    return e === null ? null : { name: e.name, uid: e.uid, gid: e.gid };
  };
  const group = async (name: string) => {
    const g = await getGroup(name);
    return g === null ? null : { name: g.name, gid: g.gid };
  };
  return {
    sandboxGroup: await group(inst.sandboxGroup),
    userGroup: await group(inst.userGroup),
    identities: { offline: await account(plan.identityNames.offline), online: await account(plan.identityNames.online) },
    installedDigest: installedDigest(inst.libDir),
  };
}

export async function buildStep(spec: SetupStepSpec, ctx: StepContext): Promise<PlanStep> {
  const { inst, store } = ctx;
  switch (spec.kind) {
    case 'commands':
      return {
        id: spec.id,
        title: spec.title,
        preview: spec.commands.map(display),
        undo: spec.undo,
        apply: async () => {
          for (const c of spec.commands) await runCommand(c);
        },
      };
    case 'grant': {
      const before = spec.before ?? (await snapshotExtended(spec.workspace, true));
      const undo: AclRevokeUndo = { ...spec.revoke, before };
      return {
        id: spec.id,
        title: spec.title,
        preview: spec.commands.map(display),
        undo: [undo as unknown as UndoRecord],
        apply: async () => {
          for (const c of spec.commands) await runCommand(c);
        },
      };
    }
    case 'firewall':
      return {
        id: spec.id,
        title: spec.title,
        preview: [`nft -f - <<'EOF'\n${spec.script}EOF`],
        undo: spec.undo,
        apply: async () => {
          await applyTable(spec.script);
          const uids: Record<string, number | null> = {};
          for (const r of spec.rules) uids[r.identity] = (await getUser(r.identity))?.uid ?? null;
          const resolved = withUids(spec.rules, uids);
          const back = await readTable(spec.table);
          if (resolved === null || back === null || !sameSignature(back, expectedSignature(resolved))) {
            throw new CorralError('step_failed', `nft table inet ${spec.table} does not read back as written`, { details: { read: back } });
          }
        },
      };
    case 'runner': {
      const targets = spec.files.map((f) => f.target).sort();
      return {
        id: spec.id,
        title: spec.title,
        preview: [
          `copy ${spec.files.length} files to ${spec.libDir} (bin/node from ${spec.files.find((f) => f.target === 'bin/node')?.source ?? process.execPath}; app/package.json, app/dist, app/node_modules), owner root:root, modes 0755/0644`,
        ],
        undo: spec.undo,
        apply: async () => {
          installRunner(spec.libDir, spec.files);
          const problemsAfter = ownershipProblems(spec.libDir);
          if (problemsAfter.length > 0) throw new CorralError('step_failed', `runner copy is not safe: ${problemsAfter.join('; ')}`);
          const back = (installedFiles(spec.libDir) ?? []).map((f) => f.target).sort();
          if (JSON.stringify(back) !== JSON.stringify(targets)) {
            throw new CorralError('step_failed', `runner copy in ${spec.libDir} does not read back as copied (${back.length} of ${targets.length} files)`);
          }
        },
      };
    }
    case 'sudoers':
      return {
        id: spec.id,
        title: spec.title,
        preview: [`write ${spec.file} (0440 root:root, checked with visudo -cf before it is moved into place):\n${spec.content}`],
        undo: spec.undo,
        apply: async () => {
          await installSudoers(spec.file, spec.content);
          const back = sudoersDrift(readSudoers(spec.file), spec.content);
          if (back.length > 0) throw new CorralError('step_failed', `${spec.file} does not read back as written: ${back.join('; ')}`);
        },
      };
    case 'state':
      return {
        id: spec.id,
        title: `${spec.title} in ${store.file}`,
        preview: [`write ${store.file} (atomically, mode 0644)`],
        undo: [],
        apply: async () => {
          const now = await recordFactsNow(inst, ctx.plan);
          const next = desiredState(inst, ctx.request, ctx.plan, now, store.read());
          store.update((s) => Object.assign(s, next));
        },
      };
  }
}

/** Why a setup step is needed, in plain words, from what it changes (the readable plan, issue 13.7). */
export function stepWhy(inst: Installation, id: string, realUser: string): string | undefined {
  const [kind, arg] = [id.split(':')[0], id.slice(id.indexOf(':') + 1)];
  switch (kind) {
    case 'group':
      return arg === inst.sandboxGroup
        ? 'the sandbox identities belong to it, and nothing else does'
        : `its members may start sessions: the sudo rule names this group, and ${realUser} joins it`;
    case 'user':
      return arg.includes('-off-')
        ? `the account ${realUser}'s offline sessions run as: no login, no network (the firewall rejects it), no access to ${realUser}'s files outside the workspaces`
        : `the account ${realUser}'s online sessions run as: no login, network allowed, no access to ${realUser}'s files outside the workspaces`;
    case 'member':
      return `so that ${realUser} may start sessions (takes effect at ${realUser}'s next login, or in a shell started with \`newgrp ${inst.userGroup}\`)`;
    case 'firewall':
      return 'rejects every connection of the offline identities (loopback only as the policy allows)';
    case 'runner':
      return 'the session runner, root-owned so that nothing a session can write is ever run as root';
    case 'sudoers':
      return `lets members of ${inst.userGroup} start that runner, and only it, as root`;
    case 'traverse':
      return 'the identities may pass through (not list or read) the directories above the workspace, e.g. a 0750 home';
    case 'grant':
      return 'the identities may read and write the workspace; .git and the protected names stay read-only';
    case 'state':
      return 'what was provisioned, which the runner checks before every session';
    default:
      return undefined;
  }
}

export async function buildPlan(ctx: StepContext): Promise<Plan> {
  const steps: PlanStep[] = [];
  for (const spec of ctx.plan.steps) {
    const step = await buildStep(spec, ctx);
    const why = stepWhy(ctx.inst, spec.id, ctx.request.realUser.name);
    steps.push(why === undefined ? step : { ...step, why });
  }
  return { action: 'setup', steps, unchanged: ctx.plan.unchanged, warnings: ctx.plan.warnings };
}
