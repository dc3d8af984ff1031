// Writes dist/package-digests.json: the SHA-256 of every file Windows setup hands to elevated
// code or installs as the runner (orchestrator/provision/windows/package-digests.ts says why).
// Run by `npm run build`, after tsc.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDigestList, DIGEST_LIST_FILE } from '../dist/orchestrator/provision/windows/package-digests.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const list = buildDigestList(root);
writeFileSync(join(root, DIGEST_LIST_FILE), `${JSON.stringify(list, null, 1)}\n`);
