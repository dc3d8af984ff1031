/**
 * The exact text that reaches PowerShell for a module call, for hostile values: the script
 * must hold no user value at all, and decoding its base64 must give the values back intact.
 */
import assert from 'node:assert/strict';
import {
  BASE64_PATTERN,
  buildInvocation,
  decodeArguments,
  encodeArguments,
  invocationText,
  parseOperationOutput,
  type OperationArgs,
} from '../../orchestrator/provision/windows/command.js';
import { OPERATIONS } from '../../orchestrator/provision/windows/operations.js';
import { isCorralError } from '../../core/errors.js';
import { bundledPaths } from '../../orchestrator/provision/windows/paths.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const SCRIPT_SHAPE = /^Invoke-CorralOperation -Operation '[A-Z][a-z]+-Corral[A-Za-z]*' -ArgumentsBase64 '[A-Za-z0-9+/]*={0,2}'$/;

const longPath = `C:\\${'sub\\'.repeat(73)}x.txt`; // 300 characters
const HOSTILE: Record<string, string> = {
  singleQuote: "C:\\Users\\o'brien\\ws",
  doubledQuote: "C:\\ws\\''; Remove-Item C:\\ -Recurse; '",
  doubleQuote: 'C:\\ws\\"$(whoami)"',
  subexpression: 'C:\\ws\\$(Stop-Computer -Force)',
  variable: 'C:\\ws\\$env:USERPROFILE\\${x}',
  backtick: 'C:\\ws\\`n`0`$x',
  semicolon: 'C:\\ws; Invoke-Expression evil',
  newline: 'C:\\ws\r\nRemove-Item -Recurse C:\\\n',
  hereString: "C:\\ws\n'@\nRemove-Item C:\\\n@'\n\"@",
  unicode: 'C:\\Users\\Jürgen Ñandú\\作業\\проект',
  astral: 'C:\\ws\\😀𝄞\u{10FFFF}',
  smartQuotes: 'C:\\ws\\\u2018\u2019\u201C\u201D', // PowerShell treats these as quotes too
  pipeAndRedirect: 'C:\\ws | Out-File C:\\x > C:\\y 2>&1',
  hash: 'C:\\ws\\#<comment>#',
  long: longPath,
};

describe('windows command: the exact script text of a module call', () => {
  it('the 300-character path fixture really is 300 characters', () => {
    assert.equal(longPath.length, 300);
  });

  for (const [label, value] of Object.entries(HOSTILE)) {
    it(`passes ${label} as data: exact text, no value in it, intact after decoding`, () => {
      const args: OperationArgs = { Workspace: value, Protected: [value, '.git'], User: value };
      const expectedBase64 = Buffer.from(JSON.stringify(args), 'utf8').toString('base64');
      const script = buildInvocation({ operation: 'Grant-CorralWorkspace', args });
      assert.equal(script, `Invoke-CorralOperation -Operation 'Grant-CorralWorkspace' -ArgumentsBase64 '${expectedBase64}'`);
      assert.match(script, SCRIPT_SHAPE);
      // Every character of the script is plain ASCII from a tiny alphabet: no quote of any kind
      // besides the four fixed ones, no $, no backtick, no newline, no NUL.
      assert.equal((script.match(/'/g) ?? []).length, 4);
      assert.doesNotMatch(script, /[$`"\r\n\u0000;|&<>#@{}()\u2018\u2019\u201C\u201D]/);
      assert.doesNotMatch(script, /[^\x20-\x7e]/);
      const b64 = /-ArgumentsBase64 '([^']*)'$/.exec(script)![1]!;
      assert.deepEqual(decodeArguments(b64), args);
      assert.equal(Buffer.from(b64, 'base64').toString('utf8'), JSON.stringify(args));
    });
  }

  it('keeps lone surrogates (valid in NTFS names) through the JSON escape', () => {
    const value = 'C:\\ws\\\uD800x\uDFFF';
    const b64 = encodeArguments('Grant-CorralWorkspace', { Workspace: value });
    assert.equal(decodeArguments(b64).Workspace, value);
  });

  it('refuses NUL in any string, nested too (Win32 would truncate at it)', () => {
    for (const args of [{ Workspace: 'C:\\ws\u0000\\..' }, { Protected: ['a', 'b\u0000'] }, { Map: { 'k\u0000': 'v' } }] as OperationArgs[]) {
      assert.throws(
        () => buildInvocation({ operation: 'Grant-CorralWorkspace', args }),
        (err) => isCorralError(err, 'usage') && /NUL/.test(err.message),
      );
    }
  });

  it('refuses operations outside the allowlist or the Verb-CorralNoun shape', () => {
    for (const op of ["Get-CorralState'; evil; '", 'Remove-Item', 'Get-CorralNope', 'get-corralstate', 'Get-CorralState ']) {
      assert.throws(
        () => buildInvocation({ operation: op as 'Get-CorralState', args: {} }),
        (err) => isCorralError(err, 'internal'),
      );
    }
  });

  it('refuses parameter names that are not PowerShell identifiers', () => {
    for (const name of ['workspace', 'Work space', "X'", 'A-B', '']) {
      assert.throws(
        () => buildInvocation({ operation: 'Get-CorralState', args: { [name]: 1 } }),
        (err) => isCorralError(err, 'internal'),
      );
    }
  });

  it('re-validates base64 when given pre-encoded arguments', () => {
    assert.throws(() => invocationText('Get-CorralState', "e30=' ; evil"), (err) => isCorralError(err, 'internal'));
    assert.equal(invocationText('Get-CorralState', 'e30='), "Invoke-CorralOperation -Operation 'Get-CorralState' -ArgumentsBase64 'e30='");
  });

  it('every allowlisted operation matches the name pattern', () => {
    for (const op of OPERATIONS) assert.match(buildInvocation({ operation: op, args: {} }), SCRIPT_SHAPE);
    assert.match('', BASE64_PATTERN);
  });
});

describe('windows command: parsing the module result line', () => {
  it('returns result of an ok line, ignoring host noise around it', () => {
    const out = 'WARNING: something\r\n{"ok":true,"result":{"path":"C:\\\\ws\\\\\\u00fc"}}\r\n\r\n';
    assert.deepEqual(parseOperationOutput('Get-CorralState', out), { path: 'C:\\ws\\ü' });
  });

  it('maps an ok:false line to the CorralError of its ErrorId, keeping the id in details', () => {
    const out = '{"ok":false,"error":{"errorId":"CorralFirewallIneffective","message":"profile Public is off"}}';
    assert.throws(
      () => parseOperationOutput('New-CorralFirewallRule', out),
      (err) =>
        isCorralError(err, 'firewall_ineffective') &&
        err.details.errorId === 'CorralFirewallIneffective' &&
        err.details.operation === 'New-CorralFirewallRule',
    );
  });

  it('treats zero or several result lines as a contract break (internal)', () => {
    for (const out of ['', 'hello', '{"ok":true}\n{"ok":true}', '{"result":1}']) {
      assert.throws(() => parseOperationOutput('Get-CorralState', out), (err) => isCorralError(err, 'internal'));
    }
  });
});

describe('windows command: the allowlist matches the module', () => {
  const paths = bundledPaths();
  const psd1 = readFileSync(paths.moduleManifest, 'utf8');
  const invoke = readFileSync(path.join(path.dirname(paths.moduleManifest), 'Public', 'Invoke-CorralOperation.ps1'), 'utf8');
  const quoted = (text: string) => new Set([...text.matchAll(/'([A-Z][a-z]+-Corral[A-Za-z]*)'/g)].map((m) => m[1]!));

  it('every operation the orchestrator calls is exported by Corral.psd1', () => {
    const exportBlock = /FunctionsToExport\s*=\s*@\(([^)]*)\)/.exec(psd1);
    assert.ok(exportBlock, 'Corral.psd1 has a FunctionsToExport list');
    const exported = quoted(exportBlock[1]!);
    assert.ok(exported.has('Invoke-CorralOperation'));
    assert.deepEqual(OPERATIONS.filter((op) => !exported.has(op)), []);
  });

  it("every operation is in Invoke-CorralOperation's own allowlist", () => {
    const allowedBlock = /\$allowed\s*=\s*@\(([\s\S]*?)\)/.exec(invoke);
    assert.ok(allowedBlock, 'Invoke-CorralOperation.ps1 has an $allowed list');
    const allowed = quoted(allowedBlock[1]!);
    assert.deepEqual(OPERATIONS.filter((op) => !allowed.has(op)), []);
  });

  it('the module validates the same base64 alphabet', () => {
    assert.ok(invoke.includes(`'${BASE64_PATTERN.source}'`), 'Invoke-CorralOperation checks the same pattern');
  });
});
