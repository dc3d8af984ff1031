/**
 * Command-line flags that are policy (the highest layer). Validated with the same schema
 * as config files, so a bad value names the flag the same way a bad file names its key.
 */
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { Layer } from '../policy/schema.js';

export interface PolicyFlags {
  workspace?: string | string[];
  network?: string;
  /** --allow-host (repeatable): the allowlist network's `allow`. */
  allowHost?: string[];
  /** --deny-host (repeatable): added to `network.deny`. */
  denyHost?: string[];
  /** --publish PORT (repeatable): the `publish` key. */
  publish?: string[];
}

/** --publish values as ports; a value that is not a whole number is a usage error (the schema checks the range). */
export function parsePublish(values: string[]): number[] {
  return values.map((v) => {
    if (!/^[0-9]{1,5}$/.test(v)) throw new CorralError('usage', `--publish takes a port number (1024-65535); found ${JSON.stringify(v)}`);
    return Number(v);
  });
}

/** Build the flags layer; unknown values are left for schema validation to report. */
export function flagsLayer(flags: PolicyFlags, cwd: string): Layer {
  const layer: Record<string, unknown> = {};
  if (flags.network !== undefined) layer.network = flags.network;
  if (flags.allowHost !== undefined || flags.denyHost !== undefined) {
    if (flags.network !== undefined) throw new CorralError('usage', '--network and --allow-host/--deny-host are exclusive: --allow-host means the allowlist network');
    layer.network = { ...(flags.allowHost !== undefined ? { allow: flags.allowHost } : {}), ...(flags.denyHost !== undefined ? { deny: flags.denyHost } : {}) };
  }
  if (flags.publish !== undefined) layer.publish = parsePublish(flags.publish);
  if (flags.workspace !== undefined) {
    const list = Array.isArray(flags.workspace) ? flags.workspace : [flags.workspace];
    if (list.some((w) => w === '')) throw new CorralError('usage', '--workspace needs a directory');
    layer.workspaces = list.map((w) => path.resolve(cwd, w));
  }
  return layer as Layer;
}

/** commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The workspace a command concerns: the first --workspace, else the current directory. */
export function firstWorkspace(flags: PolicyFlags, cwd: string): string {
  const first = Array.isArray(flags.workspace) ? flags.workspace[0] : flags.workspace;
  return path.resolve(cwd, first ?? cwd);
}
