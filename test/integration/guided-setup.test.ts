/**
 * The guided setup on a real terminal (root): `corral setup` without --yes, run under a
 * pseudo-terminal made by util-linux `script`, answered keystroke by keystroke as a person
 * would. Declining the plan changes nothing; accepting it provisions, with the listr2 task
 * list on screen.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { CLI, ProvisionFixture, sh } from './helpers/provision.js';
import { ENTER, Terminal } from './helpers/terminal.js';

const isRoot = () => process.getuid?.() === 0;

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
