/**
 * `corral setup --remove-workspace DIR` on Linux: gather the facts (state, journal, the
 * workspace's homes), decide with remove-workspace-plan.ts, and turn the descriptors into
 * journaled steps. Runs as root, under the installation's setup lock.
 *
 * Sessions: removal is refused while any process runs as one of the user's identities, or a
 * runner started for the user is still in its root phase (`workspace_in_use`). From outside, nothing a session cannot forge says which workspace a
 * process works in (its cwd and environment are its own), and the homes are deleted by root:
 * a live process of the identity could swap a directory for a link while `rm -r` walks the
 * tree. With no process of the identity running and the workspace gone from the state first
 * (the runner then refuses new sessions in it), nothing can race the deletion: a session that
 * starts meanwhile in another workspace sees the identity home read-only and this home hidden
 * (runner/linux/workspace-home.ts). The check runs again right before the homes are deleted.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import { workspaceHomeName } from '../../../runner/linux/workspace-home.js';
import { identityNames } from '../../identities.js';
import type { Journal, UndoRecord } from '../../journal.js';
import type { Plan, PlanStep, RealUser } from '../../platform.js';
import type { StateStore } from '../../state-store.js';
import { forgetAccounts, getUser } from './accounts.js';
import { formatCommand } from './exec.js';
import { isKnown, planRemoveWorkspace, type RemoveStepSpec } from './remove-workspace-plan.js';
import { linuxUndoer, refuseMountsBelow } from './undo.js';
import { homeImagePath, releaseHomeImage } from '../../../runner/linux/home-image.js';

export interface RemoveWorkspaceRequest {
  realUser: RealUser;
  /** The directory as given, made absolute (not yet canonical: it may no longer exist). */
  workspace: string;
}

export interface RemoveContext {
  inst: Installation;
  store: StateStore;
  journal: Journal;
}

/** Who counts as "a session of the user": the identities' uids, and runners of this installation started for the user. */
export interface SessionMarks {
  uids: ReadonlySet<number>;
  runner: { node: string; entry: string };
  realUid: number;
}

/**
 * Pids of the user's sessions: processes whose real, effective, saved or file-system uid is one
 * of the identities' (a runner drops to its identity once confined, so an idle open session is
 * one too), and runners of this installation still in their root phase (argv is the runner copy;
 * SUDO_UID, which sudo sets and the caller cannot choose, names the user — a runner started by
 * root directly has none and counts).
 */
export function sessionProcesses(marks: SessionMarks): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const line = /^Uid:\s+(.*)$/m.exec(status)?.[1];
      if (line !== undefined && line.split(/\s+/).some((u) => marks.uids.has(Number(u)))) {
        out.push(Number(entry));
        continue;
      }
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0] !== marks.runner.node || argv[1] !== marks.runner.entry) continue;
      const sudoUid = readFileSync(`/proc/${entry}/environ`, 'utf8')
        .split('\0')
        .find((e) => e.startsWith('SUDO_UID='))
        ?.slice('SUDO_UID='.length);
      if (sudoUid === undefined || sudoUid === String(marks.realUid)) out.push(Number(entry));
    } catch {
      continue; // ended meanwhile
    }
  }
  return out;
}

function inUse(realUser: string, ws: string, pids: number[]): CorralError {
  return new CorralError('workspace_in_use', `${realUser}'s sandbox identities are running processes (pid ${pids.slice(0, 5).join(', ')}${pids.length > 5 ? ', …' : ''}); ${ws} is not removed while a session may use it`, {
    details: { workspace: ws, pids },
    remedy: `End ${realUser}'s Corral sessions (commands, reusable sessions, \`corral mcp\`), then run the same command again; nothing was changed.`,
  });
}

/** The spellings of DIR to look up, canonical first: the resolved path (as setup resolves it), then the path as given. */
function candidates(dir: string): string[] {
  const out: string[] = [];
  try {
    out.push(realpathSync(dir));
  } catch {
    // gone (or unreadable): the recorded spelling may still name it
  }
  const given = path.resolve(dir);
  const trimmed = given.length > 1 ? given.replace(/\/+$/, '') : given;
  if (!out.includes(trimmed)) out.push(trimmed);
  return out;
}

export async function planLinuxRemoveWorkspace(ctx: RemoveContext, req: RemoveWorkspaceRequest): Promise<Plan> {
  const { inst, store, journal } = ctx;
  const user = req.realUser.name;
  const recorded = store.read();
  const rec = recorded?.users[user];
  const names = rec !== undefined ? { offline: rec.identities.offline.name, online: rec.identities.online.name } : identityNames(inst, user);
  const identityHomes = [names.offline, names.online].map((n) => path.join(inst.homeBase, n));
  const homesOf = (ws: string) =>
    identityHomes
      .map((h) => path.join(h, workspaceHomeName(ws)))
      .filter((p) => {
        try {
          lstatSync(p);
          return true;
        } catch {
          return false;
        }
      });
  const pending = journal.pending();
  const base = { realUser: user, recorded, pending, identities: names };
  const ws = candidates(req.workspace).find((c) => isKnown({ ...base, homes: homesOf(c) }, c));
  if (ws === undefined) throw notProvisioned(req, recorded);

  forgetAccounts();
  const uids = new Set<number>();
  for (const n of [names.offline, names.online]) {
    const e = await getUser(n);
    if (e !== null) uids.add(e.uid);
  }
  for (const a of rec === undefined ? [] : [rec.identities.offline, rec.identities.online]) uids.add(a.uid);
  const marks: SessionMarks = { uids, runner: { node: inst.runnerNode, entry: inst.runnerEntry }, realUid: req.realUser.uid ?? -1 };
  const busy = sessionProcesses(marks);
  if (busy.length > 0) throw inUse(user, ws, busy);

  const decided = planRemoveWorkspace({ ...base, workspace: ws, homes: homesOf(ws) });
  const undoer = linuxUndoer(inst);
  const steps = decided.steps.map((s) => buildStep(s, { inst, store, user, ws, marks, undoer, identityHomes }));
  return { action: 'remove-workspace', steps, unchanged: decided.unchanged, warnings: [...decided.warnings, ...movedWarning(ws, names)] };
}

/**
 * A workspace that is gone or now a symbolic link: the revoke walks the path physically (`-P`: a
 * link is not followed), so entries in a tree that was moved elsewhere stay there — Corral cannot
 * tell where it went. Said, with the command that removes them.
 */
function movedWarning(ws: string, names: { offline: string; online: string }): string[] {
  let what: string;
  try {
    const st = lstatSync(ws);
    if (!st.isSymbolicLink() && st.isDirectory()) return [];
    what = st.isSymbolicLink() ? 'is now a symbolic link' : 'is no longer a directory';
  } catch {
    what = 'no longer exists';
  }
  return [
    `${ws} ${what}: if its tree was moved elsewhere, the identities' ACL entries moved with it and stay there (remove them with \`setfacl -R -P -x u:${names.offline},u:${names.online},d:u:${names.offline},d:u:${names.online} -- DIR\`)`,
  ];
}

function notProvisioned(req: RemoveWorkspaceRequest, recorded: ReturnType<StateStore['read']>): CorralError {
  const user = req.realUser.name;
  const mine = Object.keys(recorded?.users[user]?.workspaces ?? {});
  const all = candidates(req.workspace);
  const owner = Object.entries(recorded?.users ?? {}).find(([n, u]) => n !== user && all.some((c) => u.workspaces[c] !== undefined))?.[0];
  const remedy =
    owner !== undefined
      ? `It is provisioned for ${owner}: run \`sudo corral setup --remove-workspace ${all[0]} --user ${owner}\`.`
      : mine.length > 0
        ? `${user}'s provisioned workspaces: ${mine.join(', ')} (\`corral status\` lists them).`
        : `${user} has no provisioned workspace; nothing to remove.`;
  return new CorralError('not_provisioned', `${req.workspace} is not a provisioned workspace of ${user}`, {
    details: { workspace: req.workspace, realUser: user, workspaces: mine, ...(owner !== undefined ? { provisionedFor: owner } : {}) },
    remedy,
  });
}

interface BuildContext {
  inst: Installation;
  store: StateStore;
  user: string;
  ws: string;
  marks: SessionMarks;
  undoer: ReturnType<typeof linuxUndoer>;
  identityHomes: string[];
}

function buildStep(spec: RemoveStepSpec, c: BuildContext): PlanStep {
  switch (spec.kind) {
    case 'state':
      return {
        id: spec.id,
        title: spec.title,
        preview: [`write ${c.store.file} without users[${c.user}].workspaces[${c.ws}] (atomically, mode 0644)`],
        undo: [],
        apply: async () => {
          c.store.update((s) => {
            const u = s.users[c.user];
            if (u !== undefined) delete u.workspaces[c.ws];
          });
        },
      };
    case 'keep':
      return {
        id: spec.id,
        title: spec.title,
        preview: [`journal ${spec.undo.length} undo record${spec.undo.length === 1 ? '' : 's'} again for teardown (nothing on the machine changes)`],
        undo: spec.undo,
        apply: async () => {},
      };
    case 'revoke': {
      const undo = spec.undo as unknown as UndoRecord;
      return {
        id: spec.id,
        title: spec.title,
        preview: c.undoer.describe(undo),
        undo: [],
        reverts: spec.reverts,
        apply: async () => c.undoer.run(undo),
      };
    }
    case 'settle':
      return { id: spec.id, title: spec.title, preview: [], undo: [], reverts: spec.reverts, apply: async () => {} };
    case 'homes':
      return {
        id: spec.id,
        title: spec.title,
        preview: spec.paths.flatMap((p) => [
          `umount ${p} (its bounded home filesystem) and delete ${homeImagePath(c.inst, path.basename(path.dirname(p)), workspaceHomeName(c.ws))}`,
          formatCommand('rm', ['-rf', '--', p]),
        ]),
        undo: [],
        // Not journaled (like teardown's last step): a deletion has nothing to undo, and a run
        // killed during or before it finds the homes still on disk when run again. So the last
        // journal record of a removal is the last revoke's `undone`, and a run killed at any
        // record leaves something a re-run finds (a pending step, a home) and finishes.
        journaled: false,
        apply: async () => {
          const busy = sessionProcesses(c.marks);
          if (busy.length > 0) throw inUse(c.user, c.ws, busy);
          for (const p of spec.paths) {
            // Only `<identity home>/ws-<id>` of this workspace, never anything else a record could name.
            if (!c.identityHomes.some((h) => p === path.join(h, workspaceHomeName(c.ws)))) {
              throw new CorralError('internal', `refusing to delete ${p}: not a workspace home of ${c.user}`);
            }
            // Its bounded filesystem first (home-image.ts), so that rm never crosses into a mount.
            releaseHomeImage(c.inst, path.basename(path.dirname(p)), p, workspaceHomeName(c.ws));
            refuseMountsBelow(p);
            rmSync(p, { recursive: true, force: true });
          }
        },
      };
  }
}
