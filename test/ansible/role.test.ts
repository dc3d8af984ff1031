/**
 * The Ansible role (ansible/roles/corral) against real hosts, with Debian's ansible-core:
 * two inventory hosts on this machine (connection local), each with its own installation
 * (CORRAL_INSTANCE), npm prefix and developer, provisioned side by side from a real `npm pack`
 * tarball of this checkout.
 *
 * In order: converge (the installed `corral` runs a real sandboxed command for the developer),
 * idempotence (changed=0), check mode on a changed input (reports a change, changes nothing:
 * state.json and the machine snapshot are byte-identical), drift (an identity removed with
 * `userdel` by hand; converge repairs it), absent (the machine equals its snapshot from before
 * the first run; a second absent run is changed=0). Plus: the role's argument spec refuses a
 * bad input before any task, Corral's error code and remedy reach the task's failure message,
 * and ansible-lint finds nothing.
 *
 * molecule is not used: it is not in Debian's packages or reachable registries here, and its
 * delegated driver would only wrap the same ansible-playbook runs this file makes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityNames } from '../../orchestrator/identities.js';
import { linuxInstallation } from '../../core/installation.js';
import { createUser, hex, removeUser, userDir, type TestUser } from '../integration/helpers/e2e.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ROLES = path.join(REPO, 'ansible', 'roles');

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface PlayResult {
  status: number | null;
  /** Per host: ok, changed, failures, unreachable, skipped (the json callback's stats). */
  stats: Record<string, { ok: number; changed: number; failures: number; unreachable: number; skipped: number }>;
  /** Every task result, per host, in order. */
  tasks: { task: string; host: string; result: Record<string, unknown> }[];
  raw: string;
  stderr: string;
}

/**
 * The default callback's text, parsed: the PLAY RECAP line of each host, and every task result
 * line (`ok|changed|failed|fatal|skipping: [host] (item=…) => {json}`, one line each with
 * ANSIBLE_CALLBACK_RESULT_FORMAT=json) under its `TASK [name]` header. ansible-core carries no
 * JSON stdout callback (that one is in the ansible.posix collection, not installed here).
 */
function parsePlay(out: string): Pick<PlayResult, 'stats' | 'tasks'> {
  const stats: PlayResult['stats'] = {};
  const tasks: PlayResult['tasks'] = [];
  let task = '';
  for (const line of out.split('\n')) {
    const header = /^TASK \[(?:[^:\]]+ : )?(.+)\] \**$/.exec(line);
    if (header !== null) {
      task = header[1]!;
      continue;
    }
    const recap = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/.exec(line);
    if (recap !== null) {
      stats[recap[1]!] = { ok: +recap[2]!, changed: +recap[3]!, unreachable: +recap[4]!, failures: +recap[5]!, skipped: +recap[6]! };
      continue;
    }
    // A loop item is `changed: [h] => (item=x)` when it succeeded and `failed: [h] (item=x) => {…}` when not.
    const result = /^(ok|changed|failed|fatal|skipping): \[([^\]]+)\](?: => \(item=[^)]*\))?(?: \(item=[^)]*\))?(?::? FAILED!)?(?: => (\{.*\}))?\s*$/.exec(line);
    if (result !== null) {
      let body: Record<string, unknown> = {};
      try {
        body = result[3] !== undefined ? (JSON.parse(result[3]) as Record<string, unknown>) : {};
      } catch {
        body = { unparsed: result[3] };
      }
      if (result[1] === 'failed' || result[1] === 'fatal') body.failed = true;
      if (result[1] === 'changed') body.changed = true;
      tasks.push({ task, host: result[2]!, result: body });
    }
  }
  return { stats, tasks };
}

function playbook(dir: string, extra: string[]): Promise<PlayResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', ['-i', path.join(dir, 'inventory.json'), path.join(dir, 'play.yml'), ...extra], {
      cwd: dir,
      env: {
        ...process.env,
        ANSIBLE_ROLES_PATH: ROLES,
        ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORCE_COLOR: '0',
        ANSIBLE_RETRY_FILES_ENABLED: '0',
        ANSIBLE_LOCAL_TEMP: path.join(dir, 'ansible-tmp'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, ...parsePlay(out), raw: out, stderr: err });
    });
  });
}

function describe_(r: PlayResult): string {
  const failed = r.tasks.filter((t) => t.result.failed === true).map((t) => `${t.host} ${t.task}: ${String(t.result.msg)}`);
  return `status ${r.status}; stats ${JSON.stringify(r.stats)}; failed ${JSON.stringify(failed)}; stderr ${JSON.stringify(r.stderr.slice(0, 1500))}${r.tasks.length === 0 ? `; stdout ${JSON.stringify(r.raw.slice(0, 1500))}` : ''}`;
}

interface Host {
  name: string;
  instance: string;
  prefix: string;
  user: TestUser;
  workspace: string;
  second: string;
}

/** What the role may touch, as text: accounts, rules, ACLs of the test homes, and every path it writes. */
function machineSnapshot(hosts: Host[]): string {
  const lines = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => !/^c(t|bench|demo)[a-z0-9-]*:/.test(l) || hosts.some((h) => l.includes(h.instance) || l.includes(h.user.name)));
  const tables = execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' })
    .split(/\n(?=table )/)
    .filter((t) => !/^table inet c(t|bench|demo)[a-z0-9]* /.test(t.trim()) || hosts.some((h) => t.includes(`table inet ${h.instance} `)));
  const paths = hosts.flatMap((h) => {
    const inst = linuxInstallation(h.instance);
    return [inst.stateDir, inst.libDir, inst.sudoersFile, `/etc/${h.instance}`, `/var/cache/${h.instance}`, path.join(h.prefix, 'bin', 'corral'), path.join(h.prefix, 'lib', 'node_modules', 'corral')];
  });
  // The developer's own audit log (~/.local/state/<instance>/audit.jsonl, written by their `corral run`
  // in the converge test) is theirs and stays after teardown on purpose: left out of the comparison.
  const acl = execFileSync('getfacl', ['-R', '-p', '-n', ...hosts.map((h) => h.user.home)], { encoding: 'utf8' })
    .split('\n\n')
    .filter((block) => !hosts.some((h) => block.includes(`# file: ${h.user.home}/.local`)))
    .join('\n\n');
  return [
    ...['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow'].map((f) => `${f}\n${lines(f).join('\n')}`),
    tables.join('\n'),
    acl,
    ...paths.map((p) => `${p}: ${existsSync(p) ? 'present' : 'absent'}`),
  ].join('\n----\n');
}

describe('Ansible role corral (root, real hosts, ansible-core)', function () {
  this.timeout(900_000);
  const hosts: Host[] = [];
  let dir = '';
  let initial = '';

  function writeVars(overrides: Record<string, unknown>): string {
    const file = path.join(dir, `vars-${hex(3)}.json`);
    writeFileSync(file, JSON.stringify(overrides));
    return file;
  }

  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // provisioning needs root: run as root (CI does)
    for (const tool of ['ansible-playbook', 'getfacl', 'nft']) {
      if (!onPath(tool)) throw new Error(`${tool} is not installed: scripts/prepare.sh installs it (apt ansible-core, acl, nftables)`);
    }
    dir = mkdtempSync(path.join(tmpdir(), 'corral-ansible-'));
    chmodSync(dir, 0o755); // the developers run the installed command from the prefixes inside
    execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball !== undefined, 'npm pack made no tarball');
    for (const name of ['alpha', 'beta']) {
      const user = createUser('cta');
      const workspace = userDir(user, path.join(user.home, 'ws'));
      const second = userDir(user, path.join(user.home, 'ws2'));
      hosts.push({ name, instance: `ctans${hex(3)}`, prefix: path.join(dir, `prefix-${name}`), user, workspace, second });
    }
    const inventory = {
      all: {
        hosts: Object.fromEntries(
          hosts.map((h) => [
            h.name,
            {
              ansible_connection: 'local',
              ansible_python_interpreter: '/usr/bin/python3',
              corral_instance: h.instance,
              corral_prefix: h.prefix,
              corral_node: process.execPath,
              corral_package_src: path.join(dir, tarball),
              corral_users: [{ name: h.user.name, workspaces: [h.workspace], network: 'offline' }],
              corral_machine_config: h.name === 'alpha' ? { network: 'offline', locked: ['network'], limits: { pids: 512 } } : {},
            },
          ]),
        ),
      },
    };
    writeFileSync(path.join(dir, 'inventory.json'), JSON.stringify(inventory, null, 2));
    writeFileSync(path.join(dir, 'play.yml'), '- hosts: all\n  gather_facts: false\n  roles:\n    - role: corral\n');
    initial = machineSnapshot(hosts);
  });

  after(async function () {
    if (dir === '') return;
    // Whatever the tests reached: the role's absent run, then every name by hand.
    const r = await playbook(dir, ['-e', `@${writeVars({ corral_state: 'absent' })}`]);
    if (r.status !== 0) console.error(`      absent in cleanup: ${describe_(r)}`);
    for (const h of hosts) {
      const inst = linuxInstallation(h.instance);
      const names = identityNames(inst, h.user.name);
      for (const n of [names.offline, names.online]) spawnQuiet('userdel', [n]);
      for (const g of [inst.sandboxGroup, inst.userGroup]) spawnQuiet('groupdel', [g]);
      spawnQuiet('nft', ['delete', 'table', 'inet', inst.firewallGroup]);
      for (const p of [inst.stateDir, inst.libDir, inst.sudoersFile, `/etc/${h.instance}`, `/var/cache/${h.instance}`]) rmSync(p, { recursive: true, force: true });
      removeUser(h.user);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const corralOf = (h: Host, args: string[], asUser = false) => {
    const argv = [process.execPath, path.join(h.prefix, 'bin', 'corral'), ...args];
    return asUser
      ? execFileSync('runuser', ['-u', h.user.name, '--', 'env', `CORRAL_INSTANCE=${h.instance}`, ...argv], { cwd: h.workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      : execFileSync(argv[0]!, argv.slice(1), { env: { ...process.env, CORRAL_INSTANCE: h.instance }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  it('refuses a bad input in the argument spec before any task runs', async () => {
    const r = await playbook(dir, ['-e', `@${writeVars({ corral_users: [{ name: 'x', network: 'sideways' }] })}`]);
    assert.notEqual(r.status, 0, describe_(r));
    const failed = r.tasks.find((t) => t.result.failed === true);
    assert.ok(failed !== undefined && /argument spec|network/i.test(String(failed.result.msg)), describe_(r));
    assert.ok(!hosts.some((h) => existsSync(path.join(h.prefix, 'bin', 'corral'))), 'a task ran after the argument spec failed');
  });

  it('converges: installs the npm pack tarball and provisions both installations side by side', async () => {
    const r = await playbook(dir, []);
    assert.equal(r.status, 0, describe_(r));
    for (const h of hosts) {
      assert.ok(r.stats[h.name]!.changed > 0, describe_(r));
      const status = JSON.parse(corralOf(h, ['status', '--json'])) as { ok: boolean };
      assert.equal(status.ok, true, `${h.instance}: status after converge`);
      // The installed command, as the developer, through the sudo rule: a real sandboxed write is refused.
      const out = corralOf(h, ['run', '--', 'sh', '-c', 'touch /etc/corral-ansible-probe 2>/dev/null && echo WROTE || echo REFUSED; id -un'], true);
      assert.match(out, /REFUSED/);
      assert.ok(!existsSync('/etc/corral-ansible-probe'));
    }
    assert.equal(readFileSync(`/etc/${hosts[0]!.instance}/config.json`, 'utf8').includes('"locked"'), true, 'machine config of alpha installed');
    assert.equal(existsSync(`/etc/${hosts[1]!.instance}/config.json`), false, 'beta has no machine config');
  });

  it('is idempotent: a second run reports changed=0', async () => {
    const r = await playbook(dir, []);
    assert.equal(r.status, 0, describe_(r));
    for (const h of hosts) assert.equal(r.stats[h.name]!.changed, 0, describe_(r));
  });

  it('refuses a machine config that corral policy check rejects, and keeps the installed one', async () => {
    const h = hosts[0]!;
    const file = `/etc/${h.instance}/config.json`;
    const installed = readFileSync(file);
    const r = await playbook(dir, ['--limit', h.name, '-e', `@${writeVars({ corral_machine_config: { network: 'sideways', locked: ['network'] } })}`]);
    assert.notEqual(r.status, 0, describe_(r));
    const failed = r.tasks.find((t) => t.task === 'Install the machine config' && t.result.failed === true);
    assert.ok(failed !== undefined, describe_(r));
    assert.match(JSON.stringify(failed.result), /config_invalid|network/);
    assert.deepEqual(readFileSync(file), installed, 'the rejected config replaced the installed one');
  });

  it('check mode on a changed input reports the change with its plan as diff, and changes nothing', async () => {
    const h = hosts[0]!;
    const state = readFileSync(`/var/lib/${h.instance}/state.json`);
    const snap = machineSnapshot(hosts);
    const overrides = { corral_users: [{ name: h.user.name, workspaces: [h.workspace, h.second], network: 'offline' }] };
    const r = await playbook(dir, ['--check', '--diff', '--limit', h.name, '-e', `@${writeVars(overrides)}`]);
    assert.equal(r.status, 0, describe_(r));
    assert.ok(r.stats[h.name]!.changed > 0, describe_(r));
    assert.ok(r.tasks.some((t) => t.task === 'Provision each user' && t.result.changed === true), `${describe_(r)} ${JSON.stringify(r.tasks.map((t) => [t.task, t.result.changed]))}`);
    // The diff is Corral's own dry-run plan for the new input, step by step.
    const plan = JSON.parse(
      execFileSync(process.execPath, [path.join(h.prefix, 'bin', 'corral'), 'setup', '--dry-run', '--json', '--user', h.user.name, '--workspace', h.workspace, '--workspace', h.second], {
        env: { ...process.env, CORRAL_INSTANCE: h.instance },
        encoding: 'utf8',
      }),
    ) as { changes: { title: string }[] };
    assert.ok(plan.changes.length > 0, 'the new workspace is a change');
    const shown = r.raw.slice(r.raw.indexOf('TASK [corral : Provision each user]'));
    for (const change of plan.changes) assert.ok(shown.includes(change.title), `the diff shows "${change.title}": ${shown.slice(0, 1500)}`);
    assert.deepEqual(readFileSync(`/var/lib/${h.instance}/state.json`), state, 'check mode changed state.json');
    assert.equal(machineSnapshot(hosts), snap, 'check mode changed the machine');
  });

  it('repairs drift: an identity removed by hand is re-created by the next converge', async () => {
    const h = hosts[1]!;
    const names = identityNames(linuxInstallation(h.instance), h.user.name);
    execFileSync('userdel', [names.offline]);
    assert.throws(() => corralOf(h, ['status', '--json']), 'status must report the drift');
    const r = await playbook(dir, []);
    assert.equal(r.status, 0, describe_(r));
    assert.ok(r.stats[h.name]!.changed > 0, describe_(r));
    assert.equal(r.stats[hosts[0]!.name]!.changed, 0, describe_(r));
    assert.equal((JSON.parse(corralOf(h, ['status', '--json'])) as { ok: boolean }).ok, true);
  });

  it("carries Corral's error code and remedy into the task's failure", async () => {
    const overrides = { corral_users: [{ name: `ctnobody${hex(2)}`, workspaces: [], network: 'offline' }] };
    const r = await playbook(dir, ['--limit', hosts[1]!.name, '-e', `@${writeVars(overrides)}`]);
    assert.notEqual(r.status, 0, describe_(r));
    const failed = r.tasks.find((t) => t.task === 'Provision each user' && t.result.failed === true)?.result as { msg?: string; code?: string; remedy?: string } | undefined;
    assert.ok(failed !== undefined, describe_(r));
    assert.match(failed.msg ?? '', /^corral setup failed \[[a-z_]+\]: .+ — .+/s);
    assert.ok((failed.code ?? '') !== '' && (failed.remedy ?? '') !== '', JSON.stringify(failed));
  });

  it('absent removes everything (the machine equals its snapshot before), and a second absent run is changed=0', async () => {
    const vars = writeVars({ corral_state: 'absent' });
    const r = await playbook(dir, ['-e', `@${vars}`]);
    assert.equal(r.status, 0, describe_(r));
    for (const h of hosts) assert.ok(r.stats[h.name]!.changed > 0, describe_(r));
    assert.equal(machineSnapshot(hosts), initial);
    const again = await playbook(dir, ['-e', `@${vars}`]);
    assert.equal(again.status, 0, describe_(again));
    for (const h of hosts) assert.equal(again.stats[h.name]!.changed, 0, describe_(again));
  });

  it('ansible-lint finds nothing in the role and the sample playbook', function () {
    if (!onPath('ansible-lint')) this.skip(); // ansible-lint is Debian's `ansible-lint`; scripts/prepare.sh installs it
    const out = execFileSync('ansible-lint', ['-p', 'ansible/playbook.yml', 'ansible/roles/corral'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ANSIBLE_ROLES_PATH: ROLES, NO_COLOR: '1' } });
    assert.doesNotMatch(out, /\S/, `ansible-lint printed findings: ${out}`);
  });
});

function spawnQuiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // cleanup: absent is fine
  }
}
