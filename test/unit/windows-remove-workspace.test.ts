/**
 * `corral setup --remove-workspace DIR` on Windows: the pure plan (remove-workspace-plan.ts)
 * from Get-CorralState's facts — which module calls, with which arguments, what stays — and the
 * same through the real WindowsProvisioner with a recording fake PowerShell session (the exact
 * text a step sends). Each half-applied machine a stopped run can leave is planned again.
 */
import assert from 'node:assert/strict';
import { isCorralError } from '../../core/errors.js';
import { windowsInstallation } from '../../core/installation.js';
import { workspaceHomeName } from '../../core/workspace-id.js';
import { buildInvocation } from '../../orchestrator/provision/windows/command.js';
import { WindowsProvisioner } from '../../orchestrator/provision/windows/provisioner.js';
import { ancestorsOf, planRemoveWorkspaceCalls } from '../../orchestrator/provision/windows/remove-workspace-plan.js';
import { parseCorralState } from '../../orchestrator/provision/windows/state-report.js';
import { FakePowerShellHost, ok, parseCall } from './windows-fake-host.js';

const GROUP = 'S-1-5-21-1-2-3-1300';
const CAP_APP = 'S-1-5-21-9-9-9-1';
const CAP_WEB = 'S-1-5-21-9-9-9-2';
const APP = 'C:\\src\\app';
const WEB = 'C:\\Users\\alice\\web';

interface Machine {
  workspaces?: Array<{ path: string; capabilitySid: string }>;
  aces?: Array<{ path: string; scope: string; sid?: string }>;
  profiles?: Record<string, string[]>;
  bob?: boolean;
}

const ws = (p: string) => `workspace:${p.toLowerCase()}`;
const TRAVERSE_ALL = [
  { path: 'C:\\src', scope: 'traverse:alice' },
  { path: 'C:\\Users', scope: 'traverse:alice' },
  { path: 'C:\\Users\\alice', scope: 'traverse:alice' },
  { path: 'C:\\Users\\alice\\.cargo', scope: 'traverse:alice' },
];
const BOTH = { offline: [workspaceHomeName(APP), workspaceHomeName(WEB)], online: [workspaceHomeName(APP), workspaceHomeName(WEB)] };

/** Get-CorralState of alice with APP and WEB provisioned (traverse on C:\src, C:\Users, C:\Users\alice; a toolchain), unless told otherwise. */
function state(m: Machine = {}) {
  const workspaces = m.workspaces ?? [
    { path: APP, capabilitySid: CAP_APP },
    { path: WEB, capabilitySid: CAP_WEB },
  ];
  const aces: Array<{ path: string; scope: string; sid?: string }> = m.aces ?? [
    { path: APP, scope: ws(APP) },
    { path: `${APP}\\.git`, scope: ws(APP), sid: 'S-1-1-0' },
    { path: WEB, scope: ws(WEB) },
    ...TRAVERSE_ALL,
  ];
  const users: Record<string, unknown> = {
    alice: {
      sid: 'S-1-5-21-1-2-3-1001',
      identities: { offline: { name: 'crl-off-alice', sid: 'S-1-5-21-1-2-3-1201' }, online: { name: 'crl-on-alice', sid: 'S-1-5-21-1-2-3-1202' } },
      group: { name: 'crl-grp-alice', sid: GROUP },
      network: 'offline',
      workspaces,
    },
  };
  if (m.bob === true) {
    users.bob = { sid: 'S-1-5-21-1-2-3-1005', identities: {}, workspaces: [{ path: 'D:\\bob\\proj', capabilitySid: 'S-1-5-21-9-9-9-3' }] };
  }
  return parseCorralState({
    Installation: 'corral',
    Provisioned: true,
    Recorded: { version: 1, installation: 'corral', users, runner: null },
    Found: {
      group: { name: 'CorralSandboxUsers', exists: true, sid: 'S-1-5-21-1-2-3-1100' },
      users: { alice: { identities: {}, workspaceProfiles: m.profiles ?? BOTH } },
      firewallRules: [],
      aces: aces.map((a) => ({ path: a.path, sid: a.sid ?? GROUP, type: a.sid === 'S-1-1-0' ? 'Deny' : 'Allow', scope: a.scope, present: true })),
      runner: { installed: true },
      journalOpen: 0,
    },
    Drift: [],
  });
}

const plan = (s: ReturnType<typeof state>, ...candidates: string[]) => planRemoveWorkspaceCalls({ user: 'alice', candidates, state: s });
const calls = (p: ReturnType<typeof plan>) => p.calls.map((c) => c.call);

describe('windows remove-workspace plan', () => {
  it('ancestorsOf: the folders above a path, below its drive root, normalized', () => {
    assert.deepEqual(ancestorsOf('C:\\Users\\Alice\\src\\app\\'), ['c:\\users\\alice\\src', 'c:\\users\\alice', 'c:\\users']);
    assert.deepEqual(ancestorsOf('C:\\app'), []);
    assert.deepEqual(ancestorsOf('/tmp/x/ws'), ['\\tmp\\x', '\\tmp']);
  });

  it('revokes the workspace (state, ACEs with the deny entries, profile folders) and the traverse ACE only it needed; the other workspace and the toolchain keep theirs', () => {
    const p = plan(state(), APP);
    assert.deepEqual(calls(p), [
      { operation: 'Revoke-CorralWorkspace', args: { User: 'alice', Path: APP } },
      { operation: 'Revoke-CorralTraverse', args: { User: 'alice', Path: ['C:\\src'] } },
    ]);
    assert.match(p.calls[0]!.title, /forget it in the state.*remove its 2 ACEs \(the grant and the protected paths' deny entries\).*delete the offline and online identities' profile folders/);
    assert.ok(p.unchanged.includes(`workspace ${WEB}`), p.unchanged.join('\n'));
    assert.deepEqual(p.warnings, []);
  });

  it('keeps traverse ACEs a remaining workspace needs, and the ones above a toolchain, saying why', () => {
    // Removing WEB (C:\Users\alice\web): C:\Users\alice and C:\Users are above the .cargo toolchain.
    const p = plan(state(), WEB);
    assert.deepEqual(calls(p), [{ operation: 'Revoke-CorralWorkspace', args: { User: 'alice', Path: WEB } }]);
    assert.ok(p.unchanged.some((u) => /^C:\\Users\\alice stays traversable .*\.cargo needs it/.test(u)), p.unchanged.join('\n'));
    // Without the toolchain, they go (deepest first).
    const noTool = plan(state({ aces: [{ path: WEB, scope: ws(WEB) }, ...TRAVERSE_ALL.slice(0, 3)] }), WEB);
    assert.deepEqual(calls(noTool)[1], { operation: 'Revoke-CorralTraverse', args: { User: 'alice', Path: ['C:\\Users\\alice', 'C:\\Users'] } });
    // A remaining workspace under C:\Users\alice keeps both.
    const kept = plan(
      state({
        workspaces: [
          { path: WEB, capabilitySid: CAP_WEB },
          { path: 'C:\\Users\\alice\\api', capabilitySid: CAP_APP },
        ],
        aces: [{ path: WEB, scope: ws(WEB) }, ...TRAVERSE_ALL.slice(1, 3)],
      }),
      WEB,
    );
    assert.equal(calls(kept).length, 1);
    assert.ok(kept.unchanged.some((u) => u.startsWith('C:\\Users\\alice stays traversable') && u.includes('workspace C:\\Users\\alice\\api needs it')), kept.unchanged.join('\n'));
  });

  it('the last workspace: its traverse ACEs go, the toolchain ones and the identities stay', () => {
    const p = plan(state({ workspaces: [{ path: APP, capabilitySid: CAP_APP }], aces: [{ path: APP, scope: ws(APP) }, ...TRAVERSE_ALL] }), APP);
    assert.deepEqual(calls(p)[1], { operation: 'Revoke-CorralTraverse', args: { User: 'alice', Path: ['C:\\src'] } });
    assert.ok(p.unchanged.includes("alice's identities, groups, credentials and firewall rules"));
  });

  it('finds the workspace in another spelling (case, trailing separator) and sends the recorded one', () => {
    assert.deepEqual(calls(plan(state(), 'c:\\SRC\\App\\'))[0], { operation: 'Revoke-CorralWorkspace', args: { User: 'alice', Path: APP } });
    // The second candidate (the resolved path) when the given one is unknown.
    assert.deepEqual(calls(plan(state(), 'C:\\link-to-app', APP))[0]!.args.Path, APP);
  });

  it('a run stopped after the state was written: the open ACEs, the folders and the traverse ACE are planned again', () => {
    const afterState = state({ workspaces: [{ path: WEB, capabilitySid: CAP_WEB }] });
    const p = plan(afterState, APP);
    assert.deepEqual(calls(p), [
      { operation: 'Revoke-CorralWorkspace', args: { User: 'alice', Path: APP } },
      { operation: 'Revoke-CorralTraverse', args: { User: 'alice', Path: ['C:\\src'] } },
    ]);
    assert.doesNotMatch(p.calls[0]!.title, /forget it/);
    assert.match(p.warnings.join('\n'), /no longer recorded: finishing a removal that stopped half-way/);
  });

  it('a run stopped after the profile folders (seen unelevated: no profile facts) still has ACEs to plan; folders alone (elevated view) too; then only the traverse ACE; then not provisioned', () => {
    const wsOnly = [{ path: WEB, capabilitySid: CAP_WEB }];
    const unelevated = plan(state({ workspaces: wsOnly, profiles: {} }), APP);
    assert.deepEqual(calls(unelevated).map((c) => c.operation), ['Revoke-CorralWorkspace', 'Revoke-CorralTraverse']);
    assert.match(unelevated.calls[0]!.title, /^Revoke workspace C:\\src\\app: remove its 2 ACEs/);
    const noAces = [{ path: WEB, scope: ws(WEB) }, ...TRAVERSE_ALL];
    const p1 = plan(state({ workspaces: wsOnly, aces: noAces }), APP);
    assert.deepEqual(calls(p1).map((c) => c.operation), ['Revoke-CorralWorkspace', 'Revoke-CorralTraverse']);
    assert.match(p1.calls[0]!.title, /^Revoke workspace C:\\src\\app: delete the offline and online identities' profile folders for it$/);
    const p2 = plan(state({ workspaces: wsOnly, aces: noAces, profiles: { offline: [workspaceHomeName(WEB)], online: [workspaceHomeName(WEB)] } }), APP);
    assert.deepEqual(calls(p2), [{ operation: 'Revoke-CorralTraverse', args: { User: 'alice', Path: ['C:\\src'] } }]);
    const done = state({ workspaces: wsOnly, aces: noAces.filter((a) => a.path !== 'C:\\src'), profiles: { offline: [workspaceHomeName(WEB)] } });
    assert.throws(() => plan(done, APP), (e: unknown) => isCorralError(e) && e.code === 'not_provisioned');
  });

  it('not provisioned: names the workspace and the user, lists their workspaces; one of another user names that user', () => {
    const s = state({ bob: true });
    assert.throws(
      () => plan(s, 'C:\\elsewhere'),
      (e: unknown) =>
        isCorralError(e) &&
        e.code === 'not_provisioned' &&
        e.message === 'C:\\elsewhere is not a provisioned workspace of alice' &&
        /alice's provisioned workspaces: C:\\src\\app, C:\\Users\\alice\\web/.test(e.remedy ?? '') &&
        (e.details as { workspaces: string[] }).workspaces.length === 2,
    );
    assert.throws(
      () => plan(s, 'D:\\bob\\proj'),
      (e: unknown) => isCorralError(e) && e.code === 'not_provisioned' && /--user bob/.test(e.remedy ?? '') && (e.details as { provisionedFor?: string }).provisionedFor === 'bob',
    );
  });

  it('nested workspaces are refused (workspace_invalid), both ways round', () => {
    const s = state({
      workspaces: [
        { path: APP, capabilitySid: CAP_APP },
        { path: `${APP}\\sub`, capabilitySid: CAP_WEB },
      ],
    });
    for (const w of [APP, `${APP}\\sub`]) assert.throws(() => plan(s, w), (e: unknown) => isCorralError(e) && e.code === 'workspace_invalid');
  });

  it('an older module without workspaceProfiles: parsed, the workspace still planned from its record', () => {
    const raw = JSON.parse(JSON.stringify(state())) as { Found: { users: { alice: Record<string, unknown> } } };
    delete raw.Found.users.alice.workspaceProfiles;
    const p = planRemoveWorkspaceCalls({ user: 'alice', candidates: [APP], state: parseCorralState(raw) });
    assert.equal(p.calls[0]!.call.operation, 'Revoke-CorralWorkspace');
  });
});

describe('windows remove-workspace through the provisioner', () => {
  const installation = windowsInstallation('corral', { ProgramData: 'C:\\ProgramData', ProgramFiles: 'C:\\Program Files' });
  function provisioner(host: FakePowerShellHost): WindowsProvisioner {
    return new WindowsProvisioner({
      installation,
      host,
      elevated: true,
      elevation: { powershellExe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', hostScript: 'C:\\corral\\elevated-host.ps1', tempRoot: 'C:\\tmp', pollIntervalMs: 1 },
      runnerSource: 'C:\\tools\\corral',
      nodePath: 'C:\\node.exe',
      currentUser: async () => ({ name: 'alice', sid: 'S-1-5-21-1-2-3-1001', home: 'C:\\Users\\alice' }),
    });
  }

  it('previews and sends exactly Invoke-CorralOperation with base64 arguments, in order, unjournaled by the orchestrator', async () => {
    const sent: string[] = [];
    const host = new FakePowerShellHost((script) => {
      const call = parseCall(script);
      if (call === null) throw new Error(`unexpected script: ${script.slice(0, 80)}`);
      if (call.operation === 'Get-CorralState') return ok(state());
      sent.push(script);
      return ok({ Changed: true });
    });
    const prov = provisioner(host);
    const p = await prov.planRemoveWorkspace({ realUser: { name: 'alice', sid: 'S-1-5-21-1-2-3-1001', home: 'C:\\Users\\alice' }, workspace: APP });
    assert.equal(p.action, 'remove-workspace');
    const expected = [
      buildInvocation({ operation: 'Revoke-CorralWorkspace', args: { User: 'alice', Path: APP } }),
      buildInvocation({ operation: 'Revoke-CorralTraverse', args: { User: 'alice', Path: ['C:\\src'] } }),
    ];
    assert.deepEqual(p.steps.map((s) => s.preview), expected.map((e) => [e]));
    assert.ok(p.steps.every((s) => s.journaled === false));
    for (const s of p.steps) await s.apply();
    assert.deepEqual(sent, expected);
    await prov.close();
  });
});
