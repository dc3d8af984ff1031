/** Shared fixtures of the policy unit tests: a resolution context, a layer, and the CorralError a call throws. */
import assert from 'node:assert/strict';
import { CorralError } from '../../core/errors.js';
import { posix } from 'node:path';
import type { LayerSource, ResolveContext } from '../../orchestrator/policy/resolve.js';
import type { FloorContext } from '../../core/policy/floor.js';
import { posixPaths } from '../../core/paths.js';

export const ctx: ResolveContext = { platform: 'linux', installation: 'corral', home: '/home/alice', cwd: '/home/alice/proj', workspace: '/home/alice/proj' };

/** The floor's context for alice on Linux (the runner's, with canonical() the identity and 1 GiB of default memory). */
export const floorCtx: FloorContext = {
  platform: 'linux',
  installation: 'corral',
  home: '/home/alice',
  canonical: (p) => p,
  within: posixPaths.within,
  join: (home, rest) => posix.resolve(home, rest),
  isAbsolute: posix.isAbsolute,
  defaultMemoryBytes: 1 << 30,
};

export const layer = (kind: LayerSource['kind'], data: LayerSource['data'], label = `${kind}.json`): LayerSource => ({ kind, label, data });

/** The CorralError `fn` throws (fails the test when it throws anything else, or nothing). */
export function errorOf(fn: () => unknown): CorralError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CorralError, `expected a CorralError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}
