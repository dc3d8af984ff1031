// Lint: strict, type-aware rules that catch what the compiler does not —
// floating promises and non-exhaustive switches above all.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', '.wine-smoke/**', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/await-thenable': 'error',
      'no-console': 'off',
    },
  },
  // One-way imports (issue 14): the shared floor (core/) imports nothing of ours but itself; the OS
  // libraries (os/) import only the floor; the runner never imports the orchestrator. The
  // orchestrator may import any of them.
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/orchestrator/**', '**/runner/**', '**/os/**', '**/bench/**', '**/test/**'], message: 'core/ is the shared floor: it imports only core/.' }] }] },
  },
  {
    files: ['os/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/orchestrator/**', '**/runner/**', '**/bench/**', '**/test/**'], message: 'os/ holds OS bindings shared by the bridge and the runner: it imports only core/ and os/.' }] }] },
  },
  {
    files: ['runner/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/orchestrator/**', '**/bench/**', '**/test/**'], message: 'runner/ never imports orchestrator/ (runs as root or the identity; the client is untrusted): use core/ or os/.' }] }] },
  },
);
