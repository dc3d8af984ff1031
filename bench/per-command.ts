/**
 * Per-command cost, side by side in one run: plain spawn, bubblewrap, sandbox-runtime
 * (srt), `node -e 0`, and Corral warm (one session, `session.exec`) and cold (`corral run`,
 * the whole CLI). Two commands: `/bin/true`, and a shell that writes into the workspace.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { measure, type Timing } from './stats.js';
import { run } from './spawn-util.js';
import { SRT_VERSION, type Tool } from './tools.js';

/** Row names of the per-command sections (also used by the targets). */
export const ROW = {
  plain: 'plain child_process.spawn',
  warm: 'Corral warm (session.exec)',
  cold: 'Corral cold (corral run, whole CLI)',
  bwrap: 'bwrap --unshare-net',
  srt: `srt -c (sandbox-runtime ${SRT_VERSION})`,
  node: 'node -e 0',
} as const;

export interface Row {
  section: string;
  name: string;
  timing: Timing | null;
  /** Why a row has no timing, or a remark. */
  note?: string;
}

export interface BenchCommand {
  label: string;
  argv: string[];
  /** The same command as one shell string (for srt -c). */
  shell: string;
}

export function benchCommands(ws: string): BenchCommand[] {
  return [
    { label: '/bin/true', argv: ['/bin/true'], shell: '/bin/true' },
    // Every runner starts in the workspace, so a relative path is the workspace file.
    { label: `sh -c 'echo x > f' (cwd: workspace)`, argv: ['sh', '-c', 'echo x > f'], shell: `echo x > ${JSON.stringify(path.join(ws, 'f'))}` },
  ];
}

/** A way to run one command once, for the harness to time. */
export type Runner = (cmd: BenchCommand) => Promise<unknown>;

async function expectZero(p: Promise<number>, what: string): Promise<void> {
  const code = await p;
  if (code !== 0) throw new Error(`${what} exited ${code}`);
}

export function plainSpawn(ws: string): Runner {
  return (cmd) => expectZero(run(cmd.argv[0]!, cmd.argv.slice(1), { cwd: ws }), `plain ${cmd.label}`);
}

export function bubblewrap(tool: Tool, ws: string): Runner | string {
  if (!tool.ok) return tool.reason;
  const base = ['--ro-bind', '/', '/', '--bind', ws, ws, '--dev', '/dev', '--proc', '/proc', '--unshare-net', '--chdir', ws, '--'];
  return (cmd) => expectZero(run(tool.path, [...base, ...cmd.argv], { cwd: ws }), `bwrap ${cmd.label}`);
}

export function sandboxRuntime(tool: Tool, ws: string): Runner | string {
  if (!tool.ok) return tool.reason;
  const settings = path.join(ws, '..', 'srt-settings.json');
  writeFileSync(settings, JSON.stringify({ filesystem: { denyRead: [], allowWrite: [ws], denyWrite: [] }, network: { allowedDomains: [], deniedDomains: [] } }));
  return (cmd) => expectZero(run(tool.path, ['--settings', settings, '-c', cmd.shell], { cwd: ws }), `srt ${cmd.label}`);
}

export function nodeStartup(): Runner {
  return () => expectZero(run(process.execPath, ['-e', '0']), 'node -e 0');
}

export async function timeRow(section: string, name: string, runner: Runner | string, cmd: BenchCommand, runs: number): Promise<Row> {
  if (typeof runner === 'string') return { section, name, timing: null, note: runner };
  try {
    return { section, name, timing: await measure(() => runner(cmd), runs) };
  } catch (err) {
    return { section, name, timing: null, note: `failed: ${(err as Error).message}` };
  }
}
