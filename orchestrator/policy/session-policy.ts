/**
 * The policy for a session (openSession), loaded so that the common case costs no schema
 * library: when there is no config file at all and no flag, the policy is the built-in
 * defaults (our own code, nothing to validate) and zod is never loaded; otherwise this is
 * exactly loadPolicy (load.ts), which validates every layer. zod is ~95 modules, 40–100 ms of
 * start-up on the machines measured — about half of `corral run`'s own start-up.
 *
 * "No config file" means ENOENT for each of them, the one case load.ts also treats as no
 * layer; any other outcome (present, unreadable, ENOTDIR) goes through load.ts and its errors.
 */
import { statSync } from 'node:fs';
import { layerFiles, type PolicyInputs } from './files.js';
import { resolvePolicy, type ResolvedPolicy } from './resolve.js';

function absent(file: string): boolean {
  try {
    statSync(file);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

export async function loadSessionPolicy(inputs: PolicyInputs): Promise<ResolvedPolicy> {
  const noFlags = inputs.flags === undefined || Object.keys(inputs.flags).length === 0;
  if (noFlags && layerFiles(inputs).every(({ file }) => absent(file))) {
    const { installation, home, cwd } = inputs;
    const workspace = inputs.workspace ?? cwd;
    // The same layers loadPolicy would resolve here: none from files, and the (empty) flags layer.
    const flags = inputs.flags === undefined ? [] : [{ kind: 'flags' as const, label: 'command line', data: {} }];
    return resolvePolicy(flags, { platform: installation.platform, installation: installation.name, home, cwd, workspace });
  }
  const { loadPolicy } = await import('./load.js');
  return loadPolicy(inputs);
}
