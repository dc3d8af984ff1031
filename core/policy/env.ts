/**
 * The environment a sandboxed command gets: the caller's variables that the allowlist
 * names, minus secret-looking ones unless allowed by exact name, plus `set`. The runner
 * then sets HOME and TMPDIR (and git's safe.directory) itself. Pure; the same on every OS.
 */

/** Names that look like credentials. A match passes only if `allow` names it exactly. */
const SECRET_PATTERNS: readonly RegExp[] = [
  /_TOKEN$/i,
  /_KEY$/i,
  /_SECRET$/i,
  /_PASSWORD$/i,
  /_PASSWD$/i,
  /_CREDENTIALS?$/i,
  /^AWS_/i,
  /^AZURE_/i,
  /^GITHUB_/i,
  /^GH_/i,
  /^GITLAB_/i,
  /^NPM_TOKEN$/i,
  /^OPENAI_/i,
  /^ANTHROPIC_/i,
  /^GOOGLE_APPLICATION_CREDENTIALS$/i,
  /^SSH_AUTH_SOCK$/,
  /^GPG_AGENT_INFO$/,
];

export function looksSecret(name: string): boolean {
  return SECRET_PATTERNS.some((re) => re.test(name));
}

function matches(name: string, entry: string, ignoreCase: boolean): boolean {
  const n = ignoreCase ? name.toUpperCase() : name;
  const e = ignoreCase ? entry.toUpperCase() : entry;
  return e.endsWith('*') ? n.startsWith(e.slice(0, -1)) : n === e;
}

export interface EnvPolicy {
  allow: readonly string[];
  set: Readonly<Record<string, string>>;
}

/**
 * Filter `source` by `policy`; variables in `set` win. Names compare case-sensitively, or —
 * `ignoreCase`, for Windows, where `Path` and `PATH` are one variable — case-insensitively
 * (the caller's spelling is kept; a `set` entry replaces any spelling of its name).
 */
export function filterEnvironment(
  source: Readonly<Record<string, string | undefined>>,
  policy: EnvPolicy,
  options: { ignoreCase?: boolean } = {},
): Record<string, string> {
  const ignoreCase = options.ignoreCase === true;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const allowedExactly = policy.allow.some((e) => !e.endsWith('*') && matches(name, e, ignoreCase));
    if (!allowedExactly && !policy.allow.some((e) => matches(name, e, ignoreCase))) continue;
    if (!allowedExactly && looksSecret(name)) continue;
    out[name] = value;
  }
  if (ignoreCase) {
    for (const name of Object.keys(policy.set)) {
      for (const existing of Object.keys(out)) if (existing.toUpperCase() === name.toUpperCase()) delete out[existing];
    }
  }
  return { ...out, ...policy.set };
}

/**
 * The runner's filter of every spawn's environment (runner side of the floor): a
 * secret-looking name passes only when `allow` names it exactly or `set` sets it; with the
 * env key locked by the machine, only names `allow` admits (prefixes too) or `set` names, and
 * `set`'s values win. The client filtered already (filterEnvironment); this is the authority
 * for a request written by hand.
 */
export function floorEnvironment(
  source: Readonly<Record<string, string>>,
  policy: EnvPolicy & { locked: boolean },
  options: { ignoreCase?: boolean } = {},
): Record<string, string> {
  const ignoreCase = options.ignoreCase === true;
  const inSet = (name: string) => Object.keys(policy.set).some((s) => (ignoreCase ? s.toUpperCase() === name.toUpperCase() : s === name));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    const exact = policy.allow.some((e) => !e.endsWith('*') && matches(name, e, ignoreCase));
    if (looksSecret(name) && !exact && !inSet(name)) continue;
    if (policy.locked && !inSet(name) && !policy.allow.some((e) => matches(name, e, ignoreCase))) continue;
    out[name] = value;
  }
  return policy.locked ? { ...out, ...policy.set } : out;
}
