/** The command `corral sh` runs (no commander here: the fast client path loads it). */
import { CorralError } from '../../core/errors.js';
import type { Session } from '../session/types.js';

/** The command the session runs: its shell, then our arguments unchanged. */
export function shellCommand(session: Pick<Session, 'shell'>, args: readonly string[]): string[] {
  if (session.shell === null) throw new CorralError('platform_unsupported', 'corral sh needs a POSIX shell in the session; this platform has none (use corral run)');
  return [session.shell, ...args];
}
