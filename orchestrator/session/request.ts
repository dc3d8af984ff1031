/** The session request (core/protocol.ts) from a resolved policy: canonical paths, nothing else. */
import { realpathSync, statSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { networkIdentity } from '../../core/vocabulary.js';
import type { ResolvedPolicy } from '../policy/resolve.js';
import { PROTOCOL_VERSION, type SessionRequest } from '../../core/protocol.js';

/** A directory's canonical path; workspace_invalid naming `what` when it is not one. */
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

export function buildSessionRequest(realUser: string, workspace: string, resolved: ResolvedPolicy): SessionRequest {
  const { policy } = resolved;
  return {
    version: PROTOCOL_VERSION,
    realUser,
    network: networkIdentity(policy.network),
    ...(typeof policy.network === 'string' ? {} : { allowlist: { allow: [...policy.network.allow], deny: [...policy.network.deny] } }),
    mode: policy.mode,
    workspace,
    writableRoots: policy.writableRoots.map((root) => canonicalDirectory(root, 'writable root')),
    readRoots: [...policy.readRoots],
    protected: [...policy.protected],
    denyRead: [...policy.denyRead],
    loopback: policy.loopback,
    limits: { ...policy.limits },
    policyDigest: resolved.digest,
  };
}
