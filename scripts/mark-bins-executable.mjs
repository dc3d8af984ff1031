// Marks package.json's `bin` files executable in dist/ (tsc writes them 0644), so a checkout's
// `dist/orchestrator/cli/sh-main.js` can be named as a shell (SHELL=…, exec's `shell`) as the
// installed `corral-sh` can. Run by `npm run build`, after tsc.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const file of Object.values(bin)) {
  const full = join(root, file);
  // Adds execute wherever read is granted (0644 → 0755), as npm does on install.
  const mode = statSync(full).mode & 0o777;
  chmodSync(full, mode | ((mode & 0o444) >> 2));
}
