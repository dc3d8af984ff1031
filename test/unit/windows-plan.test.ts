/**
 * Plan → module-call mapping for setup, status and teardown, through the real
 * WindowsProvisioner with a recording fake PowerShell session: the exact text each step
 * previews (--dry-run) and sends, a no-op re-run planning nothing, drift repaired by the
 * right function, and one elevated run when not elevated.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WindowsProvisioner } from '../../orchestrator/provision/windows/provisioner.js';
import { buildInvocation, type ModuleCall } from '../../orchestrator/provision/windows/command.js';
import type { PlanFile } from '../../orchestrator/provision/windows/elevation.js';
import { splitWindowsCommandLine } from '../../orchestrator/provision/windows/win-args.js';
import { windowsInstallation } from '../../core/installation.js';
import { defaultPolicy } from '../../orchestrator/policy/defaults.js';
import type { Policy } from '../../orchestrator/policy/schema.js';
import type { ResolvedPolicy } from '../../orchestrator/policy/resolve.js';
import type { RealUser, SetupRequest } from '../../orchestrator/platform.js';
import { isCorralError } from '../../core/errors.js';
import { FakePowerShellHost, fail, ok, parseCall } from './windows-fake-host.js';
import { DEFAULT_WINDOWS_PROXY_PORT } from '../../core/proxy/port.js';

const installation = windowsInstallation('corral', { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' });
const USER: RealUser = { name: 'alice', sid: 'S-1-5-21-1-2-3-1001', home: 'C:\\Users\\alice' };
const WS = 'C:\\src\\app';
const SOURCE = 'C:\\tools\\corral';
const NODE = 'C:\\Program Files\\nodejs\\node.exe';
const GROUP_SID = 'S-1-5-21-1-2-3-1100';
/** alice's own group crl-grp-alice (members: her two identities), which grants name. */
const USER_GROUP_SID = 'S-1-5-21-1-2-3-1300';
const OFFLINE_SID = 'S-1-5-21-1-2-3-1201';
const ONLINE_SID = 'S-1-5-21-1-2-3-1202';
const CAP = 'S-1-5-21-9-9-9-4242';

function request(overrides: Partial<Policy> = {}, workspaces = [WS], network: 'offline' | 'online' = 'offline'): SetupRequest {
  const policy: Policy = { ...defaultPolicy('windows', WS, 'corral'), ...overrides };
  const resolved = { policy, sources: {}, locked: [], digest: 'd' } as unknown as ResolvedPolicy;
  return { realUser: USER, workspaces, network, policy: resolved };
}

const identityFound = (name: string, over: Record<string, boolean> = {}) => ({
  name, exists: true, sidMatches: true, enabled: true, hidden: true, inGroup: true, profile: true, credential: true, ...over,
});

/** What Get-CorralState returns on a machine provisioned for alice with WS. */
const userGroupFound = (over: Record<string, unknown> = {}) => ({
  name: 'crl-grp-alice', recorded: true, exists: true, sidMatches: true, sid: USER_GROUP_SID,
  members: [OFFLINE_SID, ONLINE_SID], membersMatch: true, ...over,
});

/** The default proxy port, as the fixtures record it (core/proxy/port.ts). */
const PROXY = DEFAULT_WINDOWS_PROXY_PORT;

function provisioned(over: { identity?: Record<string, boolean>; acePresent?: boolean; network?: string; runnerInstalled?: boolean; firewall?: { proxyPort: number; loopbackPorts: number[] } | null } = {}) {
  return {
    Installation: 'corral',
    Provisioned: true,
    Recorded: {
      version: 1,
      installation: 'corral',
      users: {
        alice: {
          sid: USER.sid,
          identities: { offline: { name: 'crl-off-alice', sid: OFFLINE_SID }, online: { name: 'crl-on-alice', sid: ONLINE_SID } },
          group: { name: 'crl-grp-alice', sid: USER_GROUP_SID },
          network: over.network ?? 'offline',
          // What New-CorralFirewallRule recorded; null: a setup from before it did.
          ...(over.firewall === null ? {} : { firewall: over.firewall ?? { proxyPort: PROXY, loopbackPorts: [] } }),
          // PowerShell's JSON gives a one-element list as a bare object: the parser copes.
          workspaces: { path: WS, capabilitySid: CAP },
        },
      },
      runner: { dir: 'C:\\Program Files\\Corral', node: 'C:\\Program Files\\Corral\\node.exe', entry: 'C:\\Program Files\\Corral\\app\\dist\\runner\\main.js', digest: 'ab' },
    },
    Found: {
      group: { name: 'CorralSandboxUsers', exists: true, sid: GROUP_SID },
      users: { alice: { identities: { offline: identityFound('crl-off-alice', over.identity), online: identityFound('crl-on-alice') }, group: userGroupFound() } },
      firewallRules: [{ name: 'Corral-crl-off-alice-remote', enabled: 'True', action: 'Block', direction: 'Outbound' }],
      aces: [
        { path: WS, sid: USER_GROUP_SID, type: 'Allow', scope: `workspace:${WS.toLowerCase()}`, present: over.acePresent ?? true },
        { path: WS, sid: CAP, type: 'Allow', scope: `workspace:${WS.toLowerCase()}`, present: true },
        { path: 'C:\\src', sid: USER_GROUP_SID, type: 'Allow', scope: 'traverse:alice', present: true },
      ],
      runner: { installed: over.runnerInstalled ?? true },
      journalOpen: 0,
    },
    Drift: [],
  };
}

const EMPTY_STATE = {
  Installation: 'corral',
  Provisioned: false,
  Recorded: { version: 1, installation: 'corral', users: {}, runner: null },
  Found: { group: { name: 'CorralSandboxUsers', exists: false, sid: null }, users: {}, firewallRules: [], aces: [], runner: { installed: false }, journalOpen: 0 },
  Drift: [],
};

const FIREWALL_OK = { Effective: true, Reasons: [], Profiles: [], Rules: [{ name: 'Corral-crl-off-alice-remote', inForce: true }] };

interface Setup {
  state: unknown;
  firewall?: unknown;
  /** Answer to the module calls steps make (default ok). */
  step?: (operation: string) => string;
}

function makeHost(s: Setup): FakePowerShellHost {
  return new FakePowerShellHost((script) => {
    const call = parseCall(script);
    if (call === null) throw new Error(`unexpected script: ${script.slice(0, 80)}`);
    switch (call.operation) {
      case 'Get-CorralState':
        return ok(s.state);
      case 'Test-CorralFirewallEffective':
        return typeof s.firewall === 'string' ? s.firewall : ok(s.firewall ?? FIREWALL_OK);
      default:
        return s.step ? s.step(call.operation) : ok({ Changed: true });
    }
  });
}

function provisioner(host: FakePowerShellHost, elevated = true, tempRoot = tmpdir()): WindowsProvisioner {
  return new WindowsProvisioner({
    installation,
    host,
    elevated,
    elevation: { powershellExe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', hostScript: 'C:\\corral\\elevated-host.ps1', tempRoot, pollIntervalMs: 1 },
    runnerSource: SOURCE,
    nodePath: NODE,
    currentUser: async () => USER,
  });
}

const policy = defaultPolicy('windows', WS, 'corral');
const FRESH_CALLS: ModuleCall[] = [
  { operation: 'Install-CorralGroup', args: {} },
  { operation: 'New-CorralIdentity', args: { User: 'alice', Network: 'offline', Name: 'crl-off-alice' } },
  { operation: 'New-CorralIdentity', args: { User: 'alice', Network: 'online', Name: 'crl-on-alice' } },
  { operation: 'New-CorralFirewallRule', args: { User: 'alice', ProxyPort: DEFAULT_WINDOWS_PROXY_PORT } },
  { operation: 'Install-CorralRunner', args: { Source: SOURCE, NodePath: NODE } },
  { operation: 'Grant-CorralTraverse', args: { User: 'alice', Workspace: [WS], DenyRead: policy.denyRead } },
  { operation: 'Grant-CorralWorkspace', args: { User: 'alice', Path: WS, Protected: policy.protected, DenyRead: policy.denyRead } },
];

describe('windows plan: setup', () => {
  it('a fresh machine: every resource, in order, previewed as the exact module call', async () => {
    const host = makeHost({ state: EMPTY_STATE });
    const plan = await provisioner(host).planSetup(request());
    assert.equal(plan.action, 'setup');
    assert.deepEqual(plan.steps.map((s) => s.preview), FRESH_CALLS.map((c) => [buildInvocation(c)]));
    assert.deepEqual(plan.steps.map((s) => s.id), ['group', 'identity:offline', 'identity:online', 'firewall', 'runner', 'traverse', `workspace:${WS}`]);
    assert.ok(plan.steps.every((s) => s.journaled === false && s.undo.length === 0), 'the module journals; the orchestrator does not');
    // Planning only read: one Get-CorralState (no offline identity yet, so no firewall check).
    assert.deepEqual(host.scripts, [buildInvocation({ operation: 'Get-CorralState', args: {} })]);
  });

  it('elevated: each apply() sends exactly its previewed text, in order', async () => {
    const host = makeHost({ state: EMPTY_STATE });
    const plan = await provisioner(host).planSetup(request());
    for (const step of plan.steps) await step.apply();
    assert.deepEqual(host.scripts.slice(1), plan.steps.map((s) => s.preview[0]));
  });

  it('a re-run on a provisioned machine plans nothing and lists what is unchanged', async () => {
    const host = makeHost({ state: provisioned() });
    const plan = await provisioner(host).planSetup(request());
    assert.deepEqual(plan.steps, []);
    assert.ok(plan.unchanged.includes('offline identity crl-off-alice'));
    assert.ok(plan.unchanged.includes(`workspace ${WS}`));
    assert.ok(plan.unchanged.includes('group crl-grp-alice of alice'));
    assert.deepEqual(host.scripts.map((s) => parseCall(s)!.operation), ['Get-CorralState', 'Test-CorralFirewallEffective']);
    assert.deepEqual(parseCall(host.scripts[1]!)!.args, { User: 'alice', NoThrow: true });
  });

  it('drift: each drifted item is repaired by its own function, nothing else', async () => {
    const host = makeHost({
      state: provisioned({ identity: { hidden: false, credential: false }, acePresent: false }),
      firewall: { Effective: false, Reasons: ['the firewall is not enabled on the Public profile'], Rules: [{ name: 'r', inForce: true }] },
    });
    const plan = await provisioner(host).planSetup(request());
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)), [
      { operation: 'Set-CorralIdentity', args: { User: 'alice', Network: 'offline' } },
      { operation: 'Update-CorralCredential', args: { User: 'alice', Network: 'offline' } },
      { operation: 'New-CorralFirewallRule', args: { User: 'alice', ProxyPort: PROXY } },
      { operation: 'Grant-CorralWorkspace', args: { User: 'alice', Path: WS, Protected: policy.protected, DenyRead: policy.denyRead } },
    ]);
    assert.match(plan.steps[2]!.title, /not enabled on the Public profile/);
  });

  it('a new workspace: traverse for all workspaces, a grant for the new one only', async () => {
    const hostile = "C:\\Users\\alice\\o'b $(x) `n;\\😀";
    const host = makeHost({ state: provisioned() });
    const plan = await provisioner(host).planSetup(request({}, [WS, hostile]));
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)), [
      { operation: 'Grant-CorralTraverse', args: { User: 'alice', Workspace: [WS, hostile], DenyRead: policy.denyRead } },
      { operation: 'Grant-CorralWorkspace', args: { User: 'alice', Path: hostile, Protected: policy.protected, DenyRead: policy.denyRead } },
    ]);
    assert.ok(plan.steps.every((s) => !s.preview[0]!.includes('$(x)')));
  });

  it('loopback ports and the online network reach the module as data', async () => {
    const host = makeHost({ state: provisioned({ network: 'offline' }), firewall: { Effective: true, Reasons: [], Rules: [] } });
    const plan = await provisioner(host).planSetup(request({ loopback: [8080, 3000] }, [WS], 'online'));
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)), [
      { operation: 'New-CorralFirewallRule', args: { User: 'alice', LoopbackPort: [3000, 8080], ProxyPort: PROXY } },
      {
        operation: 'Install-Corral',
        args: { User: 'alice', Workspace: [WS], Network: 'online', Protected: policy.protected, DenyRead: policy.denyRead, LoopbackPort: [3000, 8080], ProxyPort: PROXY },
      },
    ]);
  });

  it('the proxy port: a setup from before it (no rule set recorded) gets the port rules; the recorded port is kept; --proxy-port moves it', async () => {
    const older = await provisioner(makeHost({ state: provisioned({ firewall: null }) })).planSetup(request());
    assert.deepEqual(older.steps.map((s) => parseCall(s.preview[0]!)), [{ operation: 'New-CorralFirewallRule', args: { User: 'alice', ProxyPort: PROXY } }]);
    assert.match(older.steps[0]!.title, /no rule set recorded: set up before allowlist sessions on Windows/);
    // A port chosen at an earlier setup stays when no --proxy-port is given: nothing to do.
    const kept = await provisioner(makeHost({ state: provisioned({ firewall: { proxyPort: 45000, loopbackPorts: [] } }) })).planSetup(request());
    assert.deepEqual(kept.steps, []);
    assert.ok(kept.unchanged.includes('firewall rules of crl-off-alice (proxy port 45000)'), kept.unchanged.join('; '));
    const moved = await provisioner(makeHost({ state: provisioned() })).planSetup({ ...request(), proxyPort: 45001 });
    assert.deepEqual(moved.steps.map((s) => parseCall(s.preview[0]!)), [{ operation: 'New-CorralFirewallRule', args: { User: 'alice', ProxyPort: 45001 } }]);
    assert.match(moved.steps[0]!.title, new RegExp(`written for proxy port ${PROXY}, now 45001`));
    // Loopback ports changed in the config since the rules were written: re-applied too.
    const loopback = await provisioner(makeHost({ state: provisioned() })).planSetup(request({ loopback: [5432] }));
    assert.deepEqual(loopback.steps.map((s) => parseCall(s.preview[0]!)), [{ operation: 'New-CorralFirewallRule', args: { User: 'alice', LoopbackPort: [5432], ProxyPort: PROXY } }]);
  });

  it('an older grant (identity SIDs, machine-wide group, no own group yet): the group is made, then traverse and the workspace re-granted', async () => {
    const state = provisioned();
    delete (state.Recorded.users.alice as { group?: unknown }).group;
    (state.Found.users.alice as { group: unknown }).group = userGroupFound({ recorded: false, exists: false, sidMatches: false, sid: null, members: [], membersMatch: false });
    state.Found.aces = [
      { path: WS, sid: OFFLINE_SID, type: 'Allow', scope: `workspace:${WS.toLowerCase()}`, present: true },
      { path: WS, sid: ONLINE_SID, type: 'Allow', scope: `workspace:${WS.toLowerCase()}`, present: true },
      { path: WS, sid: CAP, type: 'Allow', scope: `workspace:${WS.toLowerCase()}`, present: true },
      { path: 'C:\\src', sid: GROUP_SID, type: 'Allow', scope: 'traverse:alice', present: true },
    ];
    const plan = await provisioner(makeHost({ state })).planSetup(request());
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)), [
      { operation: 'Install-CorralUserGroup', args: { User: 'alice' } },
      { operation: 'Grant-CorralTraverse', args: { User: 'alice', Workspace: [WS], DenyRead: policy.denyRead } },
      { operation: 'Grant-CorralWorkspace', args: { User: 'alice', Path: WS, Protected: policy.protected, DenyRead: policy.denyRead } },
    ]);
    assert.match(plan.steps[2]!.title, /crl-grp-alice .*2 ACEs name another SID/);
  });

  it('a workspace ACE naming an identity SID alongside the right ones is re-granted (a session for another workspace could write it)', async () => {
    const state = provisioned();
    state.Found.aces.push({ path: WS, sid: OFFLINE_SID, type: 'Allow', scope: `workspace:${WS.toLowerCase()}`, present: true });
    const plan = await provisioner(makeHost({ state })).planSetup(request());
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)!.operation), ['Grant-CorralWorkspace']);
  });

  it('the own group with a foreign member: only the group is repaired (its SID, hence the grants, stay)', async () => {
    const state = provisioned();
    (state.Found.users.alice as { group: unknown }).group = userGroupFound({ members: [OFFLINE_SID, ONLINE_SID, 'S-1-5-21-7-7-7-1500'], membersMatch: false });
    const plan = await provisioner(makeHost({ state })).planSetup(request());
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)), [{ operation: 'Install-CorralUserGroup', args: { User: 'alice' } }]);
    assert.match(plan.steps[0]!.title, /membersMatch is false/);
  });

  it('a missing runner is reinstalled; an account of the same name not ours is left to the module to refuse', async () => {
    const host = makeHost({ state: provisioned({ runnerInstalled: false, identity: { sidMatches: false } }) });
    const plan = await provisioner(host).planSetup(request());
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)!.operation), ['New-CorralIdentity', 'New-CorralFirewallRule', 'Install-CorralRunner']);
    assert.deepEqual(parseCall(plan.steps[1]!.preview[0]!)!.args, { User: 'alice', ProxyPort: PROXY });
  });

  it("a step's module error reaches the CLI as its mapped code", async () => {
    const host = makeHost({
      state: EMPTY_STATE,
      step: (op) => (op === 'Install-CorralGroup' ? fail('CorralNotElevated', 'Run elevated.') : ok(null)),
    });
    const plan = await provisioner(host).planSetup(request());
    await assert.rejects(plan.steps[0]!.apply(), (err) => isCorralError(err, 'not_elevated'));
  });

  it('a state the module reports in an unknown shape is internal, not guessed at', async () => {
    const host = makeHost({ state: { ...EMPTY_STATE, Found: { group: 'nope' } } });
    await assert.rejects(provisioner(host).planSetup(request()), (err) => isCorralError(err, 'internal') && /Found/.test(err.message));
  });
});

describe('windows plan: not elevated — one UAC prompt for the whole plan', () => {
  let tempRoot: string;
  beforeEach(async () => (tempRoot = await mkdtemp(path.join(tmpdir(), 'ctest-wplan-'))));
  afterEach(async () => rm(tempRoot, { recursive: true, force: true }));

  it('applies every step through one elevated run whose plan file holds exactly the previews', async () => {
    let planFile: PlanFile | null = null;
    const host = new FakePowerShellHost(async (script) => {
      const call = parseCall(script);
      if (call?.operation === 'Get-CorralState') return ok(EMPTY_STATE);
      // The launcher: act as elevated-host.ps1.
      const b64 = /FromBase64String\('([^']*)'\)/.exec(script)![1]!;
      const argv = splitWindowsCommandLine((JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { arguments: string }).arguments);
      const resultFile = argv[argv.indexOf('-ResultFile') + 1]!;
      planFile = JSON.parse(await readFile(argv[argv.indexOf('-PlanFile') + 1]!, 'utf8')) as PlanFile;
      for (const s of planFile.steps) {
        await appendFile(resultFile, `${JSON.stringify({ event: 'step', index: s.index, output: ok({ op: s.operation }) })}\n`);
      }
      await appendFile(resultFile, `${JSON.stringify({ event: 'done' })}\n`);
      return ok({ exitCode: 0 });
    });
    const prov = provisioner(host, false, tempRoot);
    const plan = await prov.planSetup(request());
    assert.ok(plan.warnings.some((w) => /elevation once \(UAC\)/.test(w)));
    for (const step of plan.steps) await step.apply();
    await prov.close();
    assert.equal(host.scripts.length, 2, 'Get-CorralState, then one launcher for all steps');
    assert.deepEqual(
      (planFile as unknown as PlanFile).steps.map((s) => `Invoke-CorralOperation -Operation '${s.operation}' -ArgumentsBase64 '${s.argumentsBase64}'`),
      plan.steps.map((s) => s.preview[0]),
    );
    assert.equal(host.closed, true);
  });

  it('a cancelled UAC prompt fails the first step with elevation_cancelled (exit 4)', async () => {
    const host = new FakePowerShellHost((script) =>
      parseCall(script)?.operation === 'Get-CorralState' ? ok(EMPTY_STATE) : fail('CorralElevationCancelled', 'The operation was canceled by the user'),
    );
    const prov = provisioner(host, false, tempRoot);
    const plan = await prov.planSetup(request());
    await assert.rejects(plan.steps[0]!.apply(), (err) => isCorralError(err, 'elevation_cancelled') && err.exitCode === 4);
    await prov.close();
  });
});

describe('windows plan: module warnings', () => {
  it("warnings of the reading calls reach the plan's and the report's warnings", async () => {
    const stateLine = `${JSON.stringify({ ok: true, result: provisioned(), warnings: ['profile of crl-on-alice is loaded'] })}\n`;
    const host = new FakePowerShellHost((script) => (parseCall(script)!.operation === 'Get-CorralState' ? stateLine : ok(FIREWALL_OK)));
    const prov = provisioner(host);
    assert.deepEqual((await prov.planSetup(request())).warnings, ['Get-CorralState: profile of crl-on-alice is loaded']);
    assert.deepEqual((await prov.status()).warnings, ['Get-CorralState: profile of crl-on-alice is loaded']);
  });
});

describe('windows plan: status', () => {
  it('all ok on a provisioned machine', async () => {
    const report = await provisioner(makeHost({ state: provisioned() })).status();
    assert.equal(report.platform, 'windows');
    assert.equal(report.provisioned, true);
    assert.deepEqual(report.items.filter((i) => i.state !== 'ok'), []);
    assert.deepEqual(report.items.map((i) => i.id), [
      'group',
      'identity:alice:offline', 'credential:alice:offline',
      'identity:alice:online', 'credential:alice:online',
      'usergroup:alice',
      'firewall:alice', `workspace:alice:${WS}`, 'traverse:alice', 'runner',
    ]);
  });

  it('drift, missing pieces, and a firewall that could not be checked', async () => {
    const report = await provisioner(
      makeHost({
        state: provisioned({ identity: { inGroup: false, credential: false }, acePresent: false, runnerInstalled: false }),
        firewall: fail('CorralStepFailed', 'Access is denied'),
      }),
    ).status();
    const byId = Object.fromEntries(report.items.map((i) => [i.id, i]));
    assert.equal(byId['identity:alice:offline']!.state, 'drifted');
    assert.equal(byId['identity:alice:offline']!.detail, 'inGroup is false');
    assert.equal(byId['credential:alice:offline']!.state, 'missing');
    assert.equal(byId['firewall:alice']!.state, 'unchecked');
    assert.match(byId['firewall:alice']!.detail!, /Access is denied/);
    assert.equal(byId[`workspace:alice:${WS}`]!.state, 'drifted');
    assert.equal(byId[`workspace:alice:${WS}`]!.detail, '1 of 2 ACEs missing');
    assert.equal(byId['runner']!.state, 'missing');
  });

  it('an own group with other members, and a workspace ACE naming an identity SID, are drift', async () => {
    const state = provisioned();
    (state.Found.users.alice as { group: unknown }).group = userGroupFound({ members: [OFFLINE_SID], membersMatch: false });
    state.Found.aces.push({ path: WS, sid: ONLINE_SID, type: 'Allow', scope: `workspace:${WS.toLowerCase()}`, present: true });
    const report = await provisioner(makeHost({ state })).status();
    const byId = Object.fromEntries(report.items.map((i) => [i.id, i]));
    assert.equal(byId['usergroup:alice']!.state, 'drifted');
    assert.equal(byId['usergroup:alice']!.detail, 'membersMatch is false');
    assert.equal(byId[`workspace:alice:${WS}`]!.state, 'drifted');
    assert.match(byId[`workspace:alice:${WS}`]!.detail!, /1 ACEs name a SID other than/);
  });

  it('the firewall rule set: one recorded before the proxy port is drift naming the remedy; a mismatch the module finds is drift with its reason', async () => {
    const older = await provisioner(makeHost({ state: provisioned({ firewall: null }) })).status();
    const item = older.items.find((i) => i.id === 'firewall:alice')!;
    assert.equal(item.state, 'drifted');
    assert.match(item.detail!, /set up before allowlist sessions on Windows\): run `corral setup`/);
    const edited = await provisioner(
      makeHost({ state: provisioned(), firewall: { Effective: false, Reasons: ['firewall rule Corral-crl-off-alice-loopback-tcp does not match the recorded rule set (its ports, addresses, user or action changed)'], Rules: [{ name: 'r', inForce: true }] } }),
    ).status();
    const mismatch = edited.items.find((i) => i.id === 'firewall:alice')!;
    assert.equal(mismatch.state, 'drifted');
    assert.match(mismatch.detail!, /loopback-tcp does not match the recorded rule set/);
  });

  it('nothing provisioned', async () => {
    const report = await provisioner(makeHost({ state: EMPTY_STATE })).status();
    assert.equal(report.provisioned, false);
    assert.deepEqual(report.items.map((i) => [i.id, i.state]), [['group', 'missing']]);
  });
});

describe('windows plan: teardown', () => {
  it('each resource removed by its own function, newest first, then Uninstall-Corral', async () => {
    const host = makeHost({ state: provisioned() });
    const plan = await provisioner(host).planTeardown();
    assert.equal(plan.action, 'teardown');
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)), [
      { operation: 'Revoke-CorralWorkspace', args: { User: 'alice', Path: WS } },
      { operation: 'Revoke-CorralTraverse', args: { User: 'alice' } },
      { operation: 'Remove-CorralFirewallRule', args: { User: 'alice' } },
      { operation: 'Remove-CorralIdentity', args: { User: 'alice', Network: 'online' } },
      { operation: 'Remove-CorralIdentity', args: { User: 'alice', Network: 'offline' } },
      { operation: 'Uninstall-Corral', args: { Force: true } },
    ]);
    assert.ok(plan.steps.every((s) => s.journaled === false));
  });

  it('an interrupted run with only journal entries still gets Uninstall-Corral', async () => {
    const state = { ...EMPTY_STATE, Found: { ...EMPTY_STATE.Found, journalOpen: 2 } };
    const plan = await provisioner(makeHost({ state })).planTeardown();
    assert.deepEqual(plan.steps.map((s) => parseCall(s.preview[0]!)!.operation), ['Uninstall-Corral']);
  });

  it('nothing installed: no steps', async () => {
    const plan = await provisioner(makeHost({ state: EMPTY_STATE })).planTeardown();
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(plan.unchanged, ['nothing is provisioned']);
  });
});
