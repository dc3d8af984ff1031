/**
 * Reading config layers from disk and validating them. Every error names the file, the
 * JSON path, what was expected and what was found (exit 2). A missing file is no layer;
 * an unreadable or invalid one is an error, never "use the defaults".
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { CorralError } from '../../core/errors.js';
import { layerFiles, type PolicyInputs } from './files.js';
import { LayerSchema, type Layer } from './schema.js';
import { resolvePolicy, type LayerKind, type LayerSource, type ResolveContext, type ResolvedPolicy } from './resolve.js';

function jsonPath(p: readonly PropertyKey[]): string {
  let out = '$';
  for (const seg of p) out += typeof seg === 'number' ? `[${seg}]` : `.${String(seg)}`;
  return out;
}

function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeIssue(issue: z.core.$ZodIssue): { expected: string; found: string } {
  const found = describeFound((issue as { input?: unknown }).input);
  switch (issue.code) {
    case 'invalid_type':
      return { expected: issue.expected, found };
    case 'invalid_value':
      return { expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`, found };
    case 'invalid_union': {
      // `network`: a string or an object; say what each form expected.
      const forms = issue.errors.map((branch) => {
        const expected = branch[0] === undefined ? 'something else' : describeIssue(branch[0]).expected;
        return expected === 'object' ? '{ "allow": [...], "deny": [...] }' : expected;
      });
      return { expected: forms.join(' or '), found };
    }
    case 'unrecognized_keys':
      return { expected: 'no other keys', found: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` };
    default:
      return { expected: issue.message, found };
  }
}

/** Validate parsed JSON as a layer; `label` is the file name used in messages. */
export function validateLayer(data: unknown, label: string): Layer {
  const result = LayerSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const { expected, found } = describeIssue(issue);
  const at = jsonPath(issue.path);
  throw new CorralError('config_invalid', `${label}: ${at}: expected ${expected}, found ${found}`, {
    details: { file: label, path: at, expected, found, issues: result.error.issues.length },
  });
}

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
  for (const { kind, file } of layerFiles(inputs)) push(readLayerFile(kind, file));
  if (inputs.flags !== undefined) push({ kind: 'flags', label: 'command line', data: validateLayer(inputs.flags, 'command line') });
  const ctx: ResolveContext = { platform: installation.platform, installation: installation.name, home, cwd, workspace };
  return resolvePolicy(layers, ctx);
}
