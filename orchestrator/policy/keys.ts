/** Moved to core/policy/keys.ts. */
export * from '../../core/policy/keys.js';
