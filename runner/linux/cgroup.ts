/**
 * Containment: no process of a session outlives it, and a command's timeout kills everything
 * that command started (setsid'd and double-forked daemons included).
 *
 * Choice: cgroups, not a PID namespace. A PID namespace kills everything when its init dies,
 * which gives session-wide containment, but it cannot kill "one command and its descendants"
 * without another namespace (and another init process) per command, and it needs the
 * runner's privileges at every spawn. A cgroup v2 group per command has `cgroup.kill`
 * (Linux 5.14+), which kills every member atomically, whatever its session or parent.
 *
 * Layout (v2; `unified` on hybrid hosts like this one, else the v2 root):
 *   <v2>/<inst>/<session>/          created by root, delegated to the identity (the directory
 *                                   and its cgroup.procs/threads/subtree_control chowned), so the
 *                                   runner, once it is the identity, can manage the subtree and
 *                                   nothing outside it (the kernel requires write access to the
 *                                   common ancestor's cgroup.procs to move a process).
 *   <v2>/<inst>/<session>/runner    the runner itself
 *   <v2>/<inst>/<session>/c<N>      one per command
 * The process count limit is the `pids` controller: in v2 when the hierarchy has it, else the
 * v1 `pids` hierarchy (hybrid hosts): <pids>/<inst>/<session>, holding the runner, so every
 * command inherits it. Its limit is limits.pids plus headroom for the runner's own threads.
 *
 * Placing a command race-free: the runner moves itself into c<N> and forks the command, which
 * is born there. Writing our pid to a cgroup.procs after the fork would let the command fork
 * before it is moved. A move takes the kernel's global cgroup threadgroup lock for writing,
 * which waits for an RCU grace period: 0.2–0.4 ms here (p90 several ms under load), the largest
 * fixed cost of a command after the fork. So the move is made ahead of time, off the command's
 * path: right after forking command N (once its `started` is out), the runner creates c<N+1>
 * and moves into it, and waits there, alone, for the next spawn — one move per command instead
 * of two, and none between a spawn request and its fork. A kill of the group the runner sits in
 * (session close) moves the runner to its own group first. Sitting in a command group gives the
 * command no power over the runner it did not have: the runner's own group is delegated to the
 * identity as well (cgroup.kill, cgroup.freeze), and both are the identity in one Landlock domain.
 *
 * Known limit (documented): a hostile command can move itself between groups of its own
 * session (same delegated subtree), escaping its per-command timeout kill; it can never
 * leave the session's group, which root kills and removes at close (reaper.ts).
 */
import { chownSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { applyMemoryLimit, type MemoryLayout, type SessionMemory } from './memory-limit.js';

/**
 * Write a cgroup interface file: O_WRONLY without O_CREAT/O_TRUNC (Landlock would require the
 * truncate right for O_TRUNC, and these files need neither).
 */
function writeCgroupFile(path: string, value: string): void {
  const fd = openSync(path, constants.O_WRONLY);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}

/** Threads of the runner itself counted by the pids controller (Node: main, V8 workers, libuv pool). */
export const RUNNER_PIDS_HEADROOM = 32;
const MAX_DESCENDANTS = 4096;

export interface CgroupLayout {
  /** cgroup v2 mount point. */
  v2: string;
  /** Where the pids controller lives: the v2 mount, a v1 mount, or null (no pids limit). */
  pids: { kind: 'v2' | 'v1'; mount: string } | null;
  /** Where the memory controller lives (memory-limit.ts), found the same way; null: no memory limit. */
  memory?: MemoryLayout | null;
}

/** Pure: find the v2 mount and the pids controller in /proc/self/mountinfo text. */
export function parseCgroupMounts(mountinfo: string, v2Controllers: (mount: string) => string[]): CgroupLayout | null {
  let v2: string | null = null;
  let v1Pids: string | null = null;
  let v1Memory: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = left[4];
    if (mountPoint === undefined) continue;
    if (right[0] === 'cgroup2' && v2 === null) v2 = mountPoint;
    if (right[0] === 'cgroup' && (right[2] ?? '').split(',').includes('pids')) v1Pids = mountPoint;
    if (right[0] === 'cgroup' && (right[2] ?? '').split(',').includes('memory')) v1Memory = mountPoint;
  }
  if (v2 === null) return null;
  const controllers = v2Controllers(v2);
  const memory: MemoryLayout | null = controllers.includes('memory') ? { kind: 'v2', mount: v2 } : v1Memory === null ? null : { kind: 'v1', mount: v1Memory };
  if (controllers.includes('pids')) return { v2, pids: { kind: 'v2', mount: v2 }, memory };
  return { v2, pids: v1Pids === null ? null : { kind: 'v1', mount: v1Pids }, memory };
}

export function detectCgroups(): CgroupLayout | null {
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'), (mount) => {
    try {
      return readFileSync(`${mount}/cgroup.controllers`, 'utf8').trim().split(/\s+/);
    } catch {
      return [];
    }
  });
}

export interface SessionCgroupInfo {
  /** `cgroup-v2`, `cgroup-v2+v1-pids`, … for hello.enforcement.containment. */
  description: string;
  warnings: string[];
  /** The delegated session group (v2). */
  sessionDir: string;
  /** The v1 pids group, when that is where the limit lives. */
  pidsDir: string | null;
  /** The memory limit's group, or null when the host has no memory controller. */
  memory: SessionMemory | null;
}

/**
 * Root phase: create the session's groups, delegate the v2 subtree to `owner`, set the pids
 * limit, and move this process into them.
 */
export function createSessionCgroups(
  layout: CgroupLayout,
  installation: string,
  sessionId: string,
  owner: { uid: number; gid: number },
  pidsLimit: number,
  memoryBytes?: number,
): SessionCgroupInfo {
  const base = `${layout.v2}/${installation}`;
  const sessionDir = `${base}/${sessionId}`;
  mkdirSync(base, { recursive: true, mode: 0o755 });
  mkdirSync(sessionDir, { mode: 0o755 });
  if (!existsSync(`${sessionDir}/cgroup.kill`)) {
    rmdirSync(sessionDir);
    throw new CorralError('kernel_unsupported', `cgroup v2 at ${layout.v2} has no cgroup.kill (Linux 5.14+ is needed to contain sessions)`);
  }
  const warnings: string[] = [];
  let pidsDir: string | null = null;
  const limit = String(pidsLimit + RUNNER_PIDS_HEADROOM);
  writeCgroupFile(`${sessionDir}/cgroup.max.descendants`, String(MAX_DESCENDANTS));
  if (layout.pids?.kind === 'v2') {
    const subtree = readFileSync(`${base}/cgroup.subtree_control`, 'utf8');
    if (!subtree.split(/\s+/).includes('pids')) writeCgroupFile(`${base}/cgroup.subtree_control`, '+pids');
    writeCgroupFile(`${sessionDir}/pids.max`, limit);
  } else if (layout.pids?.kind === 'v1') {
    pidsDir = `${layout.pids.mount}/${installation}/${sessionId}`;
    mkdirSync(pidsDir, { recursive: true, mode: 0o755 });
    writeCgroupFile(`${pidsDir}/pids.max`, limit);
  } else {
    warnings.push('no pids cgroup controller: the process count of a session is not limited (fork bombs are not stopped)');
  }
  let memory: SessionMemory | null = null;
  if (memoryBytes !== undefined) {
    if (layout.memory === null || layout.memory === undefined) {
      warnings.push('no memory cgroup controller: the memory of a session is not limited (the host\'s OOM killer is the only bound)');
    } else {
      memory = applyMemoryLimit(layout.memory, { installation, sessionId, v2SessionDir: sessionDir, v2Base: base }, memoryBytes, writeCgroupFile);
    }
  }
  mkdirSync(`${sessionDir}/runner`, { mode: 0o755 });
  for (const path of [sessionDir, `${sessionDir}/cgroup.procs`, `${sessionDir}/cgroup.threads`, `${sessionDir}/cgroup.subtree_control`, `${sessionDir}/runner`]) {
    chownSync(path, owner.uid, owner.gid);
  }
  for (const file of readdirSync(`${sessionDir}/runner`)) chownSync(`${sessionDir}/runner/${file}`, owner.uid, owner.gid);
  // The limit first (the v1 group), then the kill domain: from here on, everything we fork is contained.
  if (pidsDir !== null) writeCgroupFile(`${pidsDir}/cgroup.procs`, String(process.pid));
  if (memory?.kind === 'v1') writeCgroupFile(`${memory.dir}/cgroup.procs`, String(process.pid));
  writeCgroupFile(`${sessionDir}/runner/cgroup.procs`, String(process.pid));
  const v1 = [layout.pids?.kind === 'v1' ? 'pids' : null, memory?.kind === 'v1' ? 'memory' : null].filter((c) => c !== null);
  const description = v1.length > 0 ? `cgroup-v2+v1-${v1.join('-')}` : 'cgroup-v2';
  return { description, warnings, sessionDir, pidsDir, memory };
}

/** The runner's handle on its delegated session group, used as the identity. */
export class SessionCgroup {
  private next = 0;
  private readonly home: string;
  /** Where this process is: its own group, a command's group, or the spare. */
  private current: string;
  /** An empty group this process already sits in, for the next command; null when none. */
  private spare: string | null = null;
  /** Finished command groups to remove once this process has left them. */
  private readonly removeWhenLeft = new Set<string>();
  private closed = false;

  constructor(readonly dir: string) {
    this.home = `${dir}/runner`;
    this.current = this.home;
  }

  /** Run `fork` with this process inside a fresh group for one command (the command is born there). */
  forkInto<T>(fork: () => T): { group: string; result: T } {
    let group = this.spare;
    this.spare = null;
    if (group === null) {
      group = `${this.dir}/c${this.next++}`;
      mkdirSync(group);
      this.moveTo(group);
    }
    let result: T;
    try {
      result = fork();
    } catch (err) {
      this.moveTo(this.home);
      this.remove(group);
      throw err;
    }
    // Once the caller has reported the start (same tick), prepare the next command's group.
    setImmediate(() => this.prepareSpare());
    return { group, result };
  }

  /** Create the next command's group and wait in it (see the module comment); on failure, wait at home. */
  private prepareSpare(): void {
    if (this.closed || this.spare !== null) return;
    const group = `${this.dir}/c${this.next++}`;
    try {
      mkdirSync(group);
      this.moveTo(group);
      this.spare = group;
    } catch {
      // e.g. cgroup.max.descendants reached: the next spawn tries again and reports the error.
      if (this.current !== this.home) this.moveTo(this.home);
      this.remove(group);
    }
  }

  /** Stop preparing groups (session close): this process goes home. */
  close(): void {
    this.closed = true;
    this.spare = null;
    if (this.current !== this.home) this.moveTo(this.home);
  }

  private moveTo(group: string): void {
    const left = this.current;
    writeCgroupFile(`${group}/cgroup.procs`, String(process.pid));
    this.current = group;
    if (this.removeWhenLeft.delete(left)) this.remove(left);
  }

  /** SIGKILL every process in `group`, at once (this process leaves it first). */
  kill(group: string): void {
    if (group === this.current) {
      if (group === this.spare) this.spare = null;
      this.moveTo(this.home);
    }
    try {
      writeCgroupFile(`${group}/cgroup.kill`, '1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  populated(group: string): boolean {
    try {
      return /^populated 1$/m.test(readFileSync(`${group}/cgroup.events`, 'utf8'));
    } catch {
      return false;
    }
  }

  /**
   * Remove an empty command group; false while processes remain. The group this process sits in
   * is removed once this process has left it (true: taken care of).
   */
  remove(group: string): boolean {
    if (group === this.current) {
      this.removeWhenLeft.add(group);
      return true;
    }
    try {
      rmdirSync(group);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code === 'EBUSY') return false;
      throw err;
    }
  }

  /** Every group below the session other than the runner's (commands may have made their own). */
  commandGroups(): string[] {
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'runner')
      .map((e) => `${this.dir}/${e.name}`);
  }
}
