/**
 * One UAC prompt for a whole plan: the plan file / result file protocol, with a fake
 * PowerShell host standing in for the launcher and the elevated host (elevated-host.ps1).
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ElevatedPlanRun,
  elevatedArguments,
  launcherScript,
  type PlanFile,
} from '../../orchestrator/provision/windows/elevation.js';
import { buildInvocation, type ModuleCall } from '../../orchestrator/provision/windows/command.js';
import { quoteWindowsArgument, splitWindowsCommandLine } from '../../orchestrator/provision/windows/win-args.js';
import { isCorralError } from '../../core/errors.js';
import { FakePowerShellHost, fail, ok } from './windows-fake-host.js';

const EXE = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
const HOST_SCRIPT = "C:\\Program Files\\nodejs\\node_modules\\corral\\orchestrator\\provision\\windows\\elevated-host.ps1";
const LAUNCHER_SHAPE = /^& \{ \$ErrorActionPreference = 'Stop'; \$request = \[System\.Text\.Encoding\]::UTF8\.GetString\(\[System\.Convert\]::FromBase64String\('[A-Za-z0-9+/]*={0,2}'\)\) \| ConvertFrom-Json; try \{ /;

const CALLS: ModuleCall[] = [
  { operation: 'New-CorralIdentity', args: { User: "o'brien $(x)", Kind: 'offline' } },
  { operation: 'Grant-CorralWorkspace', args: { Workspace: 'C:\\ws\\`$x"\n\'@', Protected: ['.git'] } },
  { operation: 'New-CorralFirewallRule', args: { User: 'jürgen 😀' } },
];

interface Decoded {
  filePath: string;
  argv: string[];
  planFile: string;
  resultFile: string;
}

function decodeLauncher(script: string): Decoded {
  const b64 = /FromBase64String\('([^']*)'\)/.exec(script)![1]!;
  const request = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { filePath: string; arguments: string };
  const argv = splitWindowsCommandLine(request.arguments);
  const planFile = argv[argv.indexOf('-PlanFile') + 1]!;
  const resultFile = argv[argv.indexOf('-ResultFile') + 1]!;
  return { filePath: request.filePath, argv, planFile, resultFile };
}

/** Emulates elevated-host.ps1: answers each step with `answer(step)`, streaming one line per step. */
async function emulateElevatedHost(
  d: Decoded,
  answer: (operation: string, index: number) => string,
  between?: (index: number) => Promise<void>,
): Promise<{ plan: PlanFile; exitCode: number }> {
  const plan = JSON.parse(await readFile(d.planFile, 'utf8')) as PlanFile;
  await appendFile(d.resultFile, `${JSON.stringify({ event: 'started', pid: 4242, steps: plan.steps.length })}\n`);
  for (const step of plan.steps) {
    const output = answer(step.operation, step.index);
    const line = `${JSON.stringify({ event: 'step', index: step.index, output })}\n`;
    // Write in two pieces, split inside a multi-byte character, to exercise the tail's buffering.
    const bytes = Buffer.from(line, 'utf8');
    const cut = Math.max(1, bytes.indexOf(0xf0) + 1 || Math.floor(bytes.length / 2));
    await appendFile(d.resultFile, bytes.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 5));
    await appendFile(d.resultFile, bytes.subarray(cut));
    if (!output.includes('"ok":true')) {
      await appendFile(d.resultFile, `${JSON.stringify({ event: 'stopped', index: step.index })}\n`);
      return { plan, exitCode: 1 };
    }
    if (between) await between(step.index);
  }
  await appendFile(d.resultFile, `${JSON.stringify({ event: 'done' })}\n`);
  return { plan, exitCode: 0 };
}

describe('windows elevation: one UAC prompt for the whole plan', () => {
  let tempRoot: string;

  beforeEach(async () => {
    // A temp root whose own name is hostile: it reaches the launcher only inside base64.
    tempRoot = await mkdtemp(path.join(tmpdir(), "ctest-elev o'b $(x) `n-"));
  });

  afterEach(async () => {
    await rm(tempRoot, { recursive: true, force: true });
  });

  const config = (host: FakePowerShellHost) => ({
    host,
    powershellExe: EXE,
    hostScript: HOST_SCRIPT,
    tempRoot,
    installation: 'ctestelev',
    pollIntervalMs: 1,
  });

  it('writes the plan, starts one elevated PowerShell, streams each step result as it arrives', async () => {
    let decoded: Decoded | null = null;
    let planSeen: PlanFile | null = null;
    let planMode = 0;
    let releaseStep0!: () => void;
    const step0Consumed = new Promise<void>((r) => (releaseStep0 = r));
    let launcherReturned = false;
    const host = new FakePowerShellHost(async (script) => {
      decoded = decodeLauncher(script);
      planMode = (await stat(decoded.planFile)).mode & 0o777;
      const { plan, exitCode } = await emulateElevatedHost(
        decoded,
        (op, i) => ok({ op, i }),
        async (i) => {
          if (i === 0) await step0Consumed; // the elevated process is still running here
        },
      );
      planSeen = plan;
      launcherReturned = true;
      return ok({ exitCode });
    });
    const run = new ElevatedPlanRun(CALLS, config(host));

    assert.deepEqual(await run.result(0), { op: 'New-CorralIdentity', i: 0 });
    assert.equal(launcherReturned, false, 'step 0 settled while the elevated process was still running');
    releaseStep0();
    assert.deepEqual(await run.result(1), { op: 'Grant-CorralWorkspace', i: 1 });
    assert.deepEqual(await run.result(2), { op: 'New-CorralFirewallRule', i: 2 });
    await run.finished();

    // One launcher invocation — one UAC prompt — for three steps.
    assert.equal(host.scripts.length, 1);
    const script = host.scripts[0]!;
    assert.match(script, LAUNCHER_SHAPE);
    assert.doesNotMatch(script, /o'b|\$\(x\)|brien|jürgen|😀/);
    const d = decoded as unknown as Decoded;
    assert.equal(script, launcherScript(EXE, elevatedArguments(HOST_SCRIPT, d.planFile, d.resultFile)));
    assert.equal(d.filePath, EXE);
    assert.deepEqual(d.argv, [
      '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass',
      '-File', HOST_SCRIPT, '-PlanFile', d.planFile, '-ResultFile', d.resultFile,
    ]);
    assert.equal(path.dirname(d.planFile), path.dirname(d.resultFile));
    assert.equal(path.dirname(path.dirname(d.planFile)), tempRoot);
    assert.equal(planMode, 0o600);

    // The plan holds exactly what Invoke-CorralOperation receives for each step.
    const plan = planSeen as unknown as PlanFile;
    assert.equal(plan.version, 1);
    assert.equal(plan.installation, 'ctestelev');
    assert.deepEqual(
      plan.steps.map((s) => `Invoke-CorralOperation -Operation '${s.operation}' -ArgumentsBase64 '${s.argumentsBase64}'`),
      CALLS.map(buildInvocation),
    );
    assert.deepEqual(plan.steps.map((s) => s.index), [0, 1, 2]);

    // The private plan directory is gone afterwards.
    assert.deepEqual(await readdir(tempRoot), []);
  });

  it('stops at a failed step: its ErrorId is mapped, later steps report they never ran', async () => {
    const host = new FakePowerShellHost(async (script) => {
      const { exitCode } = await emulateElevatedHost(decodeLauncher(script), (op, i) =>
        i === 1 ? fail('CorralWorkspaceNotOwned', 'C:\\ws is owned by someone else') : ok(op),
      );
      return ok({ exitCode });
    });
    const run = new ElevatedPlanRun(CALLS, config(host));
    assert.equal(await run.result(0), 'New-CorralIdentity');
    await assert.rejects(run.result(1), (err) => isCorralError(err, 'workspace_not_owned') && err.details.errorId === 'CorralWorkspaceNotOwned');
    await assert.rejects(run.result(2), (err) => isCorralError(err, 'step_failed') && /did not run: Grant-CorralWorkspace failed/.test(err.message));
    assert.equal(host.scripts.length, 1);
  });

  it('a cancelled UAC prompt is elevation_cancelled (exit 4) for every step', async () => {
    const host = new FakePowerShellHost(() => fail('CorralElevationCancelled', 'The operation was canceled by the user'));
    const run = new ElevatedPlanRun(CALLS, config(host));
    for (let i = 0; i < CALLS.length; i++) {
      await assert.rejects(run.result(i), (err) => isCorralError(err, 'elevation_cancelled') && err.exitCode === 4);
    }
    assert.equal(host.scripts.length, 1);
    await run.finished();
    assert.deepEqual(await readdir(tempRoot), []);
  });

  it('a plan the elevated host refuses (fatal line) fails every step with the mapped code', async () => {
    const host = new FakePowerShellHost(async (script) => {
      const d = decodeLauncher(script);
      await appendFile(d.resultFile, `${JSON.stringify({ event: 'fatal', error: { errorId: 'CorralOperationUnknown', message: 'not exported' } })}\n`);
      return ok({ exitCode: 2 });
    });
    const run = new ElevatedPlanRun(CALLS, config(host));
    await assert.rejects(run.result(0), (err) => isCorralError(err, 'internal') && /not exported/.test(err.message));
    await assert.rejects(run.result(2), (err) => isCorralError(err, 'internal'));
  });

  it('an elevated process that dies without a word fails the steps with its exit code', async () => {
    const host = new FakePowerShellHost(() => ok({ exitCode: -1073741510 }));
    const run = new ElevatedPlanRun(CALLS, config(host));
    await assert.rejects(run.result(0), (err) => isCorralError(err, 'step_failed') && /-1073741510/.test(err.message));
  });

  it('a resumed run starts the elevated plan at the first step asked for', async () => {
    let plan: PlanFile | null = null;
    const host = new FakePowerShellHost(async (script) => {
      const r = await emulateElevatedHost(decodeLauncher(script), (op) => ok(op));
      plan = r.plan;
      return ok({ exitCode: r.exitCode });
    });
    const run = new ElevatedPlanRun(CALLS, config(host));
    assert.equal(await run.result(1), 'Grant-CorralWorkspace');
    assert.equal(await run.result(2), 'New-CorralFirewallRule');
    await run.finished();
    assert.deepEqual((plan as unknown as PlanFile).steps.map((s) => [s.index, s.operation]), [
      [1, 'Grant-CorralWorkspace'],
      [2, 'New-CorralFirewallRule'],
    ]);
    await assert.rejects(run.result(0), (err) => isCorralError(err, 'internal'));
  });
});

describe('windows elevation: the launcher and its command line', () => {
  it('is fixed text plus base64: the exact launcher for a known request', () => {
    const args = elevatedArguments('C:\\a b\\h.ps1', 'C:\\t\\plan.json', 'C:\\t\\results.jsonl');
    assert.equal(
      args,
      '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "C:\\a b\\h.ps1" -PlanFile "C:\\t\\plan.json" -ResultFile "C:\\t\\results.jsonl"',
    );
    const b64 = Buffer.from(JSON.stringify({ filePath: EXE, arguments: args }), 'utf8').toString('base64');
    assert.equal(
      launcherScript(EXE, args),
      "& { $ErrorActionPreference = 'Stop'; " +
        `$request = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String('${b64}')) | ConvertFrom-Json; ` +
        'try { $exitCode = & (Get-Module -Name Corral) { param($FilePath, $ArgumentList) Start-CorralElevatedProcess -FilePath $FilePath -ArgumentList $ArgumentList } $request.filePath $request.arguments; ' +
        '@{ ok = $true; result = @{ exitCode = $exitCode } } | ConvertTo-Json -Compress ' +
        "} catch { $cause = $_.Exception; $errorId = 'CorralStepFailed'; " +
        "while ($null -ne $cause) { if ($cause -is [System.ComponentModel.Win32Exception] -and $cause.NativeErrorCode -eq 1223) { $errorId = 'CorralElevationCancelled' }; $cause = $cause.InnerException }; " +
        '@{ ok = $false; error = @{ errorId = $errorId; message = $_.Exception.Message } } | ConvertTo-Json -Compress } }',
    );
    assert.doesNotMatch(launcherScript(EXE, args), /\n/);
  });

  it('quotes paths so CommandLineToArgvW gives them back exactly', () => {
    const paths = [
      'C:\\Users\\Jo Smith\\AppData\\Local\\Temp\\corral-elevate-x\\plan.json',
      "C:\\Users\\o'brien $(x) `n;&|\\plan.json",
      'C:\\dir with trailing backslash\\',
      'C:\\dir\\\\double\\\\',
      '\\\\server\\share\\ünïcödé 😀\\f',
    ];
    for (const p of paths) {
      assert.deepEqual(splitWindowsCommandLine(`-X ${quoteWindowsArgument(p)} -Y`), ['-X', p, '-Y']);
    }
  });

  it('refuses values it cannot quote safely', () => {
    for (const bad of ['', 'C:\\a"b', 'C:\\a\u0000b', 'C:\\a\nb', 'C:\\a\rb']) {
      assert.throws(() => quoteWindowsArgument(bad), (err) => isCorralError(err, 'internal'));
    }
  });
});
