/**
 * The built-in lowest layer's lists, shared by the client's resolution (orchestrator/policy)
 * and the runner's floor (core/policy/floor.ts): the runner adds the defaults back whatever a
 * request says, so both must read the same lists. Pure data.
 */
/**
 * Read roots by default: what real toolchains need from a home the session cannot otherwise
 * see (the real user's home is hidden: runner/linux/session-view.ts). Each entry with why;
 * missing ones are skipped. Measured with the machine's git, node/npm and python3 (a pyenv
 * install here: its shims on PATH live in ~/.pyenv).
 */
export const DEFAULT_READ_ROOTS = [
  '~/.gitconfig', // git: user.name/email for commits, aliases
  '~/.config/git', // git: the XDG config and global ignore file
  '~/.nvm', // node via nvm: PATH points into it
  '~/.volta', // node via volta
  '~/.local/share/fnm', // node via fnm
  '~/.pyenv', // python via pyenv: the shims on PATH and the versions
  '~/.local/bin', // pipx and user tools on PATH
  '~/.cargo/bin', // rust: cargo, rustc proxies
  '~/.rustup', // rust: toolchains
  '~/.bun/bin', // bun
  '~/.deno/bin', // deno
  '~/go/bin', // go-installed tools
  '~/.sdkman/candidates', // JVM toolchains via sdkman
] as const;

/** Secrets the identity may not read (relative to the real user's home). */
export const DEFAULT_DENY_READ = [
  '~/.ssh',
  '~/.gnupg',
  '~/.aws',
  '~/.azure',
  '~/.kube',
  '~/.docker',
  '~/.config/gh',
  '~/.npmrc',
  '~/.netrc',
] as const;

/** Variables passed through from the caller by default (a trailing * matches a prefix). */
export const DEFAULT_ENV_ALLOW = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TERM',
  'COLORTERM',
  'TZ',
  'NO_COLOR',
  'FORCE_COLOR',
  'CI',
] as const;

