/**
 * The package built here carries koffi's win32-x64 binary and its build-time digest list names
 * it (issue 12, item 5k): the fleet package built on Linux must hold what its Windows runner
 * loads, and Windows setup stages only listed files (package-digests.ts).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KOFFI_WIN32_TREE, readDigestList } from '../../orchestrator/provision/windows/package-digests.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const binary = `${KOFFI_WIN32_TREE}/win32_x64/koffi.node`;

describe("package: koffi's win32-x64 binary (5k)", () => {
  before(function () {
    if (!existsSync(join(repo, KOFFI_WIN32_TREE))) this.skip(); // not prepared: run scripts/prepare.sh (CI always does)
  });

  it('is an x64 PE image of the same version as koffi, listed in dist/package-digests.json with its SHA-256', () => {
    const bytes = readFileSync(join(repo, ...binary.split('/')));
    assert.equal(bytes.toString('latin1', 0, 2), 'MZ');
    const pe = bytes.readUInt32LE(0x3c);
    assert.equal(bytes.toString('latin1', pe, pe + 4), 'PE\0\0');
    assert.equal(bytes.readUInt16LE(pe + 4), 0x8664, 'IMAGE_FILE_MACHINE_AMD64');
    const version = (file: string) => (JSON.parse(readFileSync(join(repo, file), 'utf8')) as { version: string }).version;
    assert.equal(version(`${KOFFI_WIN32_TREE}/package.json`), version('node_modules/koffi/package.json'));
    const list = readDigestList(repo);
    assert.equal(list.files[binary], createHash('sha256').update(bytes).digest('hex'));
    assert.equal(Object.keys(list.files).some((n) => n.startsWith('node_modules/@koromix/koffi-linux')), false);
  });
});
