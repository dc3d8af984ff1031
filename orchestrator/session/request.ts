/** The session request (core/protocol.ts) from a resolved policy: canonical paths, nothing else. */
import { realpathSync, statSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { networkIdentity } from '../../core/vocabulary.js';
import type { ResolvedPolicy } from '../policy/resolve.js';
import { writableRootProblem } from '../../core/policy/writable-roots.js';
import { posixPaths } from '../../core/paths.js';
import { PROTOCOL_VERSION, type SessionRequest } from '../../core/protocol.js';

/** A directory's canonical path; workspace_invalid naming `what` when it is not one. */
function canonicalIfExists(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

export function canonicalDirectory(dir: string, what: string): string {
  let canonical: string;
  try {
    canonical = realpathSync(dir);
  } catch (err) {
    throw new CorralError('workspace_invalid', `${what} ${dir} does not exist or cannot be reached: ${(err as Error).message}`, {
      cause: err,
      details: { path: dir },
    });
  }
  if (!statSync(canonical).isDirectory()) {
    throw new CorralError('workspace_invalid', `${what} ${dir} is not a directory`, { details: { path: dir } });
  }
  return canonical;
}

/**
 * The request, refusing early (not_permitted) a writable root the runner's floor refuses: the
 * real user's home or an ancestor of it, or a tree holding a denyRead path (the one rule of
 * core/policy/writable-roots.ts). `home` is the real user's home (Linux; without it the check is the runner's alone).
 */
export function buildSessionRequest(
  realUser: string,
  workspace: string,
  resolved: ResolvedPolicy,
  home?: string,
  gitIdentity?: SessionRequest['gitIdentity'],
): SessionRequest {
  const { policy } = resolved;
  const writableRoots = policy.writableRoots.map((root) => canonicalDirectory(root, 'writable root'));
  if (policy.mode === 'workspace-write' && home !== undefined) {
    const denyRead = policy.denyRead.map(canonicalIfExists);
    const canonicalHome = canonicalIfExists(home);
    for (const root of [workspace, ...writableRoots]) {
      const problem = writableRootProblem(root, { home: canonicalHome, denyRead }, posixPaths.within);
      if (problem !== null) {
        throw new CorralError('not_permitted', `writable root ${root}: ${problem} (from ${resolved.sources.writableRoots.join(' + ')})`, { details: { path: root } });
      }
    }
  }
  return {
    version: PROTOCOL_VERSION,
    realUser,
    network: networkIdentity(policy.network),
    ...(typeof policy.network === 'string' ? {} : { allowlist: { allow: [...policy.network.allow], deny: [...policy.network.deny] } }),
    mode: policy.mode,
    workspace,
    writableRoots,
    readRoots: [...policy.readRoots],
    protected: [...policy.protected],
    denyRead: [...policy.denyRead],
    loopback: policy.loopback,
    ...(policy.publish.length === 0 ? {} : { publish: [...policy.publish] }),
    limits: { ...policy.limits },
    env: { allow: [...policy.env.allow], set: { ...policy.env.set } },
    ...(policy.git === 'read' ? {} : { git: policy.git }),
    ...(gitIdentity === undefined || Object.keys(gitIdentity).length === 0 ? {} : { gitIdentity }),
    policyDigest: resolved.digest,
  };
}
