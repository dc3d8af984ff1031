/**
 * What Get-CorralState returns (ps-module/Corral/Public/Get-CorralState.ps1), parsed into
 * typed facts: the state as recorded (%ProgramData%\Corral\state.json) and as found on
 * the machine. Parsing is strict about what the planner relies on and tolerant of extra
 * fields (a newer module may add some). PowerShell's JSON may give a one-element list as a
 * bare object, so lists are normalised.
 */
import { z } from 'zod';
import { CorralError } from '../../../core/errors.js';
import { windowsPaths } from '../../../core/paths.js';

const list = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item));
const record = <T extends z.ZodTypeAny>(item: T) => z.preprocess((v) => (v === null || v === undefined ? {} : v), z.record(z.string(), item));

const AccountRecord = z.looseObject({ name: z.string(), sid: z.string().nullable().optional() });
const WorkspaceRecord = z.looseObject({ path: z.string(), capabilitySid: z.string().nullable().optional() });
/** users.<user>.group: the user's own group (Install-CorralUserGroup); absent before it exists. */
const GroupRecord = z.looseObject({ name: z.string(), sid: z.string().nullable().optional() });
/**
 * users.<user>.firewall: what New-CorralFirewallRule wrote the offline identity's rules for
 * (the allowlist proxy's loopback port, 0 for none; the allowed loopback ports). Absent: a
 * setup from before it was recorded.
 */
const FirewallRecord = z.looseObject({ proxyPort: z.number().int().min(0).max(65535), loopbackPorts: list(z.number().int()) });
const UserRecord = z.looseObject({
  sid: z.string().nullable().optional(),
  firewall: FirewallRecord.nullable().optional(),
  group: GroupRecord.nullable().optional(),
  identities: z.preprocess((v) => v ?? {}, z.looseObject({ offline: AccountRecord.nullable().optional(), online: AccountRecord.nullable().optional() })),
  network: z.string().nullable().optional(),
  workspaces: list(WorkspaceRecord),
});
const IdentityFound = z.looseObject({
  name: z.string(),
  exists: z.boolean(),
  sidMatches: z.boolean(),
  enabled: z.boolean(),
  hidden: z.boolean(),
  inGroup: z.boolean(),
  profile: z.boolean(),
  credential: z.boolean(),
});
/** Found.users.<user>.group (Get-CorralUserGroupFacts): membersMatch = exactly the user's identities. */
const UserGroupFound = z.looseObject({
  name: z.string(),
  recorded: z.boolean(),
  exists: z.boolean(),
  sidMatches: z.boolean(),
  sid: z.string().nullable().optional(),
  members: list(z.string()),
  membersMatch: z.boolean(),
});
const AceFound = z.looseObject({
  path: z.string(),
  sid: z.string(),
  type: z.string(),
  scope: z.string(),
  present: z.boolean(),
});

export const CorralStateSchema = z.looseObject({
  Installation: z.string(),
  Provisioned: z.boolean(),
  Recorded: z.looseObject({
    version: z.literal(1),
    installation: z.string(),
    users: record(UserRecord),
    runner: z.looseObject({ dir: z.string(), node: z.string(), entry: z.string() }).nullable().optional(),
  }),
  Found: z.looseObject({
    group: z.looseObject({ name: z.string(), exists: z.boolean(), sid: z.string().nullable().optional() }),
    users: record(
      z.looseObject({
        identities: z.preprocess(
          (v) => v ?? {},
          z.looseObject({ offline: IdentityFound.nullable().optional(), online: IdentityFound.nullable().optional() }),
        ),
        group: UserGroupFound.nullable().optional(),
        /** The ws-<id> folders under each identity's <profile>\corral-ws (absent from an older module). */
        workspaceProfiles: z.preprocess((v) => v ?? {}, z.record(z.string(), list(z.string()))),
      }),
    ),
    firewallRules: list(z.looseObject({ name: z.string() })),
    aces: list(AceFound),
    runner: z.looseObject({ installed: z.boolean() }),
    journalOpen: z.number().int().nonnegative(),
  }),
  Drift: list(z.string()),
});

export type CorralState = z.infer<typeof CorralStateSchema>;
export type FirewallRecordFacts = z.infer<typeof FirewallRecord>;
export type IdentityFacts = z.infer<typeof IdentityFound>;
export type UserGroupFacts = z.infer<typeof UserGroupFound>;

/** Which checks of a user's own group failed (empty: in place, exactly the user's identities). */
export function userGroupProblems(found: UserGroupFacts | null | undefined): string[] {
  if (found === null || found === undefined) return ['not reported'];
  return (['recorded', 'exists', 'sidMatches', 'membersMatch'] as const).filter((k) => !found[k]).map((k) => `${k} is false`);
}

/**
 * The SID grants of `user` must name (their own group, as recorded and found), or null while
 * the group is to be (re)made. Wrong members do not change the SID: only the group is repaired.
 */
export function userGroupSid(state: CorralState, user: string): string | null {
  const found = state.Found.users[user]?.group;
  if (found === null || found === undefined || !found.recorded || !found.exists || !found.sidMatches) return null;
  return found.sid ?? null;
}

/**
 * Journaled ACEs of one scope that name a SID other than `allowed` — left by an older grant
 * (identity SIDs or the machine-wide group). Any is a security drift: the grant function
 * re-run replaces them. With no group SID known, every ACE of the scope counts.
 */
export function staleAces(state: CorralState, scope: string, allowed: ReadonlyArray<string | null | undefined>): number {
  const ok = new Set(allowed.filter((s): s is string => typeof s === 'string' && s.length > 0));
  return state.Found.aces.filter((a) => a.scope.toLowerCase() === scope.toLowerCase() && !ok.has(a.sid)).length;
}

export function parseCorralState(result: unknown): CorralState {
  const parsed = CorralStateSchema.safeParse(result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CorralError(
      'internal',
      `Get-CorralState returned an unexpected shape at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      { details: { issues: parsed.error.issues.slice(0, 5) } },
    );
  }
  return parsed.data;
}

/** What Test-CorralFirewallEffective -NoThrow returns. */
export const FirewallFactsSchema = z.looseObject({
  Effective: z.boolean(),
  Reasons: list(z.string()),
  Rules: list(z.looseObject({ name: z.string(), inForce: z.boolean() })),
});
export type FirewallFacts = z.infer<typeof FirewallFactsSchema>;

export function parseFirewallFacts(result: unknown): FirewallFacts {
  const parsed = FirewallFactsSchema.safeParse(result);
  if (!parsed.success) {
    throw new CorralError('internal', `Test-CorralFirewallEffective returned an unexpected shape: ${parsed.error.issues[0]!.message}`);
  }
  return parsed.data;
}

/** Windows paths compare case-insensitively, separators and trailing separators normalised (core/paths.ts). */
export const samePath = windowsPaths.samePath;
