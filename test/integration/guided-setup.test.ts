/**
 * The guided setup on a real terminal (root): `corral setup` without --yes, run under a
 * pseudo-terminal made by util-linux `script`, answered keystroke by keystroke as a person
 * would. Declining the plan changes nothing; accepting it provisions, with the listr2 task
 * list on screen.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { CLI, ProvisionFixture, sh } from './helpers/provision.js';

const isRoot = () => process.getuid?.() === 0;

/** A terminal session: screen text so far, keystrokes in, exit code out. */
class Terminal {
  private screen = '';
  private readonly waiters: { text: string; resolve: () => void }[] = [];
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
        if (this.screen.includes(w.text)) {
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

  waitFor(text: string, ms = 30_000): Promise<void> {
    if (this.screen.includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(text)}; screen:\n${this.screen}`)), ms);
      this.waiters.push({
        text,
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

const ENTER = '\r';

describe('guided setup on a terminal (root)', function () {
  this.timeout(180_000);
  let fx: ProvisionFixture | undefined;
  let term: Terminal | undefined;

  before(function () {
    if (!isRoot()) this.skip(); // needs root: creates users, groups, nft tables
    if (!existsSync('/usr/bin/script')) this.skip(); // needs util-linux script for a pseudo-terminal
    fx = new ProvisionFixture();
    fx.createUser();
    mkdirSync(fx.workspace);
    sh('chown', [`${fx.userName}:${fx.userName}`, fx.workspace]);
  });
  afterEach(() => term?.kill());
  after(async function () {
    await fx?.cleanup();
  });

  const start = () =>
    new Terminal(`${process.execPath} ${CLI} setup`, { CORRAL_INSTANCE: fx!.instance, SUDO_USER: fx!.userName, CORRAL_TEST_WORKSPACE_ACCESS: 'acl' }, fx!.workspace);

  async function answerQuestions(t: Terminal): Promise<void> {
    await t.waitFor('Real user the sandbox is for');
    assert.match(t.text(), new RegExp(fx!.userName), 'the real user defaults to SUDO_USER');
    t.type(ENTER);
    await t.waitFor('Workspaces to provision');
    t.type(ENTER); // default: the current directory
    await t.waitFor('Network default');
    t.type(ENTER); // offline
    await t.waitFor('Apply this plan?');
  }

  it('shows the plan with its exact commands, and changes nothing when declined', async function () {
    term = start();
    await answerQuestions(term);
    assert.match(term.text(), /useradd --system/, 'the plan shows the exact commands');
    assert.match(term.text(), new RegExp(`nft -f -`));
    term.type(`n${ENTER}`);
    const code = await term.exited;
    assert.notEqual(code, 0, 'declining is not success');
    assert.throws(() => sh('getent', ['passwd', fx!.names.offline]), 'no identity was created');
    assert.equal(existsSync(fx!.inst.stateDir + '/state.json'), false);
  });

  it('provisions when accepted, showing each step done', async function () {
    term = start();
    await answerQuestions(term);
    term.type(`y${ENTER}`);
    const code = await term.exited;
    assert.equal(code, 0, term.text());
    assert.match(term.text(), /Create offline identity/);
    assert.match(term.text(), /Setup done/);
    assert.equal(sh('getent', ['passwd', fx!.names.offline]).split(':')[0], fx!.names.offline);
  });
});
