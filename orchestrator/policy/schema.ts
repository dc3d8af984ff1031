/** Moved to core/policy/schema.ts (the runner validates the machine layer with it). */
export * from '../../core/policy/schema.js';
