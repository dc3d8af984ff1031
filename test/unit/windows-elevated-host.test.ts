/**
 * Static checks of orchestrator/provision/windows/elevated-host.ps1 (no PowerShell here):
 * it parses without error nodes (tree-sitter-powershell), validates with the same patterns
 * as the TypeScript side, and passes the step's operation and arguments only as data.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { BASE64_PATTERN, OPERATION_PATTERN } from '../../orchestrator/provision/windows/command.js';
import { bundledPaths } from '../../orchestrator/provision/windows/paths.js';

const require = createRequire(import.meta.url);

describe('windows elevated host script (static)', () => {
  const file = bundledPaths().elevatedHost;
  const text = readFileSync(file, 'utf8');

  it('parses without error or missing nodes', async () => {
    await Parser.init();
    const language = await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    const tree = parser.parse(text);
    assert.ok(tree);
    const bad: string[] = [];
    const walk = (n: Node): void => {
      if (!n.hasError && !n.isMissing) return;
      if (n.isError || n.isMissing) bad.push(`${n.isMissing ? 'MISSING' : 'ERROR'} at ${n.startPosition.row + 1}:${n.startPosition.column + 1}`);
      for (const c of n.children) if (c) walk(c);
    };
    walk(tree.rootNode);
    parser.delete();
    assert.deepEqual(bad, []);
  });

  it('checks operation names and base64 with the same patterns as command.ts', () => {
    assert.ok(text.includes(`$operationPattern = '${OPERATION_PATTERN.source}'`));
    assert.ok(text.includes(`$base64Pattern = '${BASE64_PATTERN.source}'`));
  });

  it('runs steps only through Invoke-CorralOperation, with the values splatted as data', () => {
    assert.match(text, /\$call = @\{ Operation = \[string\]\$step\.operation; ArgumentsBase64 = \[string\]\$step\.argumentsBase64 \}/);
    assert.match(text, /Invoke-CorralOperation @call/);
    assert.doesNotMatch(text, /Invoke-Expression|\biex\b|\[scriptblock\]::Create|AddScript|-EncodedCommand/i);
    // The module comes from beside this script, never from the plan file.
    assert.match(text, /Join-Path -Path \$PSScriptRoot -ChildPath '\.\.\\\.\.\\\.\.\\ps-module\\Corral\\Corral\.psd1'/);
  });
});
