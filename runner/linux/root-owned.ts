/** Moved to os/linux/root-owned.ts (the CLI checks the machine config with it too). */
export { firstUnsafeAncestor } from '../../os/linux/root-owned.js';
