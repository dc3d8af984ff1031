/**
 * `corral status` on Windows: Get-CorralState (recorded and found) and, per user,
 * Test-CorralFirewallEffective, turned into status items. Pure; drift is reported, never
 * repaired here (setup repairs it).
 */
import type { ItemState, StatusItem, StatusReport } from '../../platform.js';
import { staleAces, userGroupProblems, userGroupSid, type CorralState, type FirewallFacts } from './state-report.js';

/** Per user: the firewall facts, or (a string) why they could not be read. */
export type FirewallByUser = Record<string, FirewallFacts | string>;

export function statusFromState(state: CorralState, firewall: FirewallByUser): StatusReport {
  const items: StatusItem[] = [];
  const warnings: string[] = [];
  const add = (id: string, kind: string, description: string, ok: boolean, missing: boolean, detail?: string) => {
    const s: ItemState = ok ? 'ok' : missing ? 'missing' : 'drifted';
    items.push(detail === undefined ? { id, kind, description, state: s } : { id, kind, description, state: s, detail });
  };

  const group = state.Found.group;
  add('group', 'group', `group ${group.name}`, group.exists, !group.exists);

  for (const user of Object.keys(state.Recorded.users).sort()) {
    const record = state.Recorded.users[user]!;
    for (const kind of ['offline', 'online'] as const) {
      const recorded = record.identities[kind];
      if (!recorded) continue;
      const found = state.Found.users[user]?.identities[kind] ?? null;
      if (found === null || !found.exists) {
        add(`identity:${user}:${kind}`, 'identity', `${kind} identity ${recorded.name} of ${user}`, false, true);
        continue;
      }
      const problems = (['sidMatches', 'enabled', 'hidden', 'inGroup', 'profile'] as const).filter((k) => !found[k]);
      add(`identity:${user}:${kind}`, 'identity', `${kind} identity ${recorded.name} of ${user}`, problems.length === 0, false,
        problems.length === 0 ? undefined : problems.map((p) => `${p} is false`).join(', '));
      add(`credential:${user}:${kind}`, 'credential', `stored password of ${recorded.name}`, found.credential, !found.credential);
    }
    const foundGroup = state.Found.users[user]?.group;
    const groupProblems = userGroupProblems(foundGroup);
    add(`usergroup:${user}`, 'group', `group ${foundGroup?.name ?? record.group?.name ?? '(unnamed)'} of ${user}'s identities`,
      groupProblems.length === 0, foundGroup === null || foundGroup === undefined || !foundGroup.exists,
      groupProblems.length === 0 ? undefined : groupProblems.join(', '));
    const groupSid = userGroupSid(state, user);
    if (record.identities.offline) {
      const facts = firewall[user];
      const description = `firewall rules of ${record.identities.offline.name}`;
      if (facts === undefined) {
        items.push({ id: `firewall:${user}`, kind: 'firewall', description, state: 'unchecked', detail: 'not checked' });
      } else if (typeof facts === 'string') {
        items.push({ id: `firewall:${user}`, kind: 'firewall', description, state: 'unchecked', detail: facts });
      } else {
        const missing = facts.Rules.length === 0;
        // A setup from before the allowlist proxy recorded no rule set: its rules hold, but no
        // allowlist session can run (the runner refuses them) until setup writes the port rules.
        const unrecorded = !missing && facts.Effective && (record.firewall === null || record.firewall === undefined);
        add(`firewall:${user}`, 'firewall', description, facts.Effective && !missing && !unrecorded, missing,
          missing ? 'no rules recorded'
            : !facts.Effective ? facts.Reasons.join('; ')
              : unrecorded ? 'no rule set recorded (set up before allowlist sessions on Windows): run `corral setup` to add the proxy port rules'
                : undefined);
      }
    }
    for (const w of record.workspaces) {
      const scope = `workspace:${w.path}`.toLowerCase();
      const aces = state.Found.aces.filter((a) => a.scope.toLowerCase() === scope);
      const missing = aces.filter((a) => !a.present).length;
      const stale = staleAces(state, scope, [groupSid, w.capabilitySid]);
      add(`workspace:${user}:${w.path}`, 'workspace', `workspace ${w.path} of ${user}`, aces.length > 0 && missing === 0 && stale === 0, aces.length === 0,
        missing > 0 ? `${missing} of ${aces.length} ACEs missing`
          : aces.length === 0 ? 'no ACEs recorded'
            : stale > 0 ? `${stale} ACEs name a SID other than the user's group and the capability SID (an older grant): run \`corral setup\``
              : undefined);
    }
    const traverse = state.Found.aces.filter((a) => a.scope.toLowerCase() === `traverse:${user}`.toLowerCase());
    if (traverse.length > 0) {
      const missing = traverse.filter((a) => !a.present).length;
      const stale = staleAces(state, `traverse:${user}`, [groupSid]);
      add(`traverse:${user}`, 'traverse', `traverse and toolchain ACEs of ${user}`, missing === 0 && stale === 0, false,
        missing > 0 ? `${missing} of ${traverse.length} ACEs missing`
          : stale > 0 ? `${stale} ACEs name a SID other than the user's group: run \`corral setup\`` : undefined);
    }
  }

  const runner = state.Recorded.runner;
  if (runner !== null && runner !== undefined) {
    add('runner', 'runner', `session runner in ${runner.dir}`, state.Found.runner.installed, !state.Found.runner.installed);
  } else if (state.Provisioned) {
    add('runner', 'runner', 'session runner', false, true, 'not installed');
  }

  if (state.Found.journalOpen > 0) {
    warnings.push(`${state.Found.journalOpen} journaled change(s) of an interrupted run are open; run \`corral setup --yes\` or \`corral teardown --yes\``);
  }
  // The module's own drift list, when it names something the items above do not show.
  if (items.every((i) => i.state === 'ok')) for (const line of state.Drift) warnings.push(`drift: ${line}`);
  return { installation: state.Installation, platform: 'windows', provisioned: state.Provisioned, items, warnings };
}
