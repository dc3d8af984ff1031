/**
 * A home per identity *and* workspace: `HOME` of a session is `<identity home>/ws-<id>`, where
 * `<id>` is derived from the workspace's canonical path. Threat: with one home per identity,
 * what a session in one workspace leaves there runs in the next session of *another*
 * workspace — a site-packages `.pth` (Python runs it at start-up), `~/.bashrc`, `~/.gitconfig`
 * (`core.fsmonitor`, aliases), `~/.npmrc` (`script-shell`), `~/.cargo/config.toml`. With a
 * home per workspace nothing of that carries across workspaces; within one workspace it does
 * (the session could write the same code into the workspace itself).
 *
 * The identity home itself stays read-only to sessions (Landlock grants only the workspace's
 * home) and is hidden in the view (session-view.ts), so a session does not read what another
 * workspace's sessions keep in theirs either. Caches are per workspace too (a second download
 * per workspace; offline sessions fetch nothing anyway). Teardown removes the identity home
 * with everything in it.
 *
 * Created in the root phase, through the descriptor of the identity home (opened without
 * following a link, checked to belong to the identity), so that an entry planted there by an
 * older session (a link to somewhere else) is refused, not followed.
 */
import { closeSync, constants, fstatSync, lchownSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { workspaceHomeName } from '../../core/workspace-id.js';

/** The directory name of a workspace's home (core/workspace-id.ts, shared with the Windows runner). */
export { workspaceHomeName };

export type WorkspaceHome = { ok: true; path: string } | { ok: false; why: string };

/**
 * Make (or find) `<identityHome>/ws-<id>`, a directory owned by the identity, mode 0700.
 * `identityHome` must already have been checked to lie directly under the home base.
 */
export function prepareWorkspaceHome(identityHome: string, workspace: string, identity: { uid: number; gid: number }): WorkspaceHome {
  let fd: number;
  try {
    fd = openSync(identityHome, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    return { ok: false, why: `${identityHome} cannot be opened as a directory (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  try {
    if (fstatSync(fd).uid !== identity.uid) return { ok: false, why: `${identityHome} does not belong to the identity` };
    const name = workspaceHomeName(workspace);
    const at = `/proc/self/fd/${fd}/${name}`;
    try {
      mkdirSync(at, { mode: 0o700 });
      lchownSync(at, identity.uid, identity.gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = lstatSync(at);
    if (st.isSymbolicLink() || !st.isDirectory() || st.uid !== identity.uid) {
      return { ok: false, why: `${identityHome}/${name} is not a directory of the identity (a link, a file or another owner): remove it` };
    }
    return { ok: true, path: `${identityHome}/${name}` };
  } finally {
    closeSync(fd);
  }
}
