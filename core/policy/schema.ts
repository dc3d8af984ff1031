/**
 * The policy schema: one strict zod schema for a config layer (unknown keys are errors),
 * every field described, types inferred from it. `corral policy schema` prints the JSON
 * Schema generated from it, for editors.
 */
import { z } from 'zod';
import { MIN_HOME_BYTES, MIN_MEMORY_BYTES, PUBLISH_MAX_PORTS, PUBLISH_MIN_PORT } from '../vocabulary.js';
import { GIT_ACCESS, MODES, NETWORKS, POLICY_KEYS, SHELLS } from './keys.js';
import type { GitAccess, Limits, Loopback, Mode, NetworkPolicy, ShellChoice } from '../vocabulary.js';
import { parseHostRule } from '../hosts.js';

export { MODES, NETWORKS, POLICY_KEYS, type PolicyKey } from './keys.js';

const pathList = (what: string) =>
  z
    .array(z.string().min(1, 'a path must not be empty'))
    .describe(`${what} Absolute paths, \`~/…\` (the real user's home), or — in a workspace config — paths relative to the workspace.`);

export const LimitsSchema = z
  .strictObject({
    timeoutSec: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 3600)
      .optional()
      .describe('Wall-clock limit of one command, in seconds; on expiry the command and all it started are killed (exit 124).'),
    maxOutputBytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Bytes of stdout plus stderr kept per command; beyond it output is cut and flagged, never dropped silently.'),
    pids: z.number().int().min(8).max(1_000_000).optional().describe('Most processes a session may hold at once.'),
    memoryBytes: z
      .number()
      .int()
      .min(MIN_MEMORY_BYTES)
      .optional()
      .describe('Memory of a whole session (its commands, their page cache, its /tmp, /var/tmp and /dev/shm), bytes, no swap beyond it; an allocation past it is killed inside the session ("killed: out of memory"). Default: half of the RAM.'),
    homeBytes: z
      .number()
      .int()
      .min(MIN_HOME_BYTES)
      .max(2 ** 50)
      .optional()
      .describe('Disk a session may write into HOME (the sandbox identity\'s home for this workspace, kept between its sessions), bytes; a write past it fails with ENOSPC. Linux: an ext4 image of this size mounted on HOME; it grows when the value grows, and never shrinks (`corral setup --remove-workspace` resets it). Not enforced on Windows. Default: 8 GiB.'),
  })
  .describe('Resource limits.');

export const EnvSchema = z
  .strictObject({
    allow: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'a variable name, optionally ending in *'))
      .optional()
      .describe(
        'Variables passed from the caller\'s environment (a trailing * matches a prefix). Secret-looking variables pass only when named exactly. Added to the built-in allowlist.',
      ),
    set: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional().describe('Variables set to fixed values.'),
  })
  .describe('Environment of sandboxed commands: clean by default.');

export const SessionSchema = z
  .strictObject({
    idleSec: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional()
      .describe(
        'Reusable sessions (Linux): how long a session `corral run` started stays, after its last command, for the next `corral run` with the same user, workspace and policy to reuse; 0: never kept (each run starts a fresh session). A workspace config may only lower it. Default: 0 — reuse is opted into, since a kept session delays what a session does at close (README).',
      ),
  })
  .describe('Reusable sessions.');

/** One allow/deny entry, checked with the same parser the proxy decides with (core/hosts.ts). */
const hostEntry = z.string().superRefine((entry, ctx) => {
  const parsed = parseHostRule(entry);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `a host entry (name, *.suffix, IPv4 or [IPv6], optional :port): ${parsed.reason}`, input: entry });
  }
});

export const NetworkAllowlistSchema = z
  .strictObject({
    allow: z
      .array(hostEntry)
      .optional()
      .describe(
        'Hosts a session may reach through the proxy: `name`, `*.suffix` (subdomains only), `1.2.3.4` or `[v6]`, each with an optional `:port` (bare: 80 and 443). A later layer replaces the list; the workspace layer may only narrow it.',
      ),
    deny: z
      .array(hostEntry)
      .optional()
      .describe('Hosts refused even when allow admits them (deny wins). Additive: no layer removes a deny entry.'),
  })
  .describe('Allowlist network: the offline identity, reaching only the listed hosts through Corral\'s proxy.');

/** One config file (machine, user or workspace layer). Every key optional. */
export const LayerSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Ignored; lets editors find the JSON Schema.'),
    mode: z
      .enum(MODES)
      .optional()
      .describe('read-only: no writes anywhere; workspace-write: the workspace and writableRoots; full-access: no sandbox (explicit only; admins may lock it off).'),
    workspaces: pathList('Directories provisioned (granted) for the real user. A session writes only the one workspace it is opened for.').optional(),
    writableRoots: pathList('Extra directories every session may write.').optional(),
    readRoots: pathList(
      "Paths in hidden places (the real user's home) that sessions may read, bound back read-only: toolchains, git config. Replaces the built-in list (which `corral policy show` prints); denyRead still applies inside them. Not allowed in a workspace config.",
    ).optional(),
    protected: pathList(
      'Names (matched in every writable root, e.g. `.git`) or paths kept read-only inside writable roots. Additive: a layer adds to the built-in list and never removes from it.',
    ).optional(),
    denyRead: pathList('Paths the sandbox identity may not read. Additive, like protected.').optional(),
    network: z
      .union([z.enum(NETWORKS), NetworkAllowlistSchema])
      .optional()
      .describe('offline: the offline identity, no network; online: the online identity; { allow, deny }: offline, plus a filtering proxy that admits the hosts allow names and deny does not.'),
    loopback: z
      .union([z.enum(['private', 'deny']), z.array(z.number().int().min(1).max(65535))])
      .optional()
      .describe(
        'Offline only. private: the session\'s own loopback (Linux); deny: no loopback; a list: ports of the host\'s loopback the session may reach (the session then shares the host\'s network namespace; the other way round from publish).',
      ),
    publish: z
      .array(z.number().int().min(PUBLISH_MIN_PORT).max(65535))
      .max(PUBLISH_MAX_PORTS)
      .optional()
      .describe(
        `Dev servers: ports of the session published on the host. For each, Corral listens on the host's 127.0.0.1:PORT and [::1]:PORT and forwards every connection to 127.0.0.1:PORT inside the session's own network namespace (offline or allowlist sessions), so you can open what the agent started. The other way round from a loopback list. Ports ${PUBLISH_MIN_PORT}-65535; a later layer replaces the list. Only the machine and user configs and --publish may set it, never a workspace config.`,
      ),
    env: EnvSchema.optional(),
    limits: LimitsSchema.optional(),
    shell: z
      .enum(SHELLS)
      .optional()
      .describe('The shell `corral sh` runs inside the session: sh is /bin/sh; login is your login shell (from the passwd database). Every command is confined the same either way.'),
    git: z
      .enum(GIT_ACCESS)
      .optional()
      .describe(
        'read (default): every .git in the writable roots is read-only. commit: the top-level .git of the workspace (and of each writable root) takes commits, branches and stashes (objects, refs, index, logs); its config, hooks, info/, modules/, worktrees/, remotes and what else makes git run code stay read-only (Linux). A workspace config may only set read.',
      ),
    session: SessionSchema.optional(),
    locked: z
      .array(z.enum(POLICY_KEYS))
      .optional()
      .describe('Machine config only: keys later layers may not change.'),
  })
  .describe('A Corral config file.');

export type Layer = z.infer<typeof LayerSchema>;
export type { GitAccess, Loopback, Mode, Network, NetworkAllowlist, NetworkPolicy, ShellChoice } from '../vocabulary.js';

/** The resolved policy: every key present, paths absolute. */
export interface Policy {
  mode: Mode;
  workspaces: string[];
  writableRoots: string[];
  readRoots: string[];
  protected: string[];
  denyRead: string[];
  network: NetworkPolicy;
  loopback: Loopback;
  /** Session ports published on the host's loopback (empty: none). */
  publish: number[];
  env: { allow: string[]; set: Record<string, string> };
  limits: Limits;
  shell: ShellChoice;
  git: GitAccess;
  /** Reusable sessions: seconds a kept session stays after its last command (0: never kept). */
  session: { idleSec: number };
}

export function layerJsonSchema(): unknown {
  return z.toJSONSchema(LayerSchema);
}
