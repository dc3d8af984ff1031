/**
 * Reading config layers from disk and validating them. Every error names the file, the
 * JSON path, what was expected and what was found (exit 2). A missing file is no layer;
 * an unreadable or invalid one is an error, never "use the defaults".
 */
import { readFileSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { layerFiles, type PolicyInputs } from './files.js';
import { validateLayer } from '../../core/policy/validate-layer.js';
import { readMachineFile } from '../../core/policy/machine-file.js';
import { linuxMachineFileIo, linuxMachineFileTrust } from '../../os/linux/machine-file.js';

export { validateLayer };
import { resolvePolicy, type LayerKind, type LayerSource, type ResolveContext, type ResolvedPolicy } from './resolve.js';

/** Read one layer file; null when it does not exist. */
export function readLayerFile(kind: LayerKind, file: string): LayerSource | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CorralError('config_invalid', `${file}: cannot be read: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CorralError('config_invalid', `${file}: $: expected JSON, found a syntax error: ${(err as Error).message}`, {
      cause: err,
      details: { file, path: '$' },
    });
  }
  return { kind, label: file, data: validateLayer(data, file) };
}

/**
 * The machine layer, refused (config_invalid) when anyone but root could change it — the
 * runner refuses the same file (runner/linux/machine-config.ts), so the CLI says so first
 * instead of accepting it silently.
 */
function readMachineLayer(file: string, inputs: PolicyInputs): LayerSource | null {
  const trust = inputs.machineFileTrust ?? (inputs.installation.platform === 'linux' && process.platform === 'linux' ? linuxMachineFileTrust : null);
  if (trust === null) return readLayerFile('machine', file);
  const data = readMachineFile(file, linuxMachineFileIo, trust);
  return data === null ? null : { kind: 'machine', label: file, data: validateLayer(data, file) };
}

export type { PolicyInputs } from './files.js';
export { userConfigFile, workspaceConfigFile } from './files.js';

/** Load machine, user and workspace layers plus flags, and resolve them. */
export function loadPolicy(inputs: PolicyInputs): ResolvedPolicy {
  const { installation, home, cwd } = inputs;
  const workspace = inputs.workspace ?? cwd;
  const layers: LayerSource[] = [];
  const push = (l: LayerSource | null) => {
    if (l !== null) layers.push(l);
  };
  for (const { kind, file } of layerFiles(inputs)) push(kind === 'machine' ? readMachineLayer(file, inputs) : readLayerFile(kind, file));
  if (inputs.flags !== undefined) push({ kind: 'flags', label: 'command line', data: validateLayer(inputs.flags, 'command line') });
  const ctx: ResolveContext = {
    platform: installation.platform,
    ...(installation.pathPlatform !== undefined ? { pathPlatform: installation.pathPlatform } : {}),
    installation: installation.name,
    home,
    cwd,
    workspace,
  };
  return resolvePolicy(layers, ctx);
}
