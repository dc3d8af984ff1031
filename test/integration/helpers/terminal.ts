/**
 * A real pseudo-terminal for tests, made by util-linux `script`: the command runs as a session
 * leader with the pty as its controlling terminal, keystrokes written here are typed into the pty
 * (so Ctrl-C, Ctrl-Z reach the foreground process group through the line discipline, as on a
 * person's terminal), and the screen is everything the pty showed, with its \r\n line ends.
 */
import { spawn } from 'node:child_process';

export const ENTER = '\r';
export const CTRL_C = '\x03';
export const CTRL_Z = '\x1a';

/** A terminal session: screen text so far, keystrokes in, exit code out. */
export class Terminal {
  private screen = '';
  private readonly waiters: { text: string | RegExp; from: number; resolve: () => void }[] = [];
  readonly exited: Promise<number | null>;
  private readonly child;

  constructor(command: string, env: Record<string, string>, cwd: string) {
    // `script` gives the command a pty; its stdin is typed into that pty.
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd,
      env: { ...clean(process.env), TERM: 'xterm', COLUMNS: '160', LINES: '50', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const onData = (c: Buffer) => {
      this.screen += c.toString('utf8');
      for (const w of [...this.waiters]) {
        if (this.shows(w.text, w.from)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }

  text(): string {
    return this.screen;
  }

  /** Where the screen ends now: pass it to waitFor to wait for text that appears after it. */
  mark(): number {
    return this.screen.length;
  }

  /** Whether `text` (a string, or a pattern) is on the screen at or after offset `from`. */
  private shows(text: string | RegExp, from: number): boolean {
    return typeof text === 'string' ? this.screen.includes(text, from) : text.test(this.screen.slice(from));
  }

  /**
   * Wait until `text` is on the screen (at or after offset `from`). The terminal echoes what is
   * typed, so to wait for a command's output pass a pattern the typed line cannot match.
   */
  waitFor(text: string | RegExp, ms = 30_000, from = 0): Promise<void> {
    if (this.shows(text, from)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(typeof text === 'string' ? JSON.stringify(text) : text)}; screen:\n${this.screen}`)), ms);
      this.waiters.push({
        text,
        from,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** CI=true would make the CLI print plain lines; a person's terminal has no CI variable. */
function clean(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'CI') out[k] = v;
  return out;
}

