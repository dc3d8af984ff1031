/**
 * Child program of the idmap integration tests, started as
 * `unshare --mount --propagation private node mount-child.js <base64 JSON script>` so that
 * every mount it makes lives and dies with its own throwaway mount namespace.
 *
 * It runs the script's steps in order and prints one JSON document with each result.
 * Steps are data (argv arrays), never shell text.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { idmapWorkspace, tryIdmapDetached, type IdmapMapping } from '../../../runner/linux/idmap.js';
import { probeWorkspaceAccess } from '../../../runner/linux/idmap-probe.js';

export type Step =
  | { op: 'run'; argv: string[] }
  | { op: 'idmap'; path: string; mapping: IdmapMapping }
  | { op: 'trial'; path: string; mapping: IdmapMapping }
  | { op: 'probe'; path: string; mapping: IdmapMapping }
  | { op: 'mounts' };

export type StepResult =
  | { op: 'run'; status: number | null; stdout: string; stderr: string }
  | { op: 'idmap' | 'trial' | 'probe'; ok: boolean; value?: unknown; error?: { code?: string; message: string } }
  | { op: 'mounts'; mountinfo: string };

function runStep(step: Step): StepResult {
  switch (step.op) {
    case 'run': {
      const r = spawnSync(step.argv[0]!, step.argv.slice(1), { encoding: 'utf8' });
      return { op: 'run', status: r.status, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : '') };
    }
    case 'mounts':
      return { op: 'mounts', mountinfo: readFileSync('/proc/self/mountinfo', 'utf8') };
    case 'idmap':
    case 'trial':
    case 'probe':
      try {
        const value =
          step.op === 'idmap'
            ? idmapWorkspace(step.path, step.mapping)
            : step.op === 'trial'
              ? tryIdmapDetached(step.path, step.mapping)
              : probeWorkspaceAccess(step.path, step.mapping);
        return { op: step.op, ok: true, value };
      } catch (err) {
        return { op: step.op, ok: false, error: { code: (err as { code?: string }).code, message: (err as Error).message } };
      }
  }
}

const steps = JSON.parse(Buffer.from(process.argv[2] ?? '', 'base64').toString('utf8')) as Step[];
process.stdout.write(JSON.stringify(steps.map(runStep)));
