/**
 * A real terminal of a given size for tests, made by tmux (on a server of its own, `-L`): keys
 * typed with send-keys go through the pane's pty and its line discipline as a person's would,
 * the screen is read back with capture-pane, and the window can be resized (the pane's program
 * gets SIGWINCH from the kernel, as from a terminal emulator).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

export const TMUX = '/usr/bin/tmux';

export function haveTmux(): boolean {
  return existsSync(TMUX);
}

export class Tmux {
  private readonly socket = `corral-test-${randomBytes(4).toString('hex')}`;

  /** `command` (one shell command line, run by tmux with sh -c) in a detached window of cols × rows. */
  constructor(command: string, cols: number, rows: number, cwd: string) {
    this.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', 't', '-x', String(cols), '-y', String(rows), '-c', cwd, command]);
    this.tmux(['set-option', '-t', 't', 'remain-on-exit', 'on']);
    this.tmux(['set-option', '-t', 't', 'history-limit', '10000']);
  }

  private tmux(args: string[]): string {
    return execFileSync(TMUX, ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Type text literally (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 't', '-l', text]);
  }

  /** Press keys by tmux name: `Enter`, `C-c`, `C-z`, `C-\\`. */
  press(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 't', ...keys]);
  }

  /** The whole pane, history included, wrapped lines joined. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 't', '-S', '-10000']);
  }

  /** The pane's terminal device (the caller's terminal, as corral sees it). */
  paneTty(): string {
    return this.tmux(['display-message', '-p', '-t', 't', '#{pane_tty}']).trim();
  }

  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-t', 't', '-x', String(cols), '-y', String(rows)]);
  }

  /** Poll the screen until `pattern` shows (after the first `after` characters), or time out with the screen. */
  async waitFor(pattern: RegExp, ms = 30_000, after = 0): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const text = this.screen();
      const m = pattern.exec(text.slice(after));
      if (m !== null) return m[0];
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** How long the screen text is now: pass to waitFor to look only at what comes after. */
  mark(): number {
    return this.screen().length;
  }

  kill(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
  }
}
