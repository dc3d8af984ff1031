/**
 * One UAC prompt for a whole plan: how `corral setup` / `teardown` started from an
 * unelevated terminal run their module calls elevated, never one prompt per step.
 *
 * Protocol:
 *  1. The plan — each step's operation name and base64 arguments, exactly what
 *     Invoke-CorralOperation receives — is written to `plan.json` in a fresh directory
 *     made with mkdtemp under the user's temp directory (on Windows `%LOCALAPPDATA%\Temp`,
 *     whose ACL admits only the user, SYSTEM and Administrators), next to an empty
 *     `results.jsonl`.
 *  2. The unelevated PowerShell session starts, through ShellExecute with the `runas` verb,
 *     `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File
 *     <elevated-host.ps1> -PlanFile <plan.json> -ResultFile <results.jsonl>`; this is the
 *     one UAC prompt. The launcher script is fixed text; the executable and its argument
 *     line reach it as base64 JSON, never spliced. The start itself is the module's seam
 *     Start-CorralElevatedProcess (not exported, so no plan step can name it), which the
 *     simulated Windows replaces (test/windows-sim/orchestrator-sim.test.ts). A cancelled prompt (Win32 error 1223,
 *     ERROR_CANCELLED) comes back as ErrorId CorralElevationCancelled → `elevation_cancelled`.
 *  3. elevated-host.ps1 validates every step, imports the bundled module and runs the steps
 *     in order, appending one JSON line per step (`{"event":"step","index":i,"output":…}`,
 *     where output is the module's own result line), and stops at the first failure.
 *  4. We tail results.jsonl while the elevated process runs and settle each step's
 *     promise as its line arrives, so the progress UI advances step by step.
 *
 * Threat model: the plan file is written by the real user and read by an elevated
 * process. A program running as the same user could rewrite it between the two — but such
 * a program can equally start its own UAC prompt, so UAC is not a boundary against it
 * (Microsoft's position too). What we do guarantee: the elevated host runs only operations
 * from the module's export list with base64 JSON data (no script text from the file), and
 * the elevated executable is powershell.exe by absolute path under %SystemRoot%, so no PATH
 * entry picks what runs elevated.
 */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CorralError, isCorralError } from '../../../core/errors.js';
import { encodeArguments, invocationText, parseOperationOutput, type ModuleCall } from './command.js';
import type { PowerShellHost } from './host.js';
import { quoteWindowsArgument } from './win-args.js';

export const PLAN_FILE_VERSION = 1;

export interface PlanFileStep {
  index: number;
  operation: string;
  argumentsBase64: string;
}

export interface PlanFile {
  version: typeof PLAN_FILE_VERSION;
  installation: string;
  steps: PlanFileStep[];
}

export interface ElevationConfig {
  /** The unelevated session that starts the elevated process. */
  host: PowerShellHost;
  /** Absolute path of powershell.exe (%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe). */
  powershellExe: string;
  /** Absolute path of elevated-host.ps1 in this package. */
  hostScript: string;
  /** Parent of the private plan directory (os.tmpdir()). */
  tempRoot: string;
  installation: string;
  /** How often the result file is read while the elevated process runs. */
  pollIntervalMs?: number;
}

export function planFileFor(installation: string, calls: readonly ModuleCall[]): PlanFile {
  return {
    version: PLAN_FILE_VERSION,
    installation,
    steps: calls.map((call, index) => {
      const argumentsBase64 = encodeArguments(call.operation, call.args);
      invocationText(call.operation, argumentsBase64); // validates both parts
      return { index, operation: call.operation, argumentsBase64 };
    }),
  };
}

/** The argument line of the elevated powershell.exe (paths quoted for CommandLineToArgvW). */
export function elevatedArguments(hostScript: string, planFile: string, resultFile: string): string {
  return [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-File',
    quoteWindowsArgument(hostScript),
    '-PlanFile',
    quoteWindowsArgument(planFile),
    '-ResultFile',
    quoteWindowsArgument(resultFile),
  ].join(' ');
}

/**
 * The fixed script the unelevated session runs to start the elevated process and wait for
 * it. One line (node-powershell feeds `-Command -`, where a multi-line statement would wait
 * for a blank line). Writes one result line like a module function does.
 */
export function launcherScript(filePath: string, args: string): string {
  const request = Buffer.from(JSON.stringify({ filePath, arguments: args }), 'utf8').toString('base64');
  return [
    '& {',
    "$ErrorActionPreference = 'Stop';",
    `$request = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String('${request}')) | ConvertFrom-Json;`,
    'try {',
    // The module's seam (Private/Start-CorralElevatedProcess.ps1: ShellExecute runas, wait),
    // called in the module's scope because it is not exported: no plan step can name it.
    "$exitCode = & (Get-Module -Name Corral) { param($FilePath, $ArgumentList) Start-CorralElevatedProcess -FilePath $FilePath -ArgumentList $ArgumentList } $request.filePath $request.arguments;",
    '@{ ok = $true; result = @{ exitCode = $exitCode } } | ConvertTo-Json -Compress',
    '} catch {',
    '$cause = $_.Exception; $errorId = \'CorralStepFailed\';',
    'while ($null -ne $cause) { if ($cause -is [System.ComponentModel.Win32Exception] -and $cause.NativeErrorCode -eq 1223) { $errorId = \'CorralElevationCancelled\' }; $cause = $cause.InnerException };',
    '@{ ok = $false; error = @{ errorId = $errorId; message = $_.Exception.Message } } | ConvertTo-Json -Compress',
    '} }',
  ].join(' ');
}

interface Pending {
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  settled: boolean;
}

function pending(): Pending {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Steps after a failure are never awaited by the caller; keep their rejection handled.
  promise.catch(() => undefined);
  const p: Pending = {
    promise,
    settled: false,
    resolve: (v) => {
      p.settled = true;
      resolve(v);
    },
    reject: (e) => {
      p.settled = true;
      reject(e);
    },
  };
  return p;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The module calls of one plan, run elevated together. Each step's `apply()` asks for its
 * own result; the first request starts the one elevated process for that step and every
 * later one (steps before it are taken as already done, e.g. journaled on a resumed run).
 */
export class ElevatedPlanRun {
  private run: Promise<void> | null = null;
  private firstIndex = 0;
  private readonly results: Pending[];

  constructor(
    private readonly calls: readonly ModuleCall[],
    private readonly config: ElevationConfig,
  ) {
    this.results = calls.map(() => pending());
  }

  /** Resolves once the elevated process has ended and the private plan directory is removed. */
  async finished(): Promise<void> {
    await this.run;
  }

  /** Resolves with step `index`'s module result, or rejects with its mapped error. */
  async result(index: number): Promise<unknown> {
    if (index < 0 || index >= this.calls.length) throw new CorralError('internal', `no elevated step ${index}`);
    if (this.run === null) {
      this.firstIndex = index;
      this.run = this.execute();
    } else if (index < this.firstIndex) {
      throw new CorralError('internal', `step ${index} was requested after the elevated run had started at step ${this.firstIndex}`);
    }
    return this.results[index]!.promise;
  }

  private async execute(): Promise<void> {
    const calls = this.calls.slice(this.firstIndex);
    const plan = planFileFor(this.config.installation, calls);
    plan.steps.forEach((s) => (s.index += this.firstIndex));
    const dir = await mkdtemp(path.join(this.config.tempRoot, 'corral-elevate-'));
    try {
      const planFile = path.join(dir, 'plan.json');
      const resultFile = path.join(dir, 'results.jsonl');
      await writeFile(planFile, JSON.stringify(plan), { flag: 'wx', mode: 0o600 });
      await writeFile(resultFile, '', { flag: 'wx', mode: 0o600 });
      const script = launcherScript(this.config.powershellExe, elevatedArguments(this.config.hostScript, planFile, resultFile));
      let launchDone = false;
      const launch = this.config.host.invoke(script).finally(() => {
        launchDone = true;
      });
      launch.catch(() => undefined);
      const tail = new ResultTail(resultFile, (line) => this.onLine(line));
      while (!launchDone) {
        await tail.poll();
        await sleep(this.config.pollIntervalMs ?? 100);
      }
      await tail.poll();
      let launchError: unknown = null;
      let exitCode: number | null = null;
      try {
        const out = (await launch) as string;
        const result = parseOperationOutput('elevated PowerShell', out) as { exitCode?: unknown } | null;
        exitCode = typeof result?.exitCode === 'number' ? result.exitCode : null;
      } catch (err) {
        launchError = err;
      }
      this.settleRest(launchError, exitCode);
    } catch (err) {
      this.settleRest(err, null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private fatal: CorralError | null = null;
  private failedIndex: number | null = null;

  private onLine(line: string): void {
    let record: { event?: unknown; index?: unknown; output?: unknown; error?: { errorId?: unknown; message?: unknown } };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      this.fatal ??= new CorralError('internal', `elevated PowerShell wrote an unreadable result line: ${line.slice(0, 200)}`);
      return;
    }
    switch (record.event) {
      case 'started':
      case 'done':
      case 'stopped':
        return;
      case 'step': {
        const index = record.index;
        if (typeof index !== 'number' || this.results[index] === undefined || typeof record.output !== 'string') {
          this.fatal ??= new CorralError('internal', `elevated PowerShell reported an unknown step: ${line.slice(0, 200)}`);
          return;
        }
        const slot = this.results[index]!;
        if (slot.settled) return;
        try {
          slot.resolve(parseOperationOutput(this.calls[index]!.operation, record.output));
        } catch (err) {
          this.failedIndex ??= index;
          slot.reject(err);
        }
        return;
      }
      case 'fatal': {
        const errorId = typeof record.error?.errorId === 'string' ? record.error.errorId : 'CorralStepFailed';
        const message = typeof record.error?.message === 'string' ? record.error.message : '(no message)';
        // Reuse the module's error mapping for the elevated host's own failures.
        try {
          parseOperationOutput('elevated PowerShell', JSON.stringify({ ok: false, error: { errorId, message } }));
        } catch (err) {
          this.fatal ??= isCorralError(err) ? err : new CorralError('step_failed', message);
        }
        return;
      }
      default:
        this.fatal ??= new CorralError('internal', `elevated PowerShell wrote an unknown event: ${line.slice(0, 200)}`);
    }
  }

  /** Every step still without a result gets the reason it never ran. */
  private settleRest(launchError: unknown, exitCode: number | null): void {
    for (let i = this.firstIndex; i < this.results.length; i++) {
      const slot = this.results[i]!;
      if (slot.settled) continue;
      const operation = this.calls[i]!.operation;
      if (launchError !== null) {
        slot.reject(launchError);
      } else if (this.fatal !== null) {
        slot.reject(this.fatal);
      } else if (this.failedIndex !== null) {
        slot.reject(
          new CorralError('step_failed', `${operation} did not run: ${this.calls[this.failedIndex]!.operation} failed before it`, {
            details: { operation, failedOperation: this.calls[this.failedIndex]!.operation },
          }),
        );
      } else {
        slot.reject(
          new CorralError(
            'step_failed',
            `${operation} did not run: the elevated PowerShell ended (exit code ${exitCode ?? 'unknown'}) before reaching it`,
            { details: { operation, exitCode } },
          ),
        );
      }
    }
  }
}

/** Reads a growing JSON-lines file from where it last stopped; hands over complete lines. */
class ResultTail {
  private offset = 0;
  private partial = '';
  // A multi-byte character may straddle two reads.
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {}

  async poll(): Promise<void> {
    const handle = await open(this.file, 'r');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.partial += this.decoder.write(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    const lines = this.partial.split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed !== '') this.onLine(trimmed);
    }
  }
}
