/**
 * Which directories policy lets a session write: one rule, applied by the client
 * (orchestrator/session/request.ts: `corral run` refuses early) and by the runner's floor
 * (floor.ts: the authority), so that a hand-made request gets nothing `corral run` refuses.
 *
 * A writable root may not be
 * - the real user's home or an ancestor of it (`/home`, `/`): that would make every dotfile
 *   the user's shell, git and ssh run (~/.bashrc, ~/.profile, ~/.gitconfig, ~/.ssh/…) writable
 *   to sandboxed code — a persistence path out of the sandbox;
 * - a directory holding a denyRead path (a writable ~/.config would let a session replace
 *   ~/.config/gh, hidden from it), nor one inside a denyRead path.
 * Pure; `within` carries the platform's path rules (core/paths.ts).
 */
export function writableRootProblem(
  root: string,
  policy: { home: string; denyRead: readonly string[] },
  within: (child: string, parent: string) => boolean,
): string | null {
  if (within(policy.home, root)) {
    return root === policy.home || within(root, policy.home)
      ? `is the real user's home ${policy.home}; a session may never write it whole (name a directory inside it)`
      : `contains the real user's home ${policy.home}; a session may never write it whole`;
  }
  for (const hidden of policy.denyRead) {
    if (within(hidden, root)) return `contains ${hidden}, which policy hides from sessions (denyRead)`;
    if (within(root, hidden)) return `is inside ${hidden}, which policy hides from sessions (denyRead)`;
  }
  return null;
}
