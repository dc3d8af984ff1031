/**
 * The Windows CI workflow (.github/workflows/windows.yml) can't run here, but its PowerShell
 * can be parsed by PowerShell itself: every `run:` block of a `shell: pwsh` or `shell:
 * powershell` step goes through [System.Management.Automation.Language.Parser]::ParseInput
 * with zero errors, and the steps the issue asks for are there, in order, after Pester and mocha.
 * Skipped (with the reason) where pwsh is not installed; scripts/prepare.sh installs it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const workflow = readFileSync(join(repo, '.github', 'workflows', 'windows.yml'), 'utf8');

interface Step {
  name: string;
  shell: string;
  run: string;
}

/** The steps' name, shell and run text (block scalars `run: |` or single lines), by indentation. */
function steps(yaml: string): Step[] {
  const lines = yaml.split('\n');
  const out: Step[] = [];
  let current: Step | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const item = /^ {6}- (?:name: (.*)|uses: .*)$/.exec(line);
    if (item) {
      current = { name: item[1] ?? '', shell: 'bash', run: '' };
      out.push(current);
      continue;
    }
    if (!current) continue;
    const shell = /^ {8}shell: (\S+)/.exec(line);
    if (shell) current.shell = shell[1]!;
    const run = /^ {8}run: (.*)$/.exec(line);
    if (run) {
      if (run[1] !== '|') current.run = run[1]!;
      else {
        const body: string[] = [];
        while (i + 1 < lines.length && (/^ {10}/.test(lines[i + 1]!) || lines[i + 1]!.trim() === '')) body.push(lines[++i]!.slice(10));
        current.run = body.join('\n');
      }
    }
  }
  return out;
}

function pwshAvailable(): boolean {
  try {
    execFileSync('pwsh', ['-NoProfile', '-Command', '$PSVersionTable.PSVersion.Major'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('Windows CI workflow (.github/workflows/windows.yml)', () => {
  const all = steps(workflow);

  it('runs the end-to-end CLI steps and the enforcement tests after Pester and mocha, then checks nothing is left', () => {
    const index = (pattern: RegExp) => all.findIndex((s) => pattern.test(s.name));
    const order = [/^Mocha/, /^Pester unit tests \(PowerShell 7\)/, /^Snapshot before/, /^corral setup, run/, /^Runner enforcement tests/, /^Nothing left/].map(index);
    assert.ok(order.every((i) => i >= 0), `steps found: ${JSON.stringify(order)}`);
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'in this order');
    const e2e = all[order[3]!]!.run;
    for (const needle of ['setup --yes', 'run -- cmd /c echo ok', "echo x> $outside", 'echo x> .git\\config', 'Get-NetIPAddress', 'teardown --yes']) {
      assert.ok(e2e.includes(needle), `the end-to-end step runs ${needle}`);
    }
  });

  it('parses every PowerShell step with PowerShell itself (zero errors)', function () {
    if (!pwshAvailable()) {
      console.log('      skipped: pwsh is not installed (scripts/prepare.sh installs it)');
      this.skip();
    }
    const scripts = all.filter((s) => s.shell === 'pwsh' || s.shell === 'powershell');
    assert.ok(scripts.length >= 6);
    const check =
      '$in = [Console]::In.ReadToEnd() | ConvertFrom-Json; foreach ($s in $in) { $t = $null; $e = $null; ' +
      '[void][System.Management.Automation.Language.Parser]::ParseInput($s.run, [ref]$t, [ref]$e); ' +
      'foreach ($x in $e) { "$($s.name): $($x.Message) at line $($x.Extent.StartLineNumber)" } }';
    const problems = execFileSync('pwsh', ['-NoProfile', '-NonInteractive', '-Command', check], { input: JSON.stringify(scripts), encoding: 'utf8' }).trim();
    assert.equal(problems, '');
  });
});
