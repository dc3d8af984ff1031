/** The Linux Provisioner (platform.ts): planning, status and teardown over this machine. */
import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { sessionRuntimeDirs } from '../../../runner/linux/runtime-dirs.js';
import { homeImagesDir } from '../../../runner/linux/home-image.js';
import type { Installation } from '../../../core/installation.js';
import { Journal } from '../../journal.js';
import type { Plan, Provisioner, SetupRequest } from '../../platform.js';
import { StateStore } from '../../state-store.js';
import { teardownPlan } from '../../teardown-plan.js';
import { CorralError } from '../../../core/errors.js';
import { describeUid } from '../../../os/linux/passwd.js';
import { planLinuxSetup } from './planner.js';
import { checkRoot, checkTools } from './prerequisites.js';
import { resolveLinuxRealUser } from './real-user.js';
import { linuxStatus } from './status.js';
import { linuxUndoer } from './undo.js';
import { planLinuxRemoveWorkspace } from './remove-workspace.js';
import { acquireSetupLock } from './setup-lock.js';
import { checkStateDirWritable } from '../../state-preflight.js';

export function createLinuxProvisioner(inst: Installation): Provisioner & { readonly journal: Journal } {
  const journal = Journal.inDir(inst.stateDir);
  const store = new StateStore(inst.stateDir, inst.name);
  return {
    installation: inst,
    journal,
    async checkPrerequisites(invocation = [], opts = {}) {
      // A dry run only reads (planning is facts, then a pure plan): it may run without root,
      // and says what it could not read (setup-facts.ts). Every change needs root.
      if (opts.dryRun !== true) checkRoot(invocation);
      checkTools();
    },
    async resolveRealUser(name, hint) {
      return resolveLinuxRealUser(name, process.env, hint?.workspace);
    },
    async planSetup(request: SetupRequest) {
      checkWorkspaceOwners(request);
      return planLinuxSetup({ inst, store, journal }, request);
    },
    async planRemoveWorkspace(request) {
      return planLinuxRemoveWorkspace({ inst, store, journal }, request);
    },
    async status() {
      return linuxStatus(inst, store);
    },
    async planTeardown(): Promise<Plan> {
      const plan = teardownPlan(journal, linuxUndoer(inst), {
        id: 'forget',
        title: `Remove ${store.file} and ${journal.file}`,
        preview: [
          `rm -f -- ${store.file} ${journal.file}`,
          `rmdir ${inst.homeBase} ${homeImagesDir(inst)} ${inst.stateDir} (when empty)`,
          `rmdir ${sessionRuntimeDirs(inst.name).dirs.join(' ')} (session run-time directories, when no session uses them)`,
        ],
        undo: [],
        journaled: false,
        apply: async () => {
          store.remove();
          journal.remove();
          for (const dir of [inst.homeBase, homeImagesDir(inst), inst.stateDir]) removeIfEmpty(dir);
          removeRuntimeDirs(inst.name);
        },
      });
      const nothing = plan.steps.length === 1 && !existsSync(store.file) && !existsSync(journal.file) && !existsSync(inst.stateDir);
      return nothing ? { ...plan, steps: [] } : plan;
    },
    async lock(command: string) {
      return acquireSetupLock(inst.name, { command });
    },
    async preflightApply() {
      checkStateDirWritable(inst.stateDir);
    },
    async close() {},
  };
}

/**
 * What sessions left at run time (cgroup bases, the temp parent, /run/<inst>): removed only
 * when no session uses them — rmdir refuses a cgroup with children or a non-empty
 * directory, and the reservations lock goes only when nothing else is reserved.
 */
function removeRuntimeDirs(name: string): void {
  const { files, dirs } = sessionRuntimeDirs(name);
  const reservations = path.dirname(files[0]!);
  try {
    if (readdirSync(reservations).every((e) => e === '.lock')) for (const f of files) rmSync(f, { force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch (err) {
      if (!['ENOENT', 'ENOTEMPTY', 'EBUSY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * A workspace must belong to the real user it is provisioned for: granting an identity
 * write access to someone else's tree would hand it to the wrong person.
 */
function checkWorkspaceOwners(request: SetupRequest): void {
  for (const ws of request.workspaces) {
    // The CLI checked existence and canonical form; ownership is an OS fact.
    const uid = statSync(ws).uid;
    if (uid !== request.realUser.uid) {
      throw new CorralError('workspace_not_owned', `${ws} is owned by ${describeUid(uid)}, not by ${request.realUser.name} (uid ${request.realUser.uid})`, {
        details: { workspace: ws, owner: uid, realUser: request.realUser.name },
      });
    }
  }
}
