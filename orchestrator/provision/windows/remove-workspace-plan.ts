/**
 * Removing one workspace on Windows (`corral setup --remove-workspace DIR`), decided purely
 * from what Get-CorralState reports: facts in, module calls out — unit-tested on any OS
 * (test/unit/windows-remove-workspace.test.ts). The calls run like setup's: in this process
 * when elevated, else all in one elevated PowerShell behind one UAC prompt (elevation.ts).
 *
 * What setup did for a workspace, and so what is taken back:
 *  - its state record, its journaled ACEs (the grant to the user's group and the capability
 *    SID, and the protected paths' deny ACEs: all of scope `workspace:<path>`), and both
 *    identities' profile folders for it (<profile>\corral-ws\<ws-id>): Revoke-CorralWorkspace,
 *    which writes the state first (the runner then refuses new sessions in it, so none makes
 *    the folders again), deletes the folders without following any junction
 *    (Remove-CorralWorkspaceProfile), then undoes the ACEs — last, so that a run stopped
 *    anywhere leaves journaled ACEs, which Get-CorralState reports even unelevated (the
 *    identities' profiles are not readable there);
 *  - the traverse ACEs (scope `traverse:<user>`) on the folders above it that nothing else
 *    needs: not an ancestor of, or one of, the remaining workspaces, nor above another
 *    traverse/toolchain ACE of the user (toolchains in the profile keep C:\Users\<user>):
 *    Revoke-CorralTraverse -Path, after the revoke.
 * Everything else stays: the other workspaces, the identities, the groups, the firewall rules,
 * the credentials, the runner.
 *
 * Nothing half-applied: every module function journals each change before and after it
 * (%ProgramData%\Corral\journal.jsonl) and tolerates what is already gone, and this plan is
 * made again from the machine on every run. A run stopped anywhere leaves something this
 * planner still finds — the record, an ACE of the scope still in effect, a profile folder,
 * a traverse ACE no one needs — so the same command run again finishes it.
 */
import { win32 } from 'node:path';
import { CorralError } from '../../../core/errors.js';
import { windowsPaths } from '../../../core/paths.js';
import { workspaceHomeName } from '../../../core/workspace-id.js';
import type { CallPlan } from './plan.js';
import type { CorralState } from './state-report.js';

export interface RemoveWorkspaceInputs {
  /** The real user's account name (the module's -User and the state's key). */
  user: string;
  /**
   * The directory as given, made absolute, then any other spelling of it (its resolved path):
   * the first one the state or the machine knows is the workspace.
   */
  candidates: readonly string[];
  state: CorralState;
}

const norm = windowsPaths.normalize;

/** The folders strictly above `p`, below its root (the module never grants on a drive root), normalized. */
export function ancestorsOf(p: string): string[] {
  const out: string[] = [];
  let current = norm(p);
  const root = win32.parse(current).root;
  for (;;) {
    const parent = win32.dirname(current);
    if (parent === current || parent.length <= root.length) break;
    out.push(parent);
    current = parent;
  }
  return out;
}

function selfAndAncestors(p: string): string[] {
  return [norm(p), ...ancestorsOf(p)];
}

/** What of one workspace is still on the machine or in the state. */
interface Found {
  path: string;
  recorded: boolean;
  /** Journaled ACEs of the workspace's scope still in effect. */
  aces: number;
  /** Identities (offline/online) that still have a profile folder for it. */
  profiles: string[];
  /** Traverse ACE folders (as journaled) only this workspace needed. */
  traverse: string[];
  /** Traverse ACE folders above it that stay, with why. */
  kept: string[];
}

function findWorkspace(state: CorralState, user: string, candidate: string): Found {
  const record = state.Recorded.users[user];
  const recorded = record?.workspaces.find((w) => windowsPaths.samePath(w.path, candidate));
  const ws = recorded?.path ?? candidate;
  const others = (record?.workspaces ?? []).filter((w) => w !== recorded);
  // The module's scope is `workspace:` and the lower-cased full path.
  const aces = state.Found.aces.filter((a) => a.scope.toLowerCase().startsWith('workspace:') && windowsPaths.samePath(a.scope.slice('workspace:'.length), ws)).length;
  // Named after the recorded spelling (Get-CorralWorkspaceProfileName, core/workspace-id.ts).
  const name = workspaceHomeName(ws);
  const profiles = Object.entries(state.Found.users[user]?.workspaceProfiles ?? {})
    .filter(([, names]) => names.includes(name))
    .map(([kind]) => kind)
    .sort();

  const traverseAces = state.Found.aces.filter((a) => a.scope.toLowerCase() === `traverse:${user}`.toLowerCase());
  const above = new Set(ancestorsOf(ws));
  const needed = new Map<string, string>();
  for (const o of others) for (const d of selfAndAncestors(o.path)) if (!needed.has(d)) needed.set(d, `workspace ${o.path} needs it`);
  for (const a of traverseAces) {
    const at = norm(a.path);
    if (above.has(at) || at === norm(ws)) continue;
    for (const d of ancestorsOf(a.path)) if (!needed.has(d)) needed.set(d, `the traverse/toolchain ACE on ${a.path} needs it`);
  }
  const traverse: string[] = [];
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const a of traverseAces) {
    const at = norm(a.path);
    if (!above.has(at) || seen.has(at)) continue;
    seen.add(at);
    const why = needed.get(at);
    if (why === undefined) traverse.push(a.path);
    else kept.push(`${a.path} stays traversable by the identities (${why})`);
  }
  // Deepest first, as the module undoes (newest first) within each folder.
  traverse.sort((a, b) => norm(b).length - norm(a).length || (norm(a) < norm(b) ? -1 : 1));
  return { path: ws, recorded: recorded !== undefined, aces, profiles, traverse, kept: kept.sort() };
}

function isKnown(f: Found): boolean {
  return f.recorded || f.aces > 0 || f.profiles.length > 0 || f.traverse.length > 0;
}

function notProvisioned(state: CorralState, user: string, given: string, candidates: readonly string[]): CorralError {
  const mine = (state.Recorded.users[user]?.workspaces ?? []).map((w) => w.path);
  const owner = Object.entries(state.Recorded.users).find(
    ([name, u]) => name.toLowerCase() !== user.toLowerCase() && u.workspaces.some((w) => candidates.some((c) => windowsPaths.samePath(w.path, c))),
  )?.[0];
  const remedy =
    owner !== undefined
      ? `It is provisioned for ${owner}: run \`corral setup --remove-workspace ${given} --user ${owner}\`.`
      : mine.length > 0
        ? `${user}'s provisioned workspaces: ${mine.join(', ')} (\`corral status\` lists them).`
        : `${user} has no provisioned workspace; nothing to remove.`;
  return new CorralError('not_provisioned', `${given} is not a provisioned workspace of ${user}`, {
    details: { workspace: given, realUser: user, workspaces: mine, ...(owner !== undefined ? { provisionedFor: owner } : {}) },
    remedy,
  });
}

export function planRemoveWorkspaceCalls(inputs: RemoveWorkspaceInputs): CallPlan {
  const { state, user } = inputs;
  const given = inputs.candidates[0];
  if (given === undefined) throw new CorralError('internal', 'no workspace to remove');
  const found = inputs.candidates.map((c) => findWorkspace(state, user, c)).find(isKnown);
  if (found === undefined) throw notProvisioned(state, user, given, inputs.candidates);
  const ws = found.path;

  // Nested workspaces share one tree: the inner one's grant may have been skipped as already
  // covered by the outer one's inherited ACEs, so revoking the outer one would leave the inner
  // one without access, and the outer one's sessions would keep the inner one's tree.
  for (const o of state.Recorded.users[user]?.workspaces ?? []) {
    if (windowsPaths.samePath(o.path, ws)) continue;
    if (windowsPaths.within(o.path, ws) || windowsPaths.within(ws, o.path)) {
      throw new CorralError('workspace_invalid', `${ws} and ${o.path} are nested workspaces of ${user}: one cannot be removed without the other`, {
        details: { workspace: ws, nested: o.path },
        remedy: 'Remove both and set up the one to keep again (`corral setup --remove-workspace DIR` for each), or `corral teardown` to remove everything.',
      });
    }
  }

  const calls: CallPlan['calls'] = [];
  const unchanged: string[] = [];
  if (found.recorded || found.aces > 0 || found.profiles.length > 0) {
    const parts = [
      ...(found.recorded ? [`forget it in the state (sessions in it are refused from now on)`] : []),
      ...(found.aces > 0 ? [`remove its ${found.aces} ACE${found.aces === 1 ? '' : 's'} (the grant and the protected paths' deny entries)`] : []),
      ...(found.profiles.length > 0 ? [`delete the ${found.profiles.join(' and ')} identit${found.profiles.length === 1 ? "y's" : "ies'"} profile folders for it`] : []),
    ];
    calls.push({
      id: `revoke-workspace:${ws}`,
      title: `Revoke workspace ${ws}: ${parts.join(', ')}`,
      call: { operation: 'Revoke-CorralWorkspace', args: { User: user, Path: ws } },
    });
  }
  if (found.traverse.length > 0) {
    calls.push({
      id: `revoke-traverse:${ws}`,
      title: `Remove the identities' traverse ACEs on ${found.traverse.join(', ')} (no remaining workspace needs them)`,
      call: { operation: 'Revoke-CorralTraverse', args: { User: user, Path: found.traverse } },
    });
  }
  unchanged.push(...found.kept);
  for (const o of state.Recorded.users[user]?.workspaces ?? []) if (!windowsPaths.samePath(o.path, ws)) unchanged.push(`workspace ${o.path}`);
  if (state.Recorded.users[user] !== undefined) unchanged.push(`${user}'s identities, groups, credentials and firewall rules`);
  const warnings: string[] = [];
  if (!found.recorded) warnings.push(`${ws} is no longer recorded: finishing a removal that stopped half-way`);
  return { calls, unchanged, warnings };
}
