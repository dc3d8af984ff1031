/**
 * The status checks of what breaks sessions even when every provisioned item is in place
 * (issue 13.9): the machine config the runner would refuse, a workspace that now belongs to
 * someone else, an identity home that is gone — each a finding with its own remedy, since
 * "run setup again" is the wrong advice for most of them. Also who may ask for status at all.
 *
 * Every check asks the question the runner asks, with the runner's own code where there is
 * one (the machine config: runner/linux/machine-config.ts, the same trust check and schema),
 * so a status that says "ok" means a session will not be refused for that reason.
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { CorralError, isCorralError } from '../../../core/errors.js';
import type { Installation } from '../../../core/installation.js';
import type { AccountRecord, UserRecord } from '../../../core/state.js';
import { describeUid } from '../../../os/linux/passwd.js';
import { readMachineLayer } from '../../../runner/machine-layer.js';
import { linuxMachineFileTrust } from '../../../os/linux/machine-file.js';
import { lookupGroup, permissionVerdict } from '../../bridge/linux/launcher.js';
import type { StatusItem } from '../../platform.js';
import { homeProblems } from './setup-plan.js';
import { homeImagePath, isMountOf } from '../../../runner/linux/home-image.js';
import { currentMounts, topMountAt } from '../../../runner/linux/mountinfo.js';
import { workspaceHomeName } from '../../../runner/linux/workspace-home.js';

const isRoot = () => process.getuid?.() === 0;

/** Repeating setup for this real user, as the administrator would type it. */
export function setupAgain(realUser: string): string {
  return `sudo corral setup --yes --user ${realUser}`;
}

/**
 * The machine config as the runner reads it. Absent: ok (the defaults apply). Unsafe (someone
 * other than root could change the file or a directory above it) or not valid: every session
 * is refused with config_invalid, so this is a finding. A file only root may read is
 * `unchecked` for a non-root caller: the runner, as root, can read it.
 */
export async function machineConfigItem(inst: Installation): Promise<StatusItem> {
  const file = inst.machineConfigFile;
  const base = { id: 'machine-config', kind: 'config', description: `machine config ${file}` };
  try {
    const layer = await readMachineLayer(inst, linuxMachineFileTrust);
    return { ...base, state: 'ok', ...(layer === null ? { detail: 'none (the defaults apply)' } : {}) };
  } catch (err) {
    if (!isCorralError(err)) throw err;
    const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code;
    if (!isRoot() && (cause === 'EACCES' || cause === 'EPERM')) {
      return { ...base, state: 'unchecked', detail: 'only root may read it; run `sudo corral status` to check it' };
    }
    const unsafe = typeof err.details.reason === 'string';
    return {
      ...base,
      state: 'drifted',
      detail: `sessions are refused: ${err.message}`,
      code: err.code,
      remedy: unsafe
        ? `Make ${file} and every directory above it root-owned and not writable by group or others (\`sudo chown root:root ${String(err.details.path)}\`, \`sudo chmod go-w ${String(err.details.path)}\`).`
        : `Fix ${file} (\`corral policy check ${file}\` names each problem), or remove it to use the defaults.`,
    };
  }
}

/**
 * An identity's home, `<homeBase>/<identity>`: the runner makes each workspace's HOME inside
 * it (workspace-home.ts); when it is missing or not the identity's, sessions start with a
 * read-only HOME and every tool that writes there (npm, pip, git's config) fails.
 */
export function identityHomeItem(inst: Installation, kind: 'offline' | 'online', rec: AccountRecord, realUser: string): StatusItem {
  const home = path.join(inst.homeBase, rec.name);
  const base = { id: `home:${rec.name}`, kind: 'home', description: `home ${home} of ${kind} identity ${rec.name}` };
  let facts: { isDir: boolean; uid: number; mode: number } | null;
  try {
    const st = lstatSync(home);
    facts = { isDir: st.isDirectory(), uid: st.uid, mode: st.mode };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { ...base, state: 'unchecked', detail: `cannot be read without root (${code})` };
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    facts = null;
  }
  const remedy = `Run \`${setupAgain(realUser)}\` again: it recreates the identity's home (0700, owned by ${rec.name}).`;
  if (facts === null) return { ...base, state: 'missing', detail: 'sessions get a read-only HOME: tool caches and configs fail', remedy };
  const problems = homeProblems(home, facts, rec.uid);
  return problems.length === 0 ? { ...base, state: 'ok' } : { ...base, state: 'drifted', detail: problems.join('; '), remedy };
}

/**
 * The workspace must still be a directory owned by the real user: the runner refuses a
 * session in it otherwise (workspace_not_owned, request-validation.ts). Null when it is, or
 * when it cannot be checked (the caller then reports what else it knows).
 */
export function workspaceOwnerFinding(ws: string, u: UserRecord): { detail: string; remedy: string } | null {
  let st;
  try {
    st = lstatSync(ws);
  } catch {
    return null; // missing or unreadable: the workspace item says so
  }
  const owner = u.realUser.name;
  const remove = `or stop using it as a workspace (\`sudo corral setup --remove-workspace ${ws} --user ${owner}\` takes back its grants and identity homes, the rest stays)`;
  if (st.isSymbolicLink() || !st.isDirectory()) {
    return { detail: `${ws} is no longer a directory (${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}); sessions in it are refused`, remedy: `Put the directory back, ${remove}.` };
  }
  if (st.uid === u.realUser.uid) return null;
  return {
    detail: `${ws} is owned by ${describeUid(st.uid)}, not by ${owner}; sessions in it are refused (workspace_not_owned)`,
    remedy: `Give it back to ${owner} (\`sudo chown ${owner} ${ws}\`) if that was a mistake, ${remove}.`,
  };
}

/**
 * Who may read status. Root; a member of the user group (a login that predates the membership
 * included: reading status needs no new group); nobody else. A non-member's status would stop
 * at the first ACL it may not read (a 0750 home), so it is refused with what to do instead; a
 * sandbox identity is told it is inside a sandbox (permissionVerdict, the bridge's decision).
 */
export function checkStatusPermitted(inst: Installation, caller: { name: string; uid: number; gid: number; home: string }): void {
  if (isRoot()) return;
  const group = lookupGroup(inst.userGroup);
  const verdict = permissionVerdict(inst, caller, group, process.getgroups?.() ?? [], lookupGroup(inst.sandboxGroup));
  if (verdict === null || verdict.code === 'not_provisioned') return; // no group: a finding of its own
  if (verdict.code === 'already_sandboxed') throw verdict;
  if (group !== null && group.members.includes(caller.name)) return;
  throw new CorralError(
    'not_permitted',
    `${caller.name} may not check Corral's status: only root and members of group ${inst.userGroup} may (${caller.name} is not a member)`,
    {
      details: { group: inst.userGroup, user: caller.name },
      remedy: `Run \`sudo corral status\`, or ask an administrator to run \`corral setup --user ${caller.name}\` so your account may use Corral (then log in again).`,
    },
  );
}

/**
 * A workspace's HOME of one identity and its bounded filesystem (runner/linux/home-image.ts),
 * for homes a session has made. Null when there is nothing to say: no home yet, or the caller is
 * not root (the images are in a root-only directory). Missing: the home has no image (made by a
 * session without limits.homeBytes or before it, or the image was deleted), so what is in it was
 * written without a bound; the next bounded session mounts a new, empty home over it. Drifted:
 * something other than its image is mounted on it, and sessions are refused.
 */
export function homeImageItem(inst: Installation, rec: AccountRecord, ws: string, realUser: string): StatusItem | null {
  if (!isRoot()) return null;
  const name = workspaceHomeName(ws);
  const home = path.join(inst.homeBase, rec.name, name);
  if (!existsSync(home)) return null;
  const image = homeImagePath(inst, rec.name, name);
  const base = { id: `home-image:${rec.name}:${ws}`, kind: 'home-image', description: `bounded HOME of ${rec.name} for ${ws} (${image})` };
  const top = topMountAt(currentMounts(), home);
  if (top !== null && !isMountOf(top, image)) {
    return {
      ...base,
      state: 'drifted',
      detail: `${top.source} (${top.fstype}) is mounted on ${home}, not its image: sessions in ${ws} are refused`,
      code: 'runner_failed',
      remedy: `Unmount it (\`sudo umount ${home}\`).`,
    };
  }
  if (!existsSync(image)) {
    return {
      ...base,
      state: 'missing',
      detail: `${home} has no image: what is in it was written without limits.homeBytes; the next session mounts a new, empty bounded home over it (the old files stay hidden under it)`,
      remedy: `To start the workspace's homes afresh: \`sudo corral setup --remove-workspace ${ws} --user ${realUser}\`, then \`${setupAgain(realUser)} --workspace ${ws}\`.`,
    };
  }
  return { ...base, state: 'ok', detail: `${statSync(image).size} bytes, ${top === null ? 'mounted at the next session' : 'mounted'}` };
}
