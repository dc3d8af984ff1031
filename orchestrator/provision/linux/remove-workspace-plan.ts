/**
 * Removing one workspace (`corral setup --remove-workspace DIR`), decided purely from facts:
 * the recorded state, the journal's pending steps and which workspace homes exist. No file
 * system, no processes: unit-tested on any machine (test/unit/linux-remove-workspace.test.ts);
 * remove-workspace.ts gathers the facts and turns these descriptors into steps.
 *
 * What setup did for a workspace, and so what is taken back:
 *  - `grant:<ws>` (ACL access): a recursive acl-revoke record rooted at the workspace — run, so
 *    the identities' and the real user's entries go and what was there before comes back;
 *  - `traverse:<ws>`: execute-only entries on ancestors, one acl-revoke record per directory —
 *    run only for the directories no other workspace of the same user still lists in its
 *    `traverse` (a 0750 home shared by two workspaces keeps its entries while one needs them);
 *    the records of the kept ones are journaled again under `keep:<ws>` before the old step is
 *    settled, so teardown still finds them;
 *  - the workspace homes `<identity home>/ws-<id>` of both identities (made by the runner);
 *  - its record in state.json (everything else in it stays as it is).
 *
 * The state record goes first, so that no new session opens in the workspace while its grants
 * are taken back; the homes go last. Each later piece is found again from the machine or the
 * journal on a re-run (pending records, existing homes), so a run killed anywhere converges when
 * run again, even after the state no longer lists the workspace.
 */
import { CorralError } from '../../../core/errors.js';
import { posixPaths } from '../../../core/paths.js';
import type { MachineState } from '../../../core/state.js';
import type { PendingStep, UndoRecord } from '../../journal.js';
import type { AclRevokeUndo } from './acl.js';

export interface RemoveWorkspaceFacts {
  /** The workspace as the state and the journal spell it (canonical, absolute). */
  workspace: string;
  realUser: string;
  recorded: MachineState | null;
  pending: readonly PendingStep[];
  /** The user's identity names (the recorded ones, else the names setup would give). */
  identities: { offline: string; online: string };
  /** The workspace's homes that exist now (both identities), absolute. */
  homes: string[];
}

export type RemoveStepSpec =
  | { kind: 'state'; id: string; title: string }
  | { kind: 'keep'; id: string; title: string; undo: UndoRecord[] }
  | { kind: 'revoke'; id: string; title: string; undo: AclRevokeUndo; reverts: number[] }
  | { kind: 'settle'; id: string; title: string; reverts: number[] }
  | { kind: 'homes'; id: string; title: string; paths: string[] };

export interface RemoveWorkspacePlan {
  steps: RemoveStepSpec[];
  unchanged: string[];
  warnings: string[];
}

function asRevoke(u: UndoRecord): AclRevokeUndo | null {
  return u.kind === 'acl-revoke' && typeof u.root === 'string' && Array.isArray(u.accounts) ? (u as unknown as AclRevokeUndo) : null;
}

/** Whether anything of the workspace is left to remove (it is known to the state, the journal or as a home). */
export function isKnown(f: Omit<RemoveWorkspaceFacts, 'workspace'>, workspace: string): boolean {
  if (f.recorded?.users[f.realUser]?.workspaces[workspace] !== undefined) return true;
  if (f.homes.length > 0) return true;
  return f.pending.some((p) => p.step === `grant:${workspace}` || p.step === `traverse:${workspace}`);
}

export function planRemoveWorkspace(f: RemoveWorkspaceFacts): RemoveWorkspacePlan {
  const { workspace: ws, realUser } = f;
  const user = f.recorded?.users[realUser];
  const record = user?.workspaces[ws];
  const others = Object.values(user?.workspaces ?? {}).filter((w) => w.path !== ws);

  // Nested workspaces share one tree: revoking the outer one's grant recursively would take the
  // inner one's entries too, and revoking the inner one would cut a hole in the outer's grant.
  for (const o of others) {
    if (posixPaths.within(o.path, ws) || posixPaths.within(ws, o.path)) {
      throw new CorralError('workspace_invalid', `${ws} and ${o.path} are nested workspaces of ${realUser}: one cannot be removed without the other`, {
        details: { workspace: ws, nested: o.path },
        remedy: `Remove the inner one first if it is the one to go, or remove both and set up the one to keep again (\`sudo corral setup --remove-workspace DIR\`); \`sudo corral teardown\` removes everything.`,
      });
    }
  }

  const identities = new Set([f.identities.offline, f.identities.online]);
  const ours = (r: AclRevokeUndo) => r.accounts.some((a) => identities.has(a));
  const neededByOthers = new Map<string, string>();
  for (const o of others) for (const d of o.traverse ?? []) if (!neededByOthers.has(d)) neededByOthers.set(d, o.path);

  // The ancestors this workspace's traverse entries were made for.
  const traverse = new Set(record?.traverse ?? []);
  for (const p of f.pending) {
    if (p.step !== `traverse:${ws}`) continue;
    for (const u of p.undo) {
      const r = asRevoke(u);
      if (r !== null && !r.recursive) traverse.add(r.root);
    }
  }
  const drop = new Set([...traverse].filter((d) => !neededByOthers.has(d)));

  const toRevoke = (r: AclRevokeUndo): boolean => (r.recursive ? r.root === ws : drop.has(r.root) && ours(r));
  const affected = f.pending.filter(
    (p) =>
      p.step === `grant:${ws}` ||
      p.step === `traverse:${ws}` ||
      p.undo.some((u) => {
        const r = asRevoke(u);
        return r !== null && toRevoke(r);
      }),
  );
  const affectedSeqs = new Set(affected.map((p) => p.seq));
  const stillPending = new Set(f.pending.filter((p) => !affectedSeqs.has(p.seq)).flatMap((p) => p.undo.map((u) => JSON.stringify(u))));
  const revoke = new Map<string, AclRevokeUndo>();
  const keep = new Map<string, UndoRecord>();
  for (const p of affected) {
    for (const u of p.undo) {
      const key = JSON.stringify(u);
      const r = asRevoke(u);
      if (r !== null && toRevoke(r)) revoke.set(key, r);
      else if (!stillPending.has(key)) keep.set(key, u);
    }
  }
  for (const k of revoke.keys()) keep.delete(k);

  const steps: RemoveStepSpec[] = [];
  const unchanged: string[] = [];
  if (record !== undefined) {
    steps.push({ kind: 'state', id: `forget:${ws}`, title: `Remove ${ws} from ${realUser}'s workspaces in the recorded state (sessions in it are refused from now on)` });
  }
  if (keep.size > 0) {
    const dirs = [...keep.values()].map((u) => asRevoke(u)?.root ?? u.kind);
    const why = dirs.map((d) => (neededByOthers.has(d) ? `${d} (needed by ${neededByOthers.get(d)})` : d));
    steps.push({ kind: 'keep', id: `keep:${ws}`, title: `Keep the identities' execute-only entries on ${why.join(', ')}`, undo: [...keep.values()] });
  }
  for (const d of [...traverse].filter((x) => neededByOthers.has(x)).sort()) {
    unchanged.push(`${d} stays traversable by the identities (workspace ${neededByOthers.get(d)} needs it)`);
  }
  // The grant first, then the ancestors from the deepest up.
  const revokes = [...revoke.values()].sort((a, b) => Number(!a.recursive) - Number(!b.recursive) || (a.root === b.root ? 0 : a.root < b.root ? 1 : -1));
  revokes.forEach((r, i) => {
    steps.push({
      kind: 'revoke',
      id: `revoke-${i + 1}:${r.root}`,
      title: r.recursive ? `Remove the identities' and ${realUser}'s ACL entries under ${r.root}` : `Remove the identities' execute-only entry from ${r.root}`,
      undo: r,
      // The journal steps are settled with the last revoke: a run killed before it revokes again (idempotent).
      reverts: i === revokes.length - 1 ? [...affectedSeqs] : [],
    });
  });
  if (revokes.length === 0 && affectedSeqs.size > 0) {
    steps.push({ kind: 'settle', id: `settle:${ws}`, title: `Settle the journal steps of ${ws}`, reverts: [...affectedSeqs] });
  }
  if (f.homes.length > 0) {
    steps.push({ kind: 'homes', id: `homes:${ws}`, title: `Delete the identities' homes for ${ws}`, paths: [...f.homes] });
  }
  if (record?.access === 'idmap') unchanged.push(`${ws} had no ACL grant (idmapped mount per session)`);
  return { steps, unchanged, warnings: [] };
}
