/**
 * The protected names: entries of a workspace (or any writable root) that a tool of the real
 * user's reads later and trusts — to run code, pick an interpreter, load hooks or extensions —
 * so a session must never create or change them ("configuration-based sandbox escape").
 * One list for every platform (the Linux runner binds them read-only, the Windows runner
 * denies writes on them); each entry names the tool that reads it, and the kind of entry that
 * tool expects, which is the kind of placeholder a runner reserves a missing name with:
 *
 * - `dir`: an empty, read-only directory. A tool listing it sees nothing; git never tracks
 *   an empty directory, so it never shows in `git status` nor lands in a commit.
 * - `file`: an empty, read-only file. A tool reading it gets zero bytes, which every tool
 *   listed treats as "no settings" (an empty `.env`, `.npmrc`, `.gitattributes`, `.envrc`),
 *   where a directory in its place would be EISDIR to it. git lists it as
 *   untracked on the host while the session lives (the session's own git is told to ignore
 *   it: runner/linux/environment.ts).
 *
 * Names are matched in every writable root (not below: deeper `.git` entries are found by
 * runner/linux/nested-git.ts). The workspace config directory follows the installation
 * (`.corral`, or `.<instance>` for a test installation), as the workspace config layer does.
 *
 * Pure data; shared floor of the orchestrator (policy defaults) and both runners.
 */

export type PlaceholderKind = 'dir' | 'file';

export interface ProtectedName {
  name: string;
  kind: PlaceholderKind;
  /** The tool that reads it, and what it does with it. */
  readBy: string;
}

/** Entries whose name does not depend on the installation. */
const FIXED: readonly ProtectedName[] = [
  // Version control: hooks, config (core.fsmonitor, core.hooksPath, filters) run code.
  { name: '.git', kind: 'dir', readBy: 'git: config, hooks and core.fsmonitor run on the next git command (a gitdir: file is followed and its target bound too)' },
  { name: '.gitmodules', kind: 'file', readBy: 'git submodule: URLs and update commands (submodule.<name>.update=!cmd)' },
  { name: '.gitattributes', kind: 'file', readBy: 'git: selects filter/diff/merge drivers (filter.<x>.clean/smudge run programs)' },
  { name: '.hg', kind: 'dir', readBy: 'Mercurial: .hg/hgrc [hooks] run on hg commands' },
  { name: '.jj', kind: 'dir', readBy: 'Jujutsu: repository config (and its colocated git)' },
  { name: '.husky', kind: 'dir', readBy: 'husky: git hook scripts (core.hooksPath=.husky) run on the user\'s git commit' },
  { name: '.pre-commit-config.yaml', kind: 'file', readBy: 'pre-commit: hooks installed into git run these repos\' code on commit' },
  { name: 'lefthook.yml', kind: 'file', readBy: 'lefthook: commands run from git hooks' },
  { name: '.lefthook.yml', kind: 'file', readBy: 'lefthook: commands run from git hooks' },
  // Editors and IDEs: tasks, launch configs, extension settings that name executables.
  { name: '.vscode', kind: 'dir', readBy: 'VS Code: tasks.json (runOn: folderOpen), settings naming executables, launch.json' },
  { name: '.idea', kind: 'dir', readBy: 'JetBrains IDEs: run configurations, startup tasks, external tools' },
  { name: '.zed', kind: 'dir', readBy: 'Zed: tasks and language-server settings' },
  { name: '.devcontainer', kind: 'dir', readBy: 'Dev Containers: postCreateCommand/initializeCommand (initializeCommand runs on the host)' },
  // AI coding agents: settings, hooks and MCP servers they start.
  { name: '.claude', kind: 'dir', readBy: 'Claude Code: settings.json hooks, permissions, MCP servers' },
  { name: '.mcp.json', kind: 'file', readBy: 'Claude Code and other MCP clients: project MCP servers (commands they start)' },
  { name: '.codex', kind: 'dir', readBy: 'Codex CLI: config.toml (sandbox mode, MCP servers)' },
  { name: '.cursor', kind: 'dir', readBy: 'Cursor: mcp.json, rules, hooks' },
  { name: '.gemini', kind: 'dir', readBy: 'Gemini CLI: settings.json (MCP servers, tool discovery command)' },
  { name: '.agents', kind: 'dir', readBy: 'agent tools sharing the .agents convention (skills, settings)' },
  { name: '.continue', kind: 'dir', readBy: 'Continue: config (MCP servers, custom commands)' },
  { name: '.windsurf', kind: 'dir', readBy: 'Windsurf: rules, workflows, MCP config' },
  { name: '.roo', kind: 'dir', readBy: 'Roo Code: modes, MCP config' },
  { name: '.kiro', kind: 'dir', readBy: 'Kiro: hooks, steering, MCP settings' },
  { name: '.amazonq', kind: 'dir', readBy: 'Amazon Q Developer: MCP config, rules' },
  { name: '.aider.conf.yml', kind: 'file', readBy: 'aider: settings (lint/test commands it runs)' },
  // Environment loaders: evaluated by the user's shell or tools on entering the directory.
  { name: '.envrc', kind: 'file', readBy: 'direnv: a shell script sourced on cd (after `direnv allow`, which content changes revoke)' },
  { name: '.env', kind: 'file', readBy: 'dotenv loaders (docker compose, mise, Node --env-file, python-dotenv): variables such as NODE_OPTIONS, LD_PRELOAD' },
  { name: 'mise.toml', kind: 'file', readBy: 'mise: tasks, env, hooks (enter/leave run shell commands)' },
  { name: '.mise.toml', kind: 'file', readBy: 'mise: tasks, env, hooks' },
  { name: '.tool-versions', kind: 'file', readBy: 'asdf and mise: which tool versions (plugins) to install and put first on PATH' },
  // Package managers: config that runs code on the user's next install or script.
  { name: '.npmrc', kind: 'file', readBy: 'npm/pnpm: script-shell, node-options, git, registry (script-shell runs on the next npm run)' },
  { name: '.yarnrc', kind: 'file', readBy: 'yarn 1: yarn-path (runs that file as yarn)' },
  { name: '.yarnrc.yml', kind: 'file', readBy: 'yarn 2+: yarnPath and plugins (JavaScript it runs)' },
  { name: '.pnpmfile.cjs', kind: 'file', readBy: 'pnpm: readPackage/afterAllResolved hooks run on install' },
  { name: 'bunfig.toml', kind: 'file', readBy: 'bun: preload scripts run before bun run/test' },
  { name: '.cargo', kind: 'dir', readBy: 'cargo: .cargo/config.toml (build.rustc-wrapper, target runner, aliases)' },
  // Interpreters that read a start-up file from the current directory.
  { name: '.pdbrc', kind: 'file', readBy: 'Python pdb: commands run when the debugger starts here' },
  { name: '.Rprofile', kind: 'file', readBy: 'R: sourced at start-up in this directory' },
  { name: '.irbrc', kind: 'file', readBy: 'Ruby irb: evaluated at start-up' },
  { name: '.pryrc', kind: 'file', readBy: 'Ruby pry: evaluated at start-up' },
  // Shell start-up files (a workspace that is, or becomes, a home).
  { name: '.bashrc', kind: 'file', readBy: 'bash: sourced by interactive shells' },
  { name: '.bash_profile', kind: 'file', readBy: 'bash: sourced by login shells' },
  { name: '.bash_login', kind: 'file', readBy: 'bash: sourced by login shells' },
  { name: '.profile', kind: 'file', readBy: 'sh/bash/dash: sourced by login shells' },
  { name: '.zshrc', kind: 'file', readBy: 'zsh: sourced by interactive shells' },
  { name: '.zprofile', kind: 'file', readBy: 'zsh: sourced by login shells' },
  { name: '.zshenv', kind: 'file', readBy: 'zsh: sourced by every zsh' },
];

/** The workspace config directory of an installation (`.corral`, `.<instance>`). */
export function workspaceConfigDirName(installationName: string): string {
  return `.${installationName}`;
}

/** Every protected name of an installation, in a stable order. */
export function protectedNames(installationName: string): ProtectedName[] {
  const own: ProtectedName = {
    name: workspaceConfigDirName(installationName),
    kind: 'dir',
    readBy: 'Corral: the workspace config layer (<ws>/.<installation>/config.json)',
  };
  return [FIXED[0]!, own, ...FIXED.slice(1)];
}

/** The names alone (the `protected` policy default). */
export function defaultProtectedNames(installationName: string): string[] {
  return protectedNames(installationName).map((p) => p.name);
}

/**
 * The placeholder kind for a protected name. A name that is not in the list (added by a
 * user's `protected`) is reserved with a directory: it blocks creating a file or a directory
 * of that name alike, and git ignores it; a tool expecting a file there gets EISDIR.
 */
export function placeholderKind(name: string, installationName: string): PlaceholderKind {
  return protectedNames(installationName).find((p) => p.name === name)?.kind ?? 'dir';
}
