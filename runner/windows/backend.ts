/**
 * The Windows runner backend (RunnerBackend of runner/backend.ts). The runner process already
 * runs as the sandbox identity — the launcher (launcher.ts) logged it on once with
 * CreateProcessWithLogonW — so confining the session means:
 *  1. check the request against the machine state and this process's own SID
 *     (session-check.ts): which workspace grants, hence which capability SIDs, apply;
 *  2. make the runner's own stdio non-inheritable;
 *  3. build the session's restricted token once (token.ts; its SIDs from token-sids.ts: the
 *     capability SIDs, the session's logon SID, Everyone — never the identity SID) and read it
 *     back: fail closed if Windows did not make it restricted with exactly the SIDs asked for;
 *  4. find (or make) the workspace's own profile folders for this identity and check them
 *     (workspace-profile.ts: USERPROFILE, HOME, APPDATA, LOCALAPPDATA of every command; under
 *     the identity's profile from the known folder, not the environment), create the session
 *     temp dir in that profile's Temp with a DACL naming the identity and the logon SID, and
 *     the session's private desktop (desktop.ts) unless the policy opts out;
 *  5. reserve, hold and check the protected entries of every writable root (session-dirs.ts);
 * and, for an allowlist session, give every command the proxy's variables for the port the
 * state records (os/win32/env-block.ts): the proxy itself is not here — this process is the
 * offline identity, which the firewall keeps off the network — but in the launcher, as the
 * real user (orchestrator/bridge/windows/proxy-host.ts), holding that loopback port;
 * then each command runs with that token, on that desktop, in a kill-on-close job of its own
 * with UI limits (command.ts, job.ts).
 * What is enforced is the policy floor (session-policy.ts): the request merged with the
 * defaults and the machine layer this runner read itself (runner/windows/entry.ts).
 * Nothing here needs elevation, and the runner never holds a password.
 */
import { randomBytes } from 'node:crypto';
import { totalmem } from 'node:os';
import { realpathSync, rmSync } from 'node:fs';
import { win32 } from 'node:path';
import { CorralError } from '../../core/errors.js';
import type { Installation } from '../../core/installation.js';
import type { ConfinedSession, RunnerBackend, RunningCommand } from '../backend.js';
import type { Enforcement, SessionRequest, SpawnRequest } from '../../core/protocol.js';
import { startWindowsCommand } from './command.js';
import { commandEnvironment } from '../../os/win32/env-block.js';
import { terminateJob } from './job.js';
import type { Win32Handle } from '../../os/win32/handle.js';
import { readTrustedWindowsState, samePath, type WindowsMachineState } from '../../os/win32/machine-state.js';
import { protectOwnStdio } from '../../os/win32/pipe.js';
import { planWindowsSession, type WindowsSessionPlan } from './session-check.js';
import { planWithinPolicy, windowsEnforcedPolicy } from './session-policy.js';
import { profilePathOfSid } from '../../os/win32/profile-path.js';
import { floorEnvironment } from '../../core/policy/env.js';
import type { EnforcedPolicy, MachineLayer } from '../../core/policy/floor.js';
import { commandTokenFacts, createCommandToken, currentLogonSid, currentUserSid } from './token.js';
import { windowsPaths } from '../../core/paths.js';
import { commandTokenSids } from './token-sids.js';
import { createPrivateDesktop, type PrivateDesktop } from './desktop.js';
import { knownFolder } from '../../os/win32/known-folders.js';
import { createDirectoryWith, entryKind, grantedAccess, protectSession, sessionTmpAces, type SessionProtection } from './session-dirs.js';
import { createPlainDirectory, prepareWorkspaceProfile, type WorkspaceProfilePaths } from './workspace-profile.js';

const CLOSE_WAIT_MS = 2000;

export interface WindowsBackendOptions {
  installation: Installation;
  /** Reads %ProgramData%\<Corral>\state.json (default: from the installation's stateDir). */
  readState?: () => WindowsMachineState;
  /** The machine config layer the runner read itself (runner/machine-layer.ts), or null when there is none. */
  machine?: MachineLayer | null;
  /** The profile folder of a SID (default: the registry's ProfileList, os/win32/profile-path.ts). */
  profilePath?: (sid: string) => string;
}

function canonicalIfExists(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

const within = windowsPaths.within;

export function windowsBackend(options: WindowsBackendOptions): RunnerBackend {
  return {
    confine(request: SessionRequest): ConfinedSession {
      // `request` was checked in shape (Windows paths) by the shared validator (runner/start.ts).
      const state = (options.readState ?? (() => readTrustedWindowsState(options.installation)))();
      const planned = planWindowsSession(request, state, currentUserSid());
      // The floor (session-policy.ts): what is enforced is the merge with the machine layer, not the request.
      const policy = windowsEnforcedPolicy(request, planned, options.machine ?? null, {
        installation: options.installation.name,
        home: (options.profilePath ?? profilePathOfSid)(planned.realUserSid),
        canonical: canonicalIfExists,
        totalMemoryBytes: totalmem(),
      });
      const plan = planWithinPolicy(planned, policy);
      protectOwnStdio();
      return confinePlanned(plan, {
        installationName: options.installation.name,
        limits: policy.limits,
        protected: policy.protected,
        privateDesktop: request.windowsPrivateDesktop,
        env: policy.env,
        policyDigest: policy.digest,
      });
    },
  };
}

/** What a Windows session confines with beyond the plan (from the session request). */
export interface ConfineOptions {
  /** The installation's name (its protected names are always protected). */
  installationName: string;
  limits: SessionRequest['limits'];
  /** Protected names and paths (the request's `protected`). */
  protected: readonly string[];
  /** false: commands start on the runner's own desktop (policy `windows.privateDesktop`). */
  privateDesktop?: boolean;
  /**
   * The enforced env policy every spawn's environment is filtered with again (core/policy/env.ts
   * floorEnvironment, names compared without case), and the digest of what is enforced (sent in
   * `hello`). Absent only where a session is planned by hand (the Wine smoke test).
   */
  env?: EnforcedPolicy['env'];
  policyDigest?: string;
}

/**
 * The identity's profile and the Windows folder, from Windows (known folders of this process's
 * account), never from the environment. Commands get the workspace's own profile folders
 * under `profile` (workspace-profile.ts), not the identity's AppData.
 */
export interface IdentityFolders {
  profile: string;
  systemRoot: string;
}

export function identityFolders(): IdentityFolders {
  return {
    profile: knownFolder('Profile'),
    systemRoot: knownFolder('Windows'),
  };
}

/** Steps 3–5 and the session object; exported for the Wine smoke test, which plans by hand. */
export function confinePlanned(plan: WindowsSessionPlan, options: ConfineOptions): ConfinedSession {
  const capabilitySids = plan.writable.map((w) => w.capabilitySid);
  const logonSid = currentLogonSid();
  const sids = commandTokenSids({ identitySid: plan.identity.sid, logonSid, capabilitySids });
  const token = createCommandToken(sids);
  const warnings = [...plan.warnings];
  const undo: Array<() => void> = [() => token.close()];
  try {
    const facts = commandTokenFacts(token);
    const expected = [...sids.restricting].sort();
    if (!facts.restricted || JSON.stringify([...facts.restrictingSids].sort()) !== JSON.stringify(expected)) {
      throw new CorralError(
        'runner_failed',
        `the command token is not restricted as asked: restricted=${facts.restricted}, restricting SIDs ${facts.restrictingSids.join(', ') || '(none)'} instead of ${expected.join(', ')}`,
      );
    }
    const folders = identityFolders();
    const profile = prepareWorkspaceProfile(
      {
        identityProfile: folders.profile,
        workspace: plan.workspace,
        identitySid: plan.identity.sid,
        capabilitySid: plan.workspaceCapabilitySid,
        commandToken: token,
        writable: capabilitySids.includes(plan.workspaceCapabilitySid),
      },
      { entryKind, createDirectoryWith, createDirectory: createPlainDirectory, grantedAccess },
    );
    const sessionTmp = win32.join(profile.temp, `corral-${randomBytes(6).toString('hex')}`);
    createDirectoryWith(sessionTmp, sessionTmpAces(plan.identity.sid, logonSid));
    undo.push(() => rmSync(sessionTmp, { recursive: true, force: true, maxRetries: 3 }));
    let desktop: PrivateDesktop | null = null;
    if (options.privateDesktop !== false) {
      desktop = createPrivateDesktop(plan.identity.sid, logonSid);
      const opened = desktop;
      undo.push(() => opened.close());
    } else {
      warnings.push("windows.privateDesktop is false: commands run on the runner's desktop (WinSta0\\Default), whose clipboard and windows other sessions of this identity share");
    }
    const protection = protectSession({
      installationName: options.installationName,
      writableRoots: plan.writable.map((w) => w.path),
      protectedEntries: options.protected,
      identitySid: plan.identity.sid,
      logonSid,
      realUserSid: plan.realUserSid,
      commandToken: token,
    });
    warnings.push(...protection.warnings);
    const enforcement: Enforcement = {
      workspaceAccess: 'restricted-token',
      networkNamespace: false,
      containment: 'job-object',
      warnings,
    };
    return windowsSession({ plan, enforcement, token, sessionTmp, limits: options.limits, folders, profile, desktop, protection, env: options.env, policyDigest: options.policyDigest });
  } catch (err) {
    for (const step of undo.reverse()) step();
    throw err;
  }
}

interface SessionParts {
  plan: WindowsSessionPlan;
  enforcement: Enforcement;
  token: Win32Handle;
  sessionTmp: string;
  limits: SessionRequest['limits'];
  folders: IdentityFolders;
  /** The workspace's own profile folders for this identity (workspace-profile.ts). */
  profile: WorkspaceProfilePaths;
  desktop: PrivateDesktop | null;
  protection: SessionProtection;
  env: EnforcedPolicy['env'] | undefined;
  policyDigest: string | undefined;
}

function windowsSession(parts: SessionParts): ConfinedSession {
  const { plan, enforcement, token, sessionTmp, limits, folders, profile, desktop, protection, env: envPolicy, policyDigest } = parts;
  const pids = limits.pids;
  const home = profile.root;
  const systemRoot = folders.systemRoot;
  const cmdExe = win32.join(systemRoot, 'System32', 'cmd.exe');
  const cwdRoots = [plan.workspace, ...plan.writable.map((w) => w.path), sessionTmp];
  const running = new Map<string, RunningCommand>();
  const jobs = new Set<Win32Handle>();
  let closed = false;
  return {
    identity: plan.identity.name,
    enforcement,
    home,
    tmpdir: sessionTmp,
    ...(policyDigest === undefined ? {} : { policyDigest }),
    limits: { timeoutSec: limits.timeoutSec, maxOutputBytes: limits.maxOutputBytes },
    spawn(request: SpawnRequest, events) {
      const none: RunningCommand = { writeStdin() {}, closeStdin() {}, kill() {}, pauseOutput() {}, resumeOutput() {} };
      if (closed) {
        events.failed('session_closed', 'the session is closing');
        return none;
      }
      let cwd: string;
      try {
        cwd = realpathSync.native(request.cwd);
      } catch {
        events.failed('cwd_outside_workspace', `cwd ${request.cwd} does not exist`);
        return none;
      }
      if (!cwdRoots.some((root) => within(cwd, root))) {
        events.failed('cwd_outside_workspace', `cwd ${cwd} is outside the workspace ${plan.workspace}`);
        return none;
      }
      // The client's environment filtered again by the enforced env policy (hostile input).
      const requested = envPolicy === undefined ? request.env : floorEnvironment(request.env, envPolicy, { ignoreCase: true });
      const env = commandEnvironment(requested, {
        home,
        appData: profile.roaming,
        localAppData: profile.local,
        tmpdir: sessionTmp,
        systemRoot,
        identity: plan.identity.name,
        safeDirectories: [...new Set([plan.workspace, ...plan.writable.map((w) => w.path)].filter((p, i, all) => all.findIndex((q) => samePath(p, q)) === i))],
        // Allowlist: the proxy's variables, owned by the runner (a request cannot redirect them).
        ...(plan.proxyPort === null ? {} : { proxyPort: plan.proxyPort }),
      });
      const command = startWindowsCommand(
        request,
        {
          ...events,
          exit(result) {
            running.delete(request.id);
            events.exit(result);
          },
        },
        {
          token,
          env,
          cwd,
          cmdExe,
          pids,
          desktop: desktop?.startupName ?? null,
          onFinished(job) {
            // Leftovers (background processes) live in the job until the session closes.
            jobs.add(job);
          },
        },
      );
      running.set(request.id, command);
      return command;
    },
    async close() {
      closed = true;
      for (const command of running.values()) command.kill('SIGKILL');
      // Let the pollers see the ends and report (kill-on-close covers any that don't).
      for (let waited = 0; running.size > 0 && waited < CLOSE_WAIT_MS; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      for (const job of jobs) {
        try {
          terminateJob(job, 1);
        } catch {
          // empty job
        }
        job.close();
      }
      jobs.clear();
      token.close();
      protection.release();
      desktop?.close();
      rmSync(sessionTmp, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
