/**
 * Static checks of the PowerShell side (ps-module/Corral, install.ps1, Pester/) that run on
 * Linux, where no PowerShell exists. Windows CI (.github/workflows/windows.yml) runs the
 * module for real (Pester unit tests on 5.1 and 7, Integration tests elevated).
 *
 *  - every .ps1/.psm1/.psd1 parses without ERROR or MISSING nodes (tree-sitter-powershell);
 *  - no "$name:" in a double-quoted string (PowerShell reads it as a scope/drive-qualified
 *    variable and refuses to parse the file; the grammar accepts it);
 *  - FunctionsToExport equals the Public/*.ps1 basenames; each Public and Private file defines
 *    exactly one function, named after the file; nothing runs at import;
 *  - every public verb is approved; public functions that change state declare
 *    SupportsShouldProcess; every public function has comment-based help with .SYNOPSIS,
 *    .DESCRIPTION, .EXAMPLE and one .PARAMETER per parameter;
 *  - the ErrorIds used are exactly the documented ones; Invoke-CorralOperation's allowlist is
 *    exported; every public and private function has a Pester file in the mirrored folder.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Node } from 'web-tree-sitter';
import { descendants, parsePowerShell, syntaxProblems } from './powershell-parser.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MODULE = join(ROOT, 'ps-module', 'Corral');

/**
 * Approved verbs: the output of `Get-Verb` in PowerShell 7.4 (learn.microsoft.com, "Approved
 * Verbs for PowerShell Commands"), all groups.
 */
const APPROVED_VERBS = new Set([
  // Common
  'Add', 'Clear', 'Close', 'Copy', 'Enter', 'Exit', 'Find', 'Format', 'Get', 'Hide', 'Join', 'Lock', 'Move', 'New',
  'Open', 'Optimize', 'Pop', 'Push', 'Redo', 'Remove', 'Rename', 'Reset', 'Resize', 'Search', 'Select', 'Set', 'Show',
  'Skip', 'Split', 'Step', 'Switch', 'Undo', 'Unlock', 'Watch',
  // Communications
  'Connect', 'Disconnect', 'Read', 'Receive', 'Send', 'Write',
  // Data
  'Backup', 'Checkpoint', 'Compare', 'Compress', 'Convert', 'ConvertFrom', 'ConvertTo', 'Dismount', 'Edit', 'Expand',
  'Export', 'Group', 'Import', 'Initialize', 'Limit', 'Merge', 'Mount', 'Out', 'Publish', 'Restore', 'Save', 'Sync',
  'Unpublish', 'Update',
  // Diagnostic
  'Debug', 'Measure', 'Ping', 'Repair', 'Resolve', 'Test', 'Trace',
  // Lifecycle
  'Approve', 'Assert', 'Build', 'Complete', 'Confirm', 'Deny', 'Deploy', 'Disable', 'Enable', 'Install', 'Invoke',
  'Register', 'Request', 'Restart', 'Resume', 'Start', 'Stop', 'Submit', 'Suspend', 'Uninstall', 'Unregister', 'Wait',
  // Security
  'Block', 'Grant', 'Protect', 'Revoke', 'Unblock', 'Unprotect',
  // Other
  'Use',
]);

/** Verbs whose public functions change the machine and so must support -WhatIf/-Confirm. */
const STATE_CHANGING_VERBS = new Set([
  'New', 'Set', 'Remove', 'Add', 'Install', 'Uninstall', 'Grant', 'Revoke', 'Update', 'Protect', 'Save', 'Invoke',
  'Register', 'Unregister', 'Enable', 'Disable', 'Clear', 'Reset', 'Initialize', 'Write', 'Move', 'Rename', 'Copy',
  'Restore', 'Publish', 'Unpublish', 'Start', 'Stop', 'Restart', 'Block', 'Unblock', 'Unprotect', 'Import', 'Export',
]);

/**
 * The module's ErrorIds (stable; orchestrator/provision/windows/error-map.ts maps them). The
 * first eleven are the contract with the orchestrator; CorralArgumentsInvalid (bad base64,
 * JSON or parameter name reaching Invoke-CorralOperation) was added by the module.
 */
const ERROR_IDS = [
  'CorralNotElevated', 'CorralToolMissing', 'CorralConfigInvalid', 'CorralWorkspaceInvalid', 'CorralWorkspaceNotOwned',
  'CorralFirewallIneffective', 'CorralUserExists', 'CorralNotProvisioned', 'CorralStepFailed', 'CorralStateCorrupt',
  'CorralOperationUnknown', 'CorralArgumentsInvalid',
];

/**
 * Constructs tree-sitter-powershell 0.26 rejects although PowerShell accepts them:
 * file (relative to the repo) → reason. Keep it short; empty today.
 */
const PARSE_ALLOWLIST: Record<string, string> = {};

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ps1|psm1|psd1)$/i.test(name)) out.push(full);
  }
  return out;
}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

const scriptFiles = [...walk(join(ROOT, 'ps-module')), join(ROOT, 'install.ps1'), ...walk(join(ROOT, 'Pester'))];
const publicFiles = readdirSync(join(MODULE, 'Public')).filter((f) => f.endsWith('.ps1')).sort();
const privateFiles = readdirSync(join(MODULE, 'Private')).filter((f) => f.endsWith('.ps1')).sort();
const publicNames = publicFiles.map((f) => basename(f, '.ps1'));

function manifestExports(): string[] {
  const text = read(join(MODULE, 'Corral.psd1'));
  const block = /FunctionsToExport\s*=\s*@\(([\s\S]*?)\)/.exec(text);
  assert.ok(block, 'Corral.psd1 has FunctionsToExport = @(...)');
  return [...block[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
}

interface FunctionInfo {
  name: string;
  node: Node;
}

async function functionsIn(path: string): Promise<{ functions: FunctionInfo[]; topLevel: Node[] }> {
  const tree = await parsePowerShell(read(path));
  const statements = tree.rootNode.namedChildren.flatMap((n) => (n.type === 'statement_list' ? n.namedChildren : [n]));
  const functions = statements
    .filter((n) => n.type === 'function_statement')
    .map((node) => ({ name: node.namedChildren.find((c) => c.type === 'function_name')?.text ?? '', node }));
  const topLevel = statements.filter((n) => n.type !== 'function_statement' && n.type !== 'comment');
  return { functions, topLevel };
}

function helpOf(fn: Node): string {
  const block = /<#([\s\S]*?)#>/.exec(fn.text);
  return block ? block[1]! : '';
}

function parametersOf(fn: Node): string[] {
  const paramBlock = descendants(fn, new Set(['param_block']))[0];
  if (!paramBlock) return [];
  const list = paramBlock.namedChildren.find((c) => c.type === 'parameter_list');
  if (!list) return [];
  return list.namedChildren
    .filter((c) => c.type === 'script_parameter')
    .map((p) => p.namedChildren.find((c) => c.type === 'variable')?.text.replace(/^\$/, '') ?? '');
}

function cmdletBindingOf(fn: Node): string {
  const paramBlock = descendants(fn, new Set(['param_block']))[0];
  const attributes = paramBlock?.namedChildren.find((c) => c.type === 'attribute_list');
  return attributes?.namedChildren.map((a) => a.text).find((t) => /^\[CmdletBinding\b/i.test(t)) ?? '';
}

describe('PowerShell module (static checks on Linux)', () => {
  it('finds the module, install.ps1 and the Pester tests', () => {
    assert.ok(publicFiles.length >= 20, `expected the public functions, found ${publicFiles.length}`);
    assert.ok(scriptFiles.some((f) => f.endsWith('install.ps1')));
    assert.ok(scriptFiles.some((f) => f.endsWith('.Tests.ps1')), 'Pester tests exist');
  });

  it('parses every .ps1/.psm1/.psd1 without ERROR or MISSING nodes (tree-sitter-powershell)', async () => {
    const failures: string[] = [];
    for (const file of scriptFiles) {
      const rel = relative(ROOT, file);
      if (PARSE_ALLOWLIST[rel] !== undefined) continue;
      const tree = await parsePowerShell(read(file));
      for (const p of syntaxProblems(tree.rootNode)) failures.push(`${rel}:${p.line}:${p.column} ${p.kind} ${JSON.stringify(p.text)}`);
    }
    assert.deepEqual(failures, []);
  });

  it('sees a real syntax error as one (the parser check can fail)', async () => {
    const tree = await parsePowerShell('function Get-X {\n  if ($a -eq ) { "x" \n');
    assert.ok(syntaxProblems(tree.rootNode).length > 0);
  });

  it('has no "$name:" in double-quoted strings (a PowerShell parse error the grammar accepts)', async () => {
    const bad: string[] = [];
    const trap = /(?<!`)\$[A-Za-z_][A-Za-z0-9_]*:(?![A-Za-z0-9_{\\])/g;
    for (const file of scriptFiles) {
      const tree = await parsePowerShell(read(file));
      for (const s of descendants(tree.rootNode, new Set(['expandable_string_literal', 'expandable_here_string_literal']))) {
        for (const m of s.text.matchAll(trap)) bad.push(`${relative(ROOT, file)}:${s.startPosition.row + 1} ${m[0]}`);
      }
    }
    assert.deepEqual(bad, [], 'write ${name}: instead');
  });

  it('exports exactly the Public/*.ps1 functions (FunctionsToExport)', () => {
    assert.deepEqual(manifestExports(), [...publicNames].sort());
    const manifest = read(join(MODULE, 'Corral.psd1'));
    assert.match(manifest, /PowerShellVersion\s*=\s*'5\.1'/);
    assert.match(manifest, /CompatiblePSEditions\s*=\s*@\('Desktop',\s*'Core'\)/);
    assert.doesNotMatch(manifest, /FunctionsToExport\s*=\s*'\*'/);
  });

  it('defines exactly one function per Public/Private file, named after it, and nothing else', async () => {
    for (const [folder, files] of [['Public', publicFiles], ['Private', privateFiles]] as const) {
      for (const file of files) {
        const { functions, topLevel } = await functionsIn(join(MODULE, folder, file));
        assert.deepEqual(functions.map((f) => f.name), [basename(file, '.ps1')], `${folder}/${file}`);
        assert.deepEqual(topLevel.map((n) => n.type), [], `${folder}/${file} runs code at import`);
      }
    }
  });

  it('uses approved verbs (Get-Verb) for every function', () => {
    for (const name of [...publicNames, ...privateFiles.map((f) => basename(f, '.ps1'))]) {
      const verb = name.split('-')[0]!;
      assert.ok(APPROVED_VERBS.has(verb), `${name}: ${verb} is not an approved verb`);
      assert.match(name, /^[A-Z][a-z]+(From|To)?-Corral[A-Za-z]*$/, name);
    }
  });

  it('declares SupportsShouldProcess on every public function whose verb changes state', async () => {
    for (const file of publicFiles) {
      const { functions } = await functionsIn(join(MODULE, 'Public', file));
      const fn = functions[0]!;
      const binding = cmdletBindingOf(fn.node);
      assert.ok(binding, `${fn.name} has [CmdletBinding()]`);
      if (STATE_CHANGING_VERBS.has(fn.name.split('-')[0]!)) {
        assert.match(binding, /SupportsShouldProcess/, `${fn.name} changes state but does not support -WhatIf/-Confirm`);
        if (/ConfirmImpact\s*=\s*'High'/.test(binding) || fn.name.startsWith('Remove-') || fn.name.startsWith('Uninstall-')) {
          assert.match(binding, /ConfirmImpact\s*=\s*'High'/, `${fn.name} is destructive: ConfirmImpact = 'High'`);
        }
        const params = parametersOf(fn.node);
        if (fn.name !== 'Invoke-CorralOperation' && fn.name !== 'Protect-CorralCredential') {
          assert.ok(params.includes('Force'), `${fn.name} has the -Force idiom`);
        }
      }
    }
  });

  it('gives every public function comment-based help: .SYNOPSIS, .DESCRIPTION, .EXAMPLE, .OUTPUTS, one .PARAMETER per parameter', async () => {
    for (const file of publicFiles) {
      const { functions } = await functionsIn(join(MODULE, 'Public', file));
      const fn = functions[0]!;
      const help = helpOf(fn.node);
      for (const keyword of ['.SYNOPSIS', '.DESCRIPTION', '.EXAMPLE', '.OUTPUTS']) {
        assert.ok(new RegExp(`^\\s*\\${keyword}\\s*$`, 'm').test(help), `${fn.name}: help lacks ${keyword}`);
      }
      const documented = [...help.matchAll(/^\s*\.PARAMETER\s+(\S+)\s*$/gm)].map((m) => m[1]!).sort();
      assert.deepEqual(documented, parametersOf(fn.node).sort(), `${fn.name}: .PARAMETER entries`);
    }
  });

  it('uses only the documented ErrorIds, and lists them the same way everywhere', () => {
    const moduleText = [...publicFiles.map((f) => join(MODULE, 'Public', f)), ...privateFiles.map((f) => join(MODULE, 'Private', f))]
      .map(read)
      .join('\n');
    const used = new Set([...moduleText.matchAll(/-ErrorId\s+'([^']+)'/g)].map((m) => m[1]!));
    for (const id of used) assert.ok(ERROR_IDS.includes(id), `undocumented ErrorId ${id}`);
    for (const id of ['CorralNotElevated', 'CorralUserExists', 'CorralFirewallIneffective', 'CorralWorkspaceNotOwned']) {
      assert.ok(used.has(id), `${id} is thrown somewhere`);
    }
    const validateSet = /\[ValidateSet\(([^)]*)\)\]\s*\[string\]\$ErrorId/.exec(read(join(MODULE, 'Private', 'New-CorralErrorRecord.ps1')));
    assert.ok(validateSet);
    assert.deepEqual([...validateSet[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort(), [...ERROR_IDS].sort());
    const known = /\$knownIds = @\(([^)]*)\)/.exec(read(join(MODULE, 'Public', 'Invoke-CorralOperation.ps1')));
    assert.ok(known);
    assert.deepEqual([...known[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort(), [...ERROR_IDS].sort());
    const install = read(join(ROOT, 'install.ps1'));
    for (const m of install.matchAll(/^\s+(Corral[A-Za-z]+)\s+=\s+\d+$/gm)) assert.ok(ERROR_IDS.includes(m[1]!), `install.ps1 maps ${m[1]}`);
  });

  it('lets Invoke-CorralOperation run only exported functions, never itself', () => {
    const text = read(join(MODULE, 'Public', 'Invoke-CorralOperation.ps1'));
    const allowed = /\$allowed = @\(([\s\S]*?)\)/.exec(text);
    assert.ok(allowed);
    const names = [...allowed[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
    assert.ok(names.length > 10);
    for (const name of names) assert.ok(publicNames.includes(name), `${name} is not exported`);
    assert.ok(!names.includes('Invoke-CorralOperation'));
    // Values are data: nothing in the module evaluates text.
    const moduleText = [...publicFiles, ...privateFiles].map((f) => read(join(MODULE, publicFiles.includes(f) ? 'Public' : 'Private', f))).join('\n');
    assert.doesNotMatch(moduleText, /Invoke-Expression|\biex\b|\.InvokeScript\(|\[scriptblock\]::Create/i);
  });

  it('has a Pester file for every public function, and Pester/Private mirrors existing private functions', () => {
    const publicTests = new Set(readdirSync(join(ROOT, 'Pester', 'Public')));
    const missing = publicFiles.map((f) => f.replace(/\.ps1$/, '.Tests.ps1')).filter((t) => !publicTests.has(t));
    assert.deepEqual(missing, [], 'Pester/Public lacks tests');
    for (const test of readdirSync(join(ROOT, 'Pester', 'Private'))) {
      assert.ok(privateFiles.includes(test.replace(/\.Tests\.ps1$/, '.ps1')), `Pester/Private/${test} names no private function`);
    }
  });

  it('install.ps1 documents its exit codes and parameters, and refuses without elevation first', async () => {
    const text = read(join(ROOT, 'install.ps1'));
    for (const code of ['0', '1', '2', '3', '4', '5', '6']) assert.match(text, new RegExp(`^\\s+${code}\\s{2,}\\S`, 'm'), `exit code ${code} documented`);
    for (const p of ['User', 'Workspace', 'Network', 'Uninstall', 'LogPath', 'NonInteractive']) {
      assert.match(text, new RegExp(`^\\.PARAMETER ${p}$`, 'm'));
      assert.match(text, new RegExp(`\\$${p}\\b`));
    }
    assert.match(text, /\[CmdletBinding\(SupportsShouldProcess\)\]/);
    const elevation = text.indexOf('IsInRole');
    assert.ok(elevation > 0 && elevation < text.indexOf('Import-Module') && elevation < text.indexOf('Start-Transcript'));
    assert.match(text, /HKLM:\\SOFTWARE\\\$title/);
  });
});
