/**
 * Validation of one config layer with the zod schema (schema.ts), errors naming the file, the
 * JSON path, what was expected and what was found (config_invalid). Shared by the client
 * (orchestrator/policy/load.ts) and the runner, which loads this module lazily, only when a
 * machine config file exists (zod is ~95 modules).
 */
import type { z } from 'zod';
import { CorralError } from '../errors.js';
import { LayerSchema, type Layer } from './schema.js';

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

