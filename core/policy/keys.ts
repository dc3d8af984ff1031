/**
 * The policy's key names and enumerations, without the schema library: modules that only need
 * these names (policy resolution, `corral policy show`) import them from here, so that loading
 * them does not load zod. schema.ts builds the schema from the same constants.
 */
export { GIT_ACCESS, MODES, NETWORKS, SHELLS } from '../vocabulary.js';

export const POLICY_KEYS = ['mode', 'workspaces', 'writableRoots', 'readRoots', 'protected', 'denyRead', 'network', 'loopback', 'publish', 'env', 'limits', 'shell', 'git', 'session'] as const;
export type PolicyKey = (typeof POLICY_KEYS)[number];
