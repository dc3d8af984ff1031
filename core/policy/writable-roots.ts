/**
 * Which directories policy lets a session write: one rule, applied by the client
 * (orchestrator/session/request.ts: `corral run` refuses early) and by the runner's floor
 * (floor.ts: the authority), so that a hand-made request gets nothing `corral run` refuses.
 *
 * A writable root (the workspace included) may not be
 * - the real user's home or an ancestor of it (`/home`, `/`): every dotfile the user's shell,
 *   git, ssh and desktop run (~/.bashrc, ~/.profile, ~/.gitconfig, ~/.ssh/authorized_keys)
 *   would be writable to sandboxed code — a way out of the sandbox at the user's next login;
 * - a top-level dot entry of the home or anything below one (~/.config, ~/.local/share,
 *   ~/.ssh, ~/.cache/x): the same persistence paths (~/.config/autostart,
 *   ~/.config/systemd/user, ~/.local/bin on PATH), and where the default denyRead secrets live;
 * - inside a denyRead path (a session would write where it may not even read).
 * A denyRead path inside a writable root is fine: it is masked in place (the view's mounts).
 * Pure; `within` carries the platform's path rules (core/paths.ts).
 */
export function writableRootProblem(
  root: string,
  policy: { home: string; denyRead: readonly string[] },
  within: (child: string, parent: string) => boolean,
): string | null {
  if (within(policy.home, root)) {
    return within(root, policy.home)
      ? `is the real user's home ${policy.home}; a session may never write it whole (name a directory inside it)`
      : `contains the real user's home ${policy.home}; a session may never write it whole`;
  }
  if (within(root, policy.home)) {
    const rest = root.slice(policy.home.length).replace(/^[/\\]+/, '');
    if (rest.startsWith('.')) {
      return `is in ${rest.split(/[/\\]/)[0]} of the real user's home, where shells, git, ssh and the desktop read their configuration; a session may not write there`;
    }
  }
  for (const hidden of policy.denyRead) {
    if (within(root, hidden)) return `is inside ${hidden}, which policy hides from sessions (denyRead)`;
  }
  return null;
}
