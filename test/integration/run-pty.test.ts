/**
 * `corral run` with a pseudo-terminal in the session, on a real terminal (a tmux pane of a known
 * size), as the real user through the real sudo rule: what the command sees (`tty`, `stty size`
 * and its resize, `input()`, an interactive bash), what keys do (Ctrl-C through the pty's line
 * discipline), the caller's terminal in raw mode while it runs and restored after (normal end,
 * Ctrl-C, the runner killed, corral itself sent SIGTERM), and when there is no pty (--no-pty,
 * piped stdin). Also the library: `spawn(argv, { pty })` and `resize`.
 *
 * Each check types its answer line with a token the typed line itself cannot show (`"A""B"`
 * prints AB), so the screen is searched for output, never for the echo of what was typed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openSession } from 'corral';
import path from 'node:path';
import { CLI, eventually, NODE, requireRoot, TestInstallation, userFile } from './helpers/e2e.js';
import { haveTmux, Tmux } from './helpers/tmux.js';

function processesOf(user: string, name?: string): number[] {
  try {
    return execFileSync('pgrep', ['-u', user, ...(name === undefined ? [] : ['-x', name])], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** The terminal modes of `tty`, as stty -g prints them (what corral must leave as it found). */
function modes(tty: string): string {
  return execFileSync('stty', ['-g', '-F', tty], { encoding: 'utf8' }).trim();
}

describe('corral run with a pty on a real terminal (root, real users, sudo rule)', function () {
  this.timeout(300_000);
  let inst: TestInstallation | undefined;
  let term: Tmux | undefined;

  before(async function () {
    requireRoot(this);
    if (!haveTmux()) {
      console.log('      (skipped: needs tmux for a terminal of a known size: apt-get install tmux)');
      this.skip();
    }
    inst = new TestInstallation();
    await inst.setup();
  });
  afterEach(() => term?.kill());
  after(async () => {
    await inst?.teardown();
  });

  /** An interactive bash of the real user (not root: corral goes through sudo) in a cols × rows pane. */
  async function userShell(cols = 100, rows = 30): Promise<Tmux> {
    const u = inst!.user.name;
    const t = new Tmux(
      `runuser -u ${u} -- env -u SUDO_USER -u SUDO_UID -u SUDO_GID CORRAL_INSTANCE=${inst!.instance} PS1='$ ' TERM=xterm bash --norc --noprofile -i`,
      cols,
      rows,
      inst!.workspace,
    );
    await t.waitFor(/\$ $/m);
    return t;
  }

  const corral = `${NODE} ${CLI}`;

  it('tty names a /dev/pts device of the session, and the exit status is the command\'s', async () => {
    term = await userShell();
    term.type(`${corral} run -- sh -c 'tty; exit 3'; echo "ST""ATUS=$?"`);
    term.press('Enter');
    const status = await term.waitFor(/STATUS=\d+/);
    assert.equal(status, 'STATUS=3', term.screen());
    assert.match(term.screen(), /^\/dev\/pts\/\d+\r?$/m, term.screen());
  });

  it("the session's /dev/pts is its own: only its ptys, none of the host's (the caller's pane included)", async () => {
    term = await userShell();
    const pane = term.paneTty();
    assert.match(pane, /^\/dev\/pts\/\d+$/);
    term.type(`${corral} run -- sh -c 'echo "P""TS:$(ls /dev/pts | tr "\\n" " ")"'`);
    term.press('Enter');
    const listing = await term.waitFor(/PTS:[^\r\n]*/);
    assert.equal(listing.trim(), 'PTS:0 ptmx', `host ptys now: ${execFileSync('ls', ['/dev/pts'], { encoding: 'utf8' })}`);
  });

  it('Ctrl-\\ is SIGQUIT for the command (131)', async () => {
    term = await userShell();
    const identity = inst!.identity('offline').name;
    term.type(`${corral} run -- sleep 100; echo "ST""ATUS=$?"`);
    term.press('Enter');
    assert.ok(await eventually(() => processesOf(identity, 'sleep').length > 0, 300), 'sleep never started');
    term.press('C-\\');
    assert.equal(await term.waitFor(/STATUS=\d+/), 'STATUS=131', term.screen());
  });

  it('a command that cannot be started fails with a pty as with pipes (same code, same status)', async () => {
    const code = (stderr: string) => /\[(command_not_found|command_not_executable)\]/.exec(stderr)?.[1];
    userFile(inst!.user, path.join(inst!.workspace, 'not-executable'), 'echo no\n', 0o644);
    for (const argv of [['no-such-command-here'], ['/no/such/file'], ['./not-executable']]) {
      const r = await inst!.corralAs(inst!.user, ['run', '--pty', '--', ...argv]);
      const piped = await inst!.corralAs(inst!.user, ['run', '--', ...argv]);
      assert.ok(code(r.stderr) !== undefined, `${argv.join(" ")}: ${r.status} ${r.stderr}`);
      assert.equal(code(r.stderr), code(piped.stderr), `${r.stderr}\n${piped.stderr}`);
      assert.equal(r.status, piped.status, `${r.stderr}\n${piped.stderr}`);
    }
  });

  it('stty size is the terminal\'s, and follows a resize of it', async () => {
    term = await userShell(100, 30);
    term.type(`${corral} run -- sh -c 'stty size; while sleep 0.2; do stty size; done'`);
    term.press('Enter');
    await term.waitFor(/^30 100\r?$/m);
    term.resize(120, 40);
    await term.waitFor(/^40 120\r?$/m);
    term.press('C-c');
    await term.waitFor(/\$ $/m);
  });

  it("python3 -c 'input()' reads a line typed on the terminal", async () => {
    term = await userShell();
    term.type(`${corral} run -- python3 -c 'print("GOT", repr(input("name? ")))'`);
    term.press('Enter');
    await term.waitFor(/name\? $/m);
    term.type('corral-pty');
    term.press('Enter');
    await term.waitFor(/GOT 'corral-pty'/);
  });

  it('Ctrl-C ends sleep 100 through the pty (SIGINT): exit 130', async () => {
    term = await userShell();
    const identity = inst!.identity('offline').name;
    term.type(`${corral} run -- sleep 100; echo "ST""ATUS=$?"`);
    term.press('Enter');
    assert.ok(await eventually(() => processesOf(identity, 'sleep').length > 0, 300), 'sleep never started');
    term.press('C-c');
    assert.equal(await term.waitFor(/STATUS=\d+/), 'STATUS=130', term.screen());
    assert.ok(await eventually(() => processesOf(identity, 'sleep').length === 0), 'sleep is gone');
  });

  it('bash -i shows a prompt, runs what is typed, and job control works in it', async () => {
    term = await userShell();
    term.type(`${corral} run -- bash --norc --noprofile -i; echo "ST""ATUS=$?"`);
    term.press('Enter');
    await term.waitFor(/bash-\d+\.\d+\$ $/m);
    term.type('echo "$((6*7))-an""swer"; tty');
    term.press('Enter');
    await term.waitFor(/^42-answer\r?$/m);
    // Ctrl-Z stops the inner job, and the inner bash (its job control) says so.
    term.type('sleep 50');
    term.press('Enter');
    await eventually(() => processesOf(inst!.identity('offline').name, 'sleep').length > 0, 300);
    term.press('C-z');
    await term.waitFor(/Stopped\s+sleep 50/);
    term.type('fg');
    term.press('Enter');
    await term.waitFor(/^sleep 50\r?$/m);
    term.press('C-c');
    term.type('echo "resumed-then-""interrupted:$?"');
    term.press('Enter');
    await term.waitFor(/resumed-then-interrupted:130/);
    term.type('exit 5');
    term.press('Enter');
    assert.equal(await term.waitFor(/STATUS=\d+/), 'STATUS=5', term.screen());
  });

  it('corral sh -i on a terminal is an interactive shell on a pty of the session', async () => {
    term = await userShell();
    term.type(`${corral} sh -i; echo "ST""ATUS=$?"`);
    term.press('Enter');
    await eventually(() => processesOf(inst!.identity('offline').name).length > 0, 300);
    term.type('echo "SH-""IN-PTY:$(tty)"');
    term.press('Enter');
    await term.waitFor(/SH-IN-PTY:\/dev\/pts\/\d+/);
    term.type('exit 4');
    term.press('Enter');
    assert.equal(await term.waitFor(/STATUS=\d+/), 'STATUS=4', term.screen());
  });

  describe("the caller's terminal: raw while the command runs, the same modes after", () => {
    async function runAndCompare(start: string, end: (t: Tmux) => Promise<void>): Promise<void> {
      term = await userShell();
      const tty = term.paneTty();
      const before = modes(tty);
      term.type(`${corral} run -- ${start}; echo "DO""NE=$?"`);
      term.press('Enter');
      await term.waitFor(/^ready-for-modes\r?$/m);
      const during = modes(tty);
      assert.notEqual(during, before, 'the terminal was not put in raw mode');
      const raw = execFileSync('stty', ['-a', '-F', tty], { encoding: 'utf8' });
      for (const flag of ['-icanon', '-echo', '-isig', '-opost']) assert.match(raw, new RegExp(`(^|\\s)${flag}(\\s|$)`), `raw mode has ${flag}: ${raw}`);
      await end(term);
      await term.waitFor(/DONE=\d+/);
      assert.equal(modes(tty), before, `the terminal's modes differ after corral (${term.screen()})`);
    }

    it('after a normal end', async () => {
      await runAndCompare(`sh -c 'echo ready-for-modes; read x'`, async (t) => t.press('Enter'));
    });

    it('after Ctrl-C', async () => {
      await runAndCompare(`sh -c 'echo ready-for-modes; exec sleep 100'`, async (t) => t.press('C-c'));
    });

    it('after the runner is killed (corral exits 1, runner_failed)', async () => {
      await runAndCompare(`sh -c 'echo ready-for-modes; exec sleep 100'`, async (t) => {
        // The runner runs as the identity after its drop; SIGKILL leaves it no way to answer.
        const runners = execFileSync('pgrep', ['-u', inst!.identity('offline').name, '-f', 'runner/main.js'], { encoding: 'utf8' }).trim().split('\n').map(Number);
        assert.ok(runners.length > 0, 'no runner found');
        for (const pid of runners) process.kill(pid, 'SIGKILL');
        assert.equal(await t.waitFor(/DONE=\d+/), 'DONE=1', t.screen());
      });
    });

    it('after SIGTERM to corral (forwarded to the command: 143)', async () => {
      await runAndCompare(`sh -c 'echo ready-for-modes; exec sleep 100'`, async (t) => {
        const clients = execFileSync('pgrep', ['-u', inst!.user.name, '-f', `${CLI} run`], { encoding: 'utf8' }).trim().split('\n').map(Number);
        for (const pid of clients) process.kill(pid, 'SIGTERM');
        assert.equal(await t.waitFor(/DONE=\d+/), 'DONE=143', t.screen());
      });
    });
  });

  it('--no-pty on a terminal: pipes (tty says "not a tty")', async () => {
    term = await userShell();
    term.type(`${corral} run --no-pty -- tty; echo "ST""ATUS=$?"`);
    term.press('Enter');
    assert.equal(await term.waitFor(/STATUS=\d+/), 'STATUS=1', term.screen());
    assert.match(term.screen(), /^not a tty\r?$/m);
  });

  it('piped stdin: no pty, unless --pty', async () => {
    const plain = await inst!.corralAs(inst!.user, ['run', '--', 'tty'], { input: '' });
    assert.equal(plain.stdout.toString().trim(), 'not a tty');
    const forced = await inst!.corralAs(inst!.user, ['run', '--pty', '--', 'sh', '-c', 'tty; stty size; echo err >&2'], { input: '' });
    assert.equal(forced.status, 0, forced.stderr);
    const out = forced.stdout.toString();
    assert.match(out, /^\/dev\/pts\/\d+\r\n24 80\r\nerr\r\n/, out);
    assert.equal(forced.stderr.replace(/^corral: warning: .*\n/gm, ''), '', 'stderr is empty in pty mode');
  });

  it('the library: spawn with pty, typed input, resize, ^C', async () => {
    for (const [k, v] of Object.entries(inst!.rootEnv())) process.env[k] = v;
    const session = await openSession({ workspace: inst!.workspace, audit: false });
    try {
      assert.equal(session.ptys, true);
      const child = session.spawn(['sh', '-c', 'stty size; read line; echo "read:$line"; stty size; exec sleep 100'], { pty: { cols: 90, rows: 20 } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      assert.ok(await eventually(() => out.includes('20 90\r\n'), 300), out);
      child.resize(70, 15);
      // The size is set before the line is typed: the resize frame goes first on the same stream.
      child.stdin!.write('hello\r');
      assert.ok(await eventually(() => out.includes('15 70\r\n'), 300), out);
      assert.match(out, /hello\r\nread:hello\r\n/, 'echo by the line discipline, then the line read');
      child.stdin!.write('\x03');
      const exit = await child.exit;
      assert.equal(exit.signal, 'SIGINT');
      assert.equal(exit.status, 130);
      assert.equal(err, '');
      assert.throws(() => child.resize(0, 10), /cols, rows/);
    } finally {
      await session.close();
      for (const k of Object.keys(inst!.rootEnv())) delete process.env[k];
    }
  });
});
