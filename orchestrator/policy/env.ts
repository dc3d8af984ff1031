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

function matches(name: string, entry: string): boolean {
  return entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry;
}

export interface EnvPolicy {
  allow: readonly string[];
  set: Readonly<Record<string, string>>;
}

/** Filter `source` by `policy`; variables in `set` win. Keys are compared case-sensitively. */
export function filterEnvironment(source: Readonly<Record<string, string | undefined>>, policy: EnvPolicy): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const allowedExactly = policy.allow.includes(name);
    if (!allowedExactly && !policy.allow.some((e) => matches(name, e))) continue;
    if (!allowedExactly && looksSecret(name)) continue;
    out[name] = value;
  }
  return { ...out, ...policy.set };
}
