/**
 * `corral run` on a person's terminal, through the real sudo rule and the distribution's own
 * /etc/sudoers (Debian's has `Defaults use_pty`: sudo then makes a pty of its own whenever it runs
 * in a terminal, relays the terminal's SIGINT to what it started and puts the user's terminal in
 * raw mode while it relays). The real user types into an interactive bash with job control, in a
 * pseudo-terminal made by `script`, and presses Ctrl-C or Ctrl-Z as a person would.
 *
 * - Ctrl-C kills the command, and corral exits 130 (not `runner_failed`, exit 1).
 * - Ctrl-Z, then `fg`: output goes on with the terminal's own line ends (no staircase).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { CLI, commandProcesses, eventually, NODE, requireRoot, TestInstallation } from './helpers/e2e.js';
import { CTRL_C, CTRL_Z, ENTER, Terminal } from './helpers/terminal.js';

/** Debian's default sudoers sets use_pty; the point of this suite is to run under it. */
function sudoersUsesPty(): boolean {
  return /^\s*Defaults\s+.*\buse_pty\b/m.test(readFileSync('/etc/sudoers', 'utf8'));
}

/** The identity's processes but a kept session's runner (helpers/e2e.ts). */
const identityProcesses = commandProcesses;

describe("corral run on a real terminal under the distribution's sudoers (use_pty)", function () {
  this.timeout(300_000);
  let inst: TestInstallation | undefined;
  let term: Terminal | undefined;

  before(async function () {
    requireRoot(this);
    if (!existsSync('/usr/bin/script')) {
      console.log('      (skipped: needs util-linux script for a pseudo-terminal)');
      this.skip();
    }
    if (!sudoersUsesPty()) {
      console.log('      (skipped: /etc/sudoers has no `Defaults use_pty`; this suite tests under it)');
      this.skip();
    }
    inst = new TestInstallation();
    await inst.setup();
  });
  afterEach(() => term?.kill());
  after(async () => {
    await inst?.teardown();
  });

  /** An interactive bash of the real user (not root: corral goes through sudo) on a fresh pty. */
  async function userShell(): Promise<Terminal> {
    const u = inst!.user.name;
    const t = new Terminal(
      `runuser -u ${u} -- env -u SUDO_USER -u SUDO_UID -u SUDO_GID CORRAL_INSTANCE=${inst!.instance} PS1='$ ' bash --norc --noprofile -i`,
      {},
      inst!.workspace,
    );
    await t.waitFor('$ ');
    return t;
  }

  it('Ctrl-C kills the command and corral exits 130', async () => {
    term = await userShell();
    term.type(`${NODE} ${CLI} run -- sh -c 'echo ready-to-interrupt; exec sleep 120'${ENTER}`);
    await term.waitFor('ready-to-interrupt\r\n');
    const beforeCtrlC = term.mark();
    term.type(CTRL_C);
    await term.waitFor('$ ', 30_000, beforeCtrlC);
    const mark = term.mark();
    term.type(`echo "status=$?"${ENTER}`);
    // The echoed command line shows `status=$?`; the answer is digits.
    await term.waitFor(/status=\d+\r\n/, 30_000, mark);
    assert.match(term.text().slice(mark), /status=130\r\n/, term.text());
    assert.doesNotMatch(term.text(), /runner_failed|session runner stopped/, term.text());
    assert.ok(await eventually(() => identityProcesses(inst!.identity('offline').name) === ''), 'the command is gone');
  });

  it('Ctrl-Z then fg: the output goes on with \\r\\n line ends (no staircase)', async () => {
    term = await userShell();
    const ticks = Array.from({ length: 30 }, (_, i) => i + 1).join(' ');
    term.type(`${NODE} ${CLI} run -- sh -c 'for i in ${ticks}; do echo tick-$i; sleep 0.1; done; echo ticks-done'${ENTER}`);
    await term.waitFor('tick-3\r\n');
    const beforeCtrlZ = term.mark();
    term.type(CTRL_Z);
    await term.waitFor('Stopped', 30_000, beforeCtrlZ);
    await term.waitFor('$ ', 30_000, term.text().indexOf('Stopped', beforeCtrlZ));
    const mark = term.mark();
    term.type(`fg${ENTER}`);
    await term.waitFor('ticks-done', 30_000, mark);
    await term.waitFor('$ ', 30_000, term.text().indexOf('ticks-done', mark));
    const resumed = term.text().slice(mark);
    const lines = resumed.match(/tick-\d+(\r?\n)/g) ?? [];
    assert.ok(lines.length > 0, `no output after fg: ${JSON.stringify(resumed)}`);
    const bare = lines.filter((l) => !l.endsWith('\r\n'));
    assert.deepEqual(bare, [], `lines without \\r after fg (staircase): ${JSON.stringify(resumed)}`);
    const end = term.mark();
    term.type(`echo "status=$?"${ENTER}`);
    await term.waitFor('status=0\r\n', 30_000, end);
  });
});
