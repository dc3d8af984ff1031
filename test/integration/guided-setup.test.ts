/**
 * The guided setup on a real terminal (root): `corral setup` without --yes, run under a
 * pseudo-terminal made by util-linux `script`, answered keystroke by keystroke as a person
 * would (issue 13.7). It introduces itself, defaults the user to the workspace's owner (not
 * root), checks each answer as it is typed, shows a readable plan (commands behind
 * --verbose) naming the workspace access, provisions with each progress line once, ends
 * with the next steps, and says "nothing to do" on a re-run. Declining changes nothing.
 * `--dry-run` as the ordinary user (runuser) shows the plan and changes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ProvisionFixture, runCli, sh, describeResult } from './helpers/provision.js';
import { ENTER, Terminal } from './helpers/terminal.js';

const isRoot = () => process.getuid?.() === 0;
/** Enough DELs to empty a prompt's input line. */
const CLEAR = '\x7f'.repeat(80);

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
    writeFileSync(path.join(fx.home, 'a-file'), 'x');
  });
  afterEach(() => term?.kill());
  after(async function () {
    await fx?.cleanup();
  });

  /** As `sudo -i` then `cd ~alice/ws` would: root, with no SUDO_USER. */
  const start = (args = '') =>
    new Terminal(`${process.execPath} ${CLI} setup ${args}`, { CORRAL_INSTANCE: fx!.instance, SUDO_USER: '', CORRAL_TEST_WORKSPACE_ACCESS: 'acl' }, fx!.workspace);

  async function answerQuestions(t: Terminal): Promise<void> {
    await t.waitFor('Real user the sandbox is for');
    t.type(ENTER);
    await t.waitFor('Workspaces of');
    t.type(ENTER); // default: the current directory
    await t.waitFor('Network default');
    t.type(ENTER); // offline
    await t.waitFor('Apply this plan?');
  }

  it('introduces itself first, and the user defaults to the workspace owner, not root', async function () {
    term = start();
    await term.waitFor('Real user the sandbox is for');
    const screen = term.text();
    const intro = screen.indexOf('Corral setup');
    assert.ok(intro >= 0 && intro < screen.indexOf('Real user the sandbox is for'), `an introduction comes first:\n${screen}`);
    assert.match(screen, /two sandbox accounts/);
    assert.match(screen, /Nothing changes until you accept the plan/);
    assert.match(screen.slice(screen.indexOf('Real user the sandbox is for')), new RegExp(fx!.userName), 'the default user is the owner of the workspace');
    term.type(ENTER);
    await term.waitFor(`Workspaces of ${fx!.userName}`);
  });

  it('checks each answer as it is given: an unknown user, a workspace that is missing, a file, or owned by someone else', async function () {
    term = start();
    await term.waitFor('Real user the sandbox is for');
    let at = term.mark();
    term.type(`${CLEAR}nosuchuser-${fx!.instance}${ENTER}`);
    await term.waitFor(/no such user/, 30_000, at);
    at = term.mark();
    term.type(`${CLEAR}${fx!.userName}${ENTER}`);
    await term.waitFor('Workspaces of', 30_000, at);
    for (const [dir, says] of [
      [path.join(fx!.home, 'missing'), /does not exist/],
      [path.join(fx!.home, 'a-file'), /not a directory/],
      ['/etc', /owned by root \(uid 0\), not by/],
    ] as const) {
      at = term.mark();
      term.type(`${CLEAR}${dir}${ENTER}`);
      await term.waitFor(says, 30_000, at);
    }
    at = term.mark();
    term.type(`${CLEAR}${fx!.workspace}${ENTER}`);
    await term.waitFor('Network default', 30_000, at);
    term.type('\x1b'); // Esc: cancelled, nothing changed
    assert.notEqual(await term.exited, 0);
    assert.equal(existsSync(fx!.inst.stateDir + '/state.json'), false);
  });

  it('shows a readable plan (what, for whom, why, the workspace access) without commands, and changes nothing when declined', async function () {
    term = start();
    await answerQuestions(term);
    const screen = term.text();
    assert.match(screen, new RegExp(`Plan \\(setup for ${fx!.userName}: \\d+ changes\\)`));
    assert.match(screen, /why: the account .* offline sessions run as/);
    assert.match(screen, /Workspace access:\s+- .*ws: ACL grants/);
    assert.doesNotMatch(screen, /useradd --system/, 'no commands without --verbose');
    assert.match(screen, /run again with --verbose/);
    term.type(`n${ENTER}`);
    const code = await term.exited;
    assert.notEqual(code, 0, 'declining is not success');
    assert.throws(() => sh('getent', ['passwd', fx!.names.offline]), 'no identity was created');
    assert.equal(existsSync(fx!.inst.stateDir + '/state.json'), false);
  });

  it('--verbose shows the exact commands under each step', async function () {
    term = start('--verbose');
    await answerQuestions(term);
    assert.match(term.text(), /useradd --system/, 'the plan shows the exact commands');
    assert.match(term.text(), /nft -f -/);
    term.type(`n${ENTER}`);
    await term.exited;
  });

  it('provisions when accepted: each step once, then the next steps', async function () {
    term = start();
    await answerQuestions(term);
    const at = term.mark();
    term.type(`y${ENTER}`);
    const code = await term.exited;
    assert.equal(code, 0, term.text());
    const after = term.text().slice(at);
    assert.match(after, /Create offline identity/);
    assert.match(after, /Setup done/);
    assert.equal(sh('getent', ['passwd', fx!.names.offline]).split(':')[0], fx!.names.offline);
    // `script` leaves the pty 0 columns wide, as some CI terminals and serial consoles are: listr2
    // wrapped there one character per line, the first title repeated down the screen. Now each
    // step prints its line once as it starts and once when done, and nothing is wrapped.
    const first = new RegExp(`\\[1/\\d+\\] Create group ${fx!.inst.sandboxGroup} \\.\\.\\.`, 'g');
    assert.equal((after.match(first) ?? []).length, 1, `the first progress line appears once:\n${after}`);
    assert.doesNotMatch(after, /\r\n {2}\S\r\n {2}\S\r\n/, 'no line is wrapped to one character');
    assert.match(after, /Next steps:/);
    assert.match(after, new RegExp(`newgrp ${fx!.inst.userGroup}`));
    assert.match(after, /corral run -- id/);
    assert.match(after, /Read-only for the agent in every workspace: .*\.git/);
  });

  it('on a re-run with a new workspace, shows only what changes and what is already in place', async function () {
    const ws2 = path.join(fx!.home, 'ws2');
    mkdirSync(ws2);
    sh('chown', [`${fx!.userName}:${fx!.userName}`, ws2]);
    term = start(`--workspace ${ws2}`);
    await answerQuestions(term);
    const screen = term.text();
    assert.match(screen, new RegExp(`Plan \\(setup for ${fx!.userName}: \\d+ changes?; \\d+ already in place\\)`));
    assert.match(screen, /Grant the identities .* access to .*ws2/);
    assert.doesNotMatch(screen, /Create group|Create offline identity/, 'what exists is not planned again');
    assert.match(screen, /Unchanged \(already in place\):/);
    term.type(`n${ENTER}`);
    assert.notEqual(await term.exited, 0);
  });

  it('on a re-run, says nothing changes', async function () {
    term = start();
    await term.waitFor('Real user the sandbox is for');
    term.type(ENTER);
    await term.waitFor('Workspaces of');
    term.type(ENTER);
    await term.waitFor('Network default');
    term.type(ENTER);
    const code = await term.exited;
    assert.equal(code, 0, term.text());
    assert.match(term.text(), new RegExp(`Nothing to do for ${fx!.userName}: everything is as desired`));
    assert.match(term.text(), /Unchanged:/);
    assert.match(term.text(), /corral run -- id/);
  });
});

describe('setup --dry-run without root (runuser)', function () {
  this.timeout(120_000);
  let fx: ProvisionFixture | undefined;

  before(function () {
    if (!isRoot()) this.skip(); // needs root to create the ordinary user it then runs as
    fx = new ProvisionFixture();
    fx.createUser();
    mkdirSync(fx.workspace);
    sh('chown', [`${fx.userName}:${fx.userName}`, fx.workspace]);
  });
  after(async function () {
    await fx?.cleanup();
  });

  it('shows the plan for the caller, says what it could not read, changes nothing, exit 0', async function () {
    const r = await runCli(['setup', '--dry-run'], { asUser: fx!.userName, cwd: fx!.workspace, env: { CORRAL_INSTANCE: fx!.instance, SUDO_USER: '' } });
    assert.equal(r.status, 0, describeResult(r));
    assert.match(r.stdout, new RegExp(`Plan \\(setup for ${fx!.userName}: \\d+ changes\\)`));
    assert.match(r.stdout, /useradd --system/, '--dry-run prints the exact commands');
    assert.match(r.stdout, /warning: planned without root, which cannot read the nft table/);
    assert.match(r.stdout, /Workspace access:/);
    assert.throws(() => sh('getent', ['passwd', fx!.names.offline]), 'no identity was created');
    assert.throws(() => sh('getent', ['group', fx!.inst.userGroup]), 'no group was created');
    assert.equal(existsSync(fx!.inst.stateDir), false, 'no state directory');
  });

  it('--json too: the same plan as one document, exit 0', async function () {
    const r = await runCli(['setup', '--dry-run', '--json'], { asUser: fx!.userName, cwd: fx!.workspace, env: { CORRAL_INSTANCE: fx!.instance, SUDO_USER: '' } });
    assert.equal(r.status, 0, describeResult(r));
    const doc = JSON.parse(r.stdout) as { dryRun: boolean; realUser: string; warnings: string[] };
    assert.equal(doc.dryRun, true);
    assert.equal(doc.realUser, fx!.userName);
    assert.ok(doc.warnings.some((w) => w.includes('planned without root')));
  });

  it('applying still needs root (not_elevated, exit 3 or the documented code)', async function () {
    const r = await runCli(['setup', '--yes'], { asUser: fx!.userName, cwd: fx!.workspace, env: { CORRAL_INSTANCE: fx!.instance, SUDO_USER: '' } });
    assert.notEqual(r.status, 0, describeResult(r));
    assert.match(r.stderr, /not_elevated|needs root/);
  });
});
