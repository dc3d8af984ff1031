/**
 * The shell of a session (policy `shell`): the program `corral sh` runs its arguments with.
 * `sh` is `/bin/sh`; `login` is the real user's login shell from the passwd database. Linux
 * only: a Windows session has no POSIX shell to name, so it has none (null).
 *
 * Not a security decision: the shell runs inside the session like any other command, confined
 * the same whichever it is. What is checked is only that a `login` choice names something that
 * runs commands — an account whose login shell is nologin or false would otherwise answer every
 * command with "This account is currently not available" and exit 1, as if the command had.
 */
import path from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { PlatformName } from '../../core/installation.js';
import type { ShellChoice } from '../../core/vocabulary.js';

/** The default shell (POSIX: the one `sh -c` means). */
export const DEFAULT_SHELL = '/bin/sh';

/** Login shells that refuse to run commands. */
const NOT_A_SHELL = new Set(['nologin', 'false']);

export function sessionShell(platform: PlatformName, choice: ShellChoice, loginShell: string | undefined, from: readonly string[]): string | null {
  if (platform !== 'linux') return null;
  if (choice === 'sh') return DEFAULT_SHELL;
  const where = `shell is "login" (from ${from.join(' + ')})`;
  if (loginShell === undefined || loginShell === '' || !path.isAbsolute(loginShell)) {
    throw new CorralError('config_invalid', `${where}, but your account has no login shell in the passwd database (found ${JSON.stringify(loginShell ?? '')}); set shell to "sh"`, {
      details: { key: 'shell', found: loginShell ?? null },
    });
  }
  if (NOT_A_SHELL.has(path.basename(loginShell))) {
    throw new CorralError('config_invalid', `${where}, but your login shell ${loginShell} runs no commands; set shell to "sh", or change your login shell (chsh)`, {
      details: { key: 'shell', found: loginShell },
    });
  }
  return loginShell;
}
