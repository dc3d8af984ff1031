/**
 * The node-powershell host's failure path, for real on any OS: a PowerShell that cannot be
 * started is tool_missing naming the executable (not a crash, not a hang). The session
 * init text is fixed: the module path reaches PowerShell through the environment.
 */
import assert from 'node:assert/strict';
import { SESSION_INIT_SCRIPT, startNodePowerShellHost } from '../../orchestrator/provision/windows/node-powershell-host.js';
import { isCorralError } from '../../core/errors.js';

describe('windows node-powershell host', () => {
  it('a PowerShell executable that does not exist is tool_missing naming it', async () => {
    await assert.rejects(
      startNodePowerShellHost({ moduleManifest: 'C:\\x\\Corral.psd1', installation: 'ctesthost', executable: '/nonexistent/ctest-powershell.exe' }),
      (err) => isCorralError(err, 'tool_missing') && /ctest-powershell\.exe\) could not be started/.test(err.message),
    );
  });

  it('imports the module by a path held in the environment, never in the text', () => {
    assert.equal(
      SESSION_INIT_SCRIPT,
      "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'; " +
        '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false; ' +
        "Import-Module -Name $env:CORRAL_MODULE_MANIFEST -Force -DisableNameChecking; '{\"ok\":true,\"result\":null}'",
    );
  });
});
