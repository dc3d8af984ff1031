/** Moved to core/policy/env.ts (the runner applies the same filter). */
export * from '../../core/policy/env.js';
