/** Shared fixtures of the policy unit tests: a resolution context, a layer, and the CorralError a call throws. */
import assert from 'node:assert/strict';
import { CorralError } from '../../core/errors.js';
import type { LayerSource, ResolveContext } from '../../orchestrator/policy/resolve.js';

export const ctx: ResolveContext = { platform: 'linux', installation: 'corral', home: '/home/alice', cwd: '/home/alice/proj', workspace: '/home/alice/proj' };

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
