/**
 * The module's Pester suite, run for real on PowerShell 7 (pwsh, installed by
 * scripts/prepare.sh): every Public and Private function's tests, the module QA checks
 * (Pester/Module), the module against the simulated Windows, and install.ps1 end to end on
 * it in its own pwsh process (Pester/Sim; alone: npm run test:windows-sim). Fails when any Pester test
 * fails; prints Pester's summary and every skipped test with its reason (the Windows-only
 * ones). Windows CI runs the same files on Windows PowerShell 5.1 and 7.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface PesterSummary {
  passed: number;
  failed: number;
  skipped: number;
  total: number;
  durationSeconds: number;
  edition: string;
  version: string;
  failures: { name: string; message: string }[];
  skips: { name: string; reason: string }[];
}

/** Fewer than this many passing would mean whole files stopped being discovered. */
const MIN_PASSED = 150;

describe('Pester suite of ps-module/Corral on pwsh', function () {
  this.timeout(15 * 60 * 1000);

  it(`passes with 0 failed and at least ${MIN_PASSED} passed`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corral-pester-'));
    try {
      const resultFile = path.join(dir, 'result.json');
      const run = spawnSync('pwsh', ['-NoProfile', '-NonInteractive', '-File', path.join(ROOT, 'Pester', 'Invoke-CorralPester.ps1'), '-ResultFile', resultFile, '-Output', 'None'], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (run.error) {
        assert.fail(`pwsh could not be started (${run.error.message}): run scripts/prepare.sh, which installs PowerShell 7 and Pester 5`);
      }
      let summary: PesterSummary;
      try {
        summary = JSON.parse(readFileSync(resultFile, 'utf8')) as PesterSummary;
      } catch {
        assert.fail(`Pester wrote no summary (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
      }
      console.log(
        `      Pester ${summary.version} (${summary.edition}): ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped of ${summary.total} in ${summary.durationSeconds} s`,
      );
      for (const s of summary.skips) console.log(`        skipped: ${s.name} (${s.reason})`);
      for (const f of summary.failures) console.log(`        FAILED: ${f.name}: ${f.message}`);
      assert.equal(summary.failed, 0, `Pester failures:\n${summary.failures.map((f) => `${f.name}: ${f.message}`).join('\n')}`);
      assert.ok(summary.passed >= MIN_PASSED, `only ${summary.passed} Pester tests passed; expected at least ${MIN_PASSED}`);
      assert.equal(run.status, 0, run.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
