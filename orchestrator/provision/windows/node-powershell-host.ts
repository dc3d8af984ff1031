/**
 * The real PowerShellHost: one persistent Windows PowerShell process through
 * node-powershell (v5: `new PowerShell(options)`, `invoke(text)` → InvocationResult with
 * stdout/stderr Buffers, `dispose()`). Windows-only at run time; node-powershell is
 * imported lazily so that nothing of it loads on Linux.
 *
 * The session imports the bundled module by absolute path; the path reaches PowerShell as
 * data, in the environment variable CORRAL_MODULE_MANIFEST set on the child process, never
 * in script text. The installation name travels the same way (CORRAL_INSTANCE).
 *
 * Everything sent is ASCII (fixed text + base64), so stdin encoding cannot garble it;
 * output is switched to UTF-8 so non-ASCII names and paths in results come back intact.
 */
import { CorralError } from '../../../core/errors.js';
import type { PowerShellHost } from './host.js';

export const MODULE_MANIFEST_ENV = 'CORRAL_MODULE_MANIFEST';

/** Fixed session set-up text (one line: node-powershell feeds `-Command -`). */
export const SESSION_INIT_SCRIPT = [
  "$ErrorActionPreference = 'Stop';",
  "$ProgressPreference = 'SilentlyContinue';",
  '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false;',
  `Import-Module -Name $env:${MODULE_MANIFEST_ENV} -Force -DisableNameChecking;`,
  "'{\"ok\":true,\"result\":null}'",
].join(' ');

export interface NodePowerShellOptions {
  /** Absolute path of ps-module/Corral/Corral.psd1. */
  moduleManifest: string;
  /** Installation name handed to the module (CORRAL_INSTANCE). */
  installation: string;
  /** powershell.exe by absolute path. */
  executable: string;
}

interface InvocationResultLike {
  stdout?: Buffer;
  stderr?: Buffer;
}
interface ShellLike {
  invoke(command: string): Promise<InvocationResultLike>;
  dispose(): Promise<void>;
}

export async function startNodePowerShellHost(options: NodePowerShellOptions): Promise<PowerShellHost> {
  let PowerShell: new (opts: Record<string, unknown>) => ShellLike;
  try {
    const mod = (await import('node-powershell')) as unknown as {
      PowerShell?: typeof PowerShell;
      default?: { PowerShell?: typeof PowerShell };
    };
    PowerShell = (mod.PowerShell ?? mod.default?.PowerShell)!;
  } catch (err) {
    throw new CorralError('tool_missing', `the node-powershell package could not be loaded: ${(err as Error).message}`, { cause: err });
  }
  let shell: ShellLike;
  try {
    shell = new PowerShell({
      executable: options.executable,
      throwOnInvocationError: false,
      executableOptions: {
        '-NoLogo': true,
        '-NoProfile': true,
        '-NonInteractive': true,
        '-ExecutionPolicy': 'Bypass',
      },
      spawnOptions: {
        windowsHide: true,
        env: { ...process.env, [MODULE_MANIFEST_ENV]: options.moduleManifest, CORRAL_INSTANCE: options.installation },
      },
    });
  } catch (err) {
    throw new CorralError('tool_missing', `Windows PowerShell (${options.executable}) could not be started: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const host = new NodePowerShellHost(shell);
  const out = await host.invoke(SESSION_INIT_SCRIPT).catch((err: unknown) => {
    // child-shell's ProcessError (with originalError): the process itself did not start or died.
    const processFailed = typeof err === 'object' && err !== null && 'originalError' in err;
    const what = processFailed
      ? `Windows PowerShell (${options.executable}) could not be started`
      : `the Corral module could not be imported from ${options.moduleManifest}`;
    throw new CorralError('tool_missing', `${what}: ${(err as Error).message.replace(/\s+/g, ' ').trim()}`, {
      cause: err,
      details: { moduleManifest: options.moduleManifest, executable: options.executable },
    });
  });
  if (!out.includes('{"ok":true')) {
    await host.close();
    throw new CorralError('tool_missing', `the Corral module could not be imported from ${options.moduleManifest}: ${out.slice(0, 500)}`);
  }
  return host;
}

class NodePowerShellHost implements PowerShellHost {
  constructor(private readonly shell: ShellLike) {}

  async invoke(script: string): Promise<string> {
    const result = await this.shell.invoke(script);
    const stdout = result.stdout?.toString('utf8') ?? '';
    const stderr = result.stderr?.toString('utf8') ?? '';
    if (stdout.trim() === '' && stderr.trim() !== '') {
      throw new CorralError('step_failed', `PowerShell reported: ${stderr.trim().slice(0, 2000)}`);
    }
    return stdout;
  }

  async close(): Promise<void> {
    await this.shell.dispose();
  }
}
