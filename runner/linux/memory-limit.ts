/**
 * The session's memory limit: limits.memoryBytes for the whole session (every command, the
 * page cache it fills, and the pages of its private tmpfs mounts, which the kernel charges
 * to the writer's memory cgroup), with no swap beyond it. An allocation past it makes the
 * kernel's OOM killer pick a process *inside* the session (the cgroup's own OOM), never one
 * of the host's; the runner then reports that command as `killed: out of memory`.
 *
 * Where: cgroup v2 `memory.max` + `memory.swap.max = 0` on the session group when the v2
 * hierarchy has the memory controller; else (hybrid hosts, like this project's machine, whose
 * v2 hierarchy has only hugetlb) the v1 `memory` hierarchy: <mem>/<inst>/<session>,
 * `memory.limit_in_bytes` and `memory.memsw.limit_in_bytes` (swap accounting, when the
 * kernel has it) set to the same value, holding the runner so every command inherits it.
 * Detected like pids (cgroup.ts).
 *
 * OOM kills are counted by the kernel: v2 `memory.events` (`oom_kill N`, hierarchical), v1
 * `memory.oom_control` (`oom_kill N`, Linux 4.13+).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

export interface MemoryLayout {
  kind: 'v2' | 'v1';
  mount: string;
}

export interface SessionMemory {
  kind: 'v2' | 'v1';
  /** The cgroup holding the limit (the v2 session group, or the v1 memory group). */
  dir: string;
  /** The file the kernel counts OOM kills in. */
  eventsFile: string;
}

/** Pure: the oom_kill counter in memory.events (v2) or memory.oom_control (v1) text. */
export function parseOomKills(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

export function oomKills(memory: SessionMemory): number {
  try {
    return parseOomKills(readFileSync(memory.eventsFile, 'utf8'));
  } catch {
    return 0;
  }
}

/**
 * Root phase, before the runner moves into its groups: set the limit. For v1 the caller
 * moves the runner into the returned dir (writeProcs). `write` writes a cgroup file.
 */
export function applyMemoryLimit(
  layout: MemoryLayout,
  where: { installation: string; sessionId: string; v2SessionDir: string; v2Base: string },
  bytes: number,
  write: (path: string, value: string) => void,
): SessionMemory {
  if (layout.kind === 'v2') {
    const subtree = readFileSync(`${where.v2Base}/cgroup.subtree_control`, 'utf8');
    if (!subtree.split(/\s+/).includes('memory')) write(`${where.v2Base}/cgroup.subtree_control`, '+memory');
    write(`${where.v2SessionDir}/memory.max`, String(bytes));
    if (existsSync(`${where.v2SessionDir}/memory.swap.max`)) write(`${where.v2SessionDir}/memory.swap.max`, '0');
    return { kind: 'v2', dir: where.v2SessionDir, eventsFile: `${where.v2SessionDir}/memory.events` };
  }
  const dir = `${layout.mount}/${where.installation}/${where.sessionId}`;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  write(`${dir}/memory.limit_in_bytes`, String(bytes));
  // memsw (memory + swap) must be ≥ the memory limit: set after it, to the same value (no swap).
  if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) write(`${dir}/memory.memsw.limit_in_bytes`, String(bytes));
  return { kind: 'v1', dir, eventsFile: `${dir}/memory.oom_control` };
}
