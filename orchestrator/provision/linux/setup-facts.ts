/**
 * Step 1 of Linux setup planning: read the machine, once, into a plain object.
 *
 * Everything the planner decides on comes from here — accounts and groups, the home
 * directories, the live nft table, the runner copy and its sources, the sudoers drop-in, the
 * ACLs of workspaces, their protected paths and ancestors, and the undo records of journal
 * steps that began but never finished. Nothing here decides anything; `setup-plan.ts` is a
 * pure function of these facts, unit-tested without root (test/unit/linux-setup-plan.test.ts).
 *
 * Runs in the setup process, as root (getent, getfacl, lstat, nft list, the idmap probe); for
 * `--dry-run` also without root, noting what it could not read (`unread`).
 */
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import type { Installation } from '../../../core/installation.js';
import type { MachineState, WorkspaceAccess } from '../../../core/state.js';
import type { IdentityKind } from '../../../core/vocabulary.js';
import { identityNames, type IdentityNames } from '../../identities.js';
import type { Journal, UndoRecord } from '../../journal.js';
import type { SetupRequest } from '../../platform.js';
import type { StateStore } from '../../state-store.js';
import { forgetAccounts, getGroup, getUser, nologinShell, prefetch, type GroupEntry } from './accounts.js';
import { readAcls } from './acl.js';
import { unescapePath, type FileAcl } from './acl-model.js';
import { readTable } from './nft.js';
import type { PasswdEntry } from './real-user.js';
import { digestFiles, installedDigest, installSources, ownershipProblems, type InstallFile } from './runner-install.js';
import { readSudoers, type SudoersFacts } from './sudoers.js';
import { workspaceAccessDecision } from './workspace-access.js';
import { ancestorsOf, protectedCandidates } from './setup-paths.js';

/** lstat of a home directory, or null when it is missing. */
export interface DirFacts {
  isDir: boolean;
  uid: number;
  mode: number;
}

export interface PathFacts {
  path: string;
  isDir: boolean;
  /** Any execute bit (setfacl's `X`). */
  hasExec: boolean;
}

export interface WorkspaceFacts {
  path: string;
  /** The mechanism chosen for it: the idmap probe's answer, or the test override. */
  access: WorkspaceAccess;
  /** Why, in words (the probe's reason), for the plan. */
  accessReason?: string;
  /** getfacl of each ancestor, from `/` down. */
  ancestors: FileAcl[];
  /** ACL mode only: getfacl of the workspace root (null when it could not be read). */
  acl: FileAcl | null;
  /** ACL mode only: protected paths present inside (not symlinks), with their getfacl. */
  protected: (PathFacts & { acl: FileAcl | null })[];
}

export interface RunnerFacts {
  sources: InstallFile[];
  sourceDigest: string;
  installedDigest: string | null;
  ownershipProblems: string[];
  libDirExists: boolean;
}

export interface LinuxSetupFacts {
  recorded: MachineState | null;
  /** Undo records of journal steps that began and never finished (a crashed run). */
  pendingUndo: UndoRecord[];
  names: IdentityNames;
  nologinShell: string;
  groups: { sandbox: GroupEntry | null; user: GroupEntry | null };
  identities: Record<IdentityKind, PasswdEntry | null>;
  homes: Record<IdentityKind, DirFacts | null>;
  /** Uid of every offline identity the nft table must name (recorded users and this one). */
  offlineUids: Record<string, number | null>;
  /** The live table's signature (nft.ts), or null when the table is missing. */
  nftLive: string[] | null;
  runner: RunnerFacts;
  sudoers: SudoersFacts;
  workspaces: WorkspaceFacts[];
  /**
   * Without root (`setup --dry-run` as an ordinary user): what could not be read, each with
   * why; the plan assumes it missing. Absent or empty as root, where a read error is fatal.
   */
  unread?: string[];
}

function dirFacts(p: string): DirFacts | null {
  try {
    const st = lstatSync(p);
    return { isDir: st.isDirectory(), uid: st.uid, mode: st.mode & 0o7777 };
  } catch {
    return null;
  }
}

function pathFacts(p: string): PathFacts | null {
  try {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return null;
    return { path: p, isDir: st.isDirectory(), hasExec: (st.mode & 0o111) !== 0 };
  } catch {
    return null;
  }
}

/**
 * Test-only: CORRAL_TEST_WORKSPACE_ACCESS=acl|idmap forces the workspace access mechanism,
 * so that the integration suite exercises the ACL grants on a machine where the idmap
 * probe would choose 'idmap'. Honoured only for test installations (`ctest…`), never for
 * a real one.
 */
export function testAccessOverride(inst: Installation, env: NodeJS.ProcessEnv = process.env): WorkspaceAccess | null {
  const forced = env.CORRAL_TEST_WORKSPACE_ACCESS;
  if (!inst.name.startsWith('ctest') || (forced !== 'acl' && forced !== 'idmap')) return null;
  return forced;
}

export interface FactsContext {
  inst: Installation;
  store: StateStore;
  journal: Journal;
}

/**
 * Reads that need root (the state and journal files, the live nft table, the 0440 sudoers
 * drop-in). As root a failure is fatal as before; without root — only `setup --dry-run`
 * gets here, since checkPrerequisites refuses everything else — it is noted and the
 * fallback (missing) is planned from, so the preview shows what a first setup would do.
 */
async function privileged<T>(unread: string[], what: string, read: () => T | Promise<T>, fallback: T): Promise<T> {
  if (process.getuid?.() === 0) return read();
  try {
    return await read();
  } catch (err) {
    unread.push(`${what} (${(err as Error).message.split('\n')[0]})`);
    return fallback;
  }
}

export async function gatherLinuxSetupFacts(ctx: FactsContext, req: SetupRequest): Promise<LinuxSetupFacts> {
  const { inst, store, journal } = ctx;
  const unread: string[] = [];
  const unprivileged = process.getuid?.() !== 0;
  const recorded = await privileged(unread, `the recorded state ${store.file}`, () => store.read(), null);
  const names = identityNames(inst, req.realUser.name);
  const otherOffline = Object.values(recorded?.users ?? {}).map((u) => u.identities.offline.name);

  forgetAccounts();
  await prefetch([names.offline, names.online, ...otherOffline], [inst.sandboxGroup, inst.userGroup]);
  const identities: Record<IdentityKind, PasswdEntry | null> = { offline: await getUser(names.offline), online: await getUser(names.online) };
  const offlineUids: Record<string, number | null> = {};
  for (const name of new Set([...otherOffline, names.offline])) offlineUids[name] = (await getUser(name))?.uid ?? null;

  const sources = installSources();
  const installed = installedDigest(inst.libDir);
  const workspaces: WorkspaceFacts[] = [];
  for (const ws of req.workspaces) {
    const forced = testAccessOverride(inst);
    const decision = forced !== null ? { access: forced, reason: `forced by CORRAL_TEST_WORKSPACE_ACCESS=${forced}` } : workspaceAccessDecision(ws, req.realUser);
    const access = decision.access;
    // The probe tries a real idmapped mount, which needs root: without it the answer says why it failed, not what root would get.
    const accessReason = unprivileged && forced === null ? `${decision.reason} — probed without root; setup as root probes again and uses an idmapped mount where the kernel and filesystem allow it` : decision.reason;
    const ancestors = await readAcls(ancestorsOf(ws));
    if (access !== 'acl') {
      workspaces.push({ path: ws, access, accessReason, ancestors, acl: null, protected: [] });
      continue;
    }
    const present = protectedCandidates(ws, req.policy.policy.protected)
      .map(pathFacts)
      .filter((p): p is PathFacts => p !== null);
    const acls = await readAcls([ws, ...present.map((p) => p.path)]);
    const aclOf = (p: string) => acls.find((a) => unescapePath(a.path) === p) ?? null;
    workspaces.push({ path: ws, access, accessReason, ancestors, acl: aclOf(ws), protected: present.map((p) => ({ ...p, acl: aclOf(p.path) })) });
  }

  const pendingUndo = await privileged(unread, `the journal ${journal.file}`, () => journal.pending().flatMap((p) => p.undo), []);
  const nftLive = await privileged(unread, `the nft table inet ${inst.firewallGroup}`, () => readTable(inst.firewallGroup), null);
  const sudoers = await privileged(unread, `the sudo rule ${inst.sudoersFile}`, () => readSudoers(inst.sudoersFile), { content: null, mode: 0, uid: -1, gid: -1 });
  return {
    recorded,
    pendingUndo,
    names,
    nologinShell: nologinShell(),
    groups: { sandbox: await getGroup(inst.sandboxGroup), user: await getGroup(inst.userGroup) },
    identities,
    homes: {
      offline: dirFacts(path.join(inst.homeBase, names.offline)),
      online: dirFacts(path.join(inst.homeBase, names.online)),
    },
    offlineUids,
    nftLive,
    runner: {
      sources,
      sourceDigest: digestFiles(sources),
      installedDigest: installed,
      ownershipProblems: installed === null ? [] : ownershipProblems(inst.libDir),
      libDirExists: existsSync(inst.libDir),
    },
    sudoers,
    workspaces,
    ...(unread.length > 0 ? { unread } : {}),
  };
}
