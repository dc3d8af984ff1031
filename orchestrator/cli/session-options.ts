/**
 * `corral run`'s flags as the library's SessionOptions: shared by run.ts (a fresh session in this
 * process) and the session host (session-host/host-main.ts, which opens the kept session for the
 * same flags). No commander or schema library here: the fast client path loads it.
 */
import { CorralError } from '../../core/errors.js';
import type { Network, SessionOptions } from '../session/types.js';
import { parsePublish } from './flags.js';
import type { SessionFlags } from '../session-host/key.js';

export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) throw new CorralError('usage', `--timeout takes a whole number of seconds; found ${JSON.stringify(value)}`);
  return Number(value);
}

export function parseNetwork(value: string | undefined): Network | undefined {
  if (value === undefined) return undefined;
  if (value !== 'offline' && value !== 'online') throw new CorralError('usage', `--network takes offline or online; found ${JSON.stringify(value)}`);
  return value;
}

/** The session the flags ask for (usage errors are thrown here, before any session starts). */
export function sessionOptionsFrom(flags: SessionFlags): SessionOptions {
  const timeoutSec = parseTimeout(flags.timeout);
  const network = parseNetwork(flags.network);
  const publish = flags.publish === undefined ? undefined : parsePublish(flags.publish);
  return {
    ...(flags.workspace !== undefined ? { workspace: flags.workspace } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(flags.allowHost !== undefined ? { allowHosts: flags.allowHost } : {}),
    ...(flags.denyHost !== undefined ? { denyHosts: flags.denyHost } : {}),
    ...(timeoutSec !== undefined ? { timeoutSec } : {}),
    ...(publish !== undefined ? { publish } : {}),
  };
}
