/**
 * Static checks of orchestrator/provision/windows/elevated-host.ps1: it validates with the same
 * patterns as the TypeScript side, and passes the step's operation and arguments only as data.
 * PowerShell's own parser checks the file in Pester/Module (npm test runs it on pwsh), and the
 * simulated Windows runs it end to end (test/windows-sim).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE64_PATTERN, OPERATION_PATTERN } from '../../orchestrator/provision/windows/command.js';
import { bundledPaths } from '../../orchestrator/provision/windows/paths.js';

describe('windows elevated host script (static)', () => {
  const file = bundledPaths().elevatedHost;
  const text = readFileSync(file, 'utf8');

  it('checks operation names and base64 with the same patterns as command.ts', () => {
    assert.ok(text.includes(`$operationPattern = '${OPERATION_PATTERN.source}'`));
    assert.ok(text.includes(`$base64Pattern = '${BASE64_PATTERN.source}'`));
  });

  it('runs steps only through Invoke-CorralOperation, with the values splatted as data', () => {
    assert.match(text, /\$call = @\{ Operation = \[string\]\$step\.operation; ArgumentsBase64 = \[string\]\$step\.argumentsBase64 \}/);
    assert.match(text, /Invoke-CorralOperation @call/);
    assert.doesNotMatch(text, /Invoke-Expression|\biex\b|\[scriptblock\]::Create|AddScript|-EncodedCommand/i);
    // The module comes from beside this script, never from the plan file.
    // (Three folders up from its own folder, one part at a time so it holds on any PowerShell 7.)
    assert.match(text, /\$packageRoot = \[System\.IO\.Path\]::GetFullPath\(\(Join-Path -Path \(Join-Path -Path \(Join-Path -Path \$PSScriptRoot -ChildPath '\.\.'\) -ChildPath '\.\.'\) -ChildPath '\.\.'\)\)/);
    assert.match(text, /\$manifest = Join-Path -Path \(Join-Path -Path \(Join-Path -Path \$packageRoot -ChildPath 'ps-module'\) -ChildPath 'Corral'\) -ChildPath 'Corral\.psd1'/);
    // Imported by path without -Force (a fresh process: -Force would only undo a test's simulation).
    assert.match(text, /\$module = Import-Module -Name \$manifest -PassThru \| Select-Object -First 1/);
  });
});
