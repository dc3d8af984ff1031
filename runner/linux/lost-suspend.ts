/**
 * A ^Z that the kernel would drop. A pty command is the session leader of its pty, and its
 * parent (the runner) is in another session, so its own process group is orphaned: the kernel
 * discards terminal stop signals (SIGTSTP) whose action is the default for an orphaned group
 * (POSIX; Linux get_signal), and `corral run -- make` could not be suspended. When the pty's
 * foreground group is that group and its leader neither ignores nor catches SIGTSTP, the runner
 * stops the group itself (SIGSTOP) and tells the client, which suspends corral as the shell that
 * started it expects and continues the group when it is continued (as sudo does with its pty).
 * Under a job-control shell in the session (`bash -i`), its jobs have groups of their own whose
 * parent is in the session: ^Z goes through to them as on any terminal, and a ^Z at the shell's
 * prompt (the shell ignores SIGTSTP) stays the shell's.
 */
import { readFileSync } from 'node:fs';

const SIGTSTP_BIT = 1n << 19n; // signal 20

/** Pure: `status` is /proc/<leader>/status. */
export function stopWouldBeLost(front: number | null, leader: number, status: string | null): boolean {
  if (front !== leader || status === null) return false;
  const mask = (name: string) => {
    const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return m === null ? null : BigInt(`0x${m[1]}`);
  };
  const ignored = mask('SigIgn');
  const caught = mask('SigCgt');
  if (ignored === null || caught === null) return false;
  return ((ignored | caught) & SIGTSTP_BIT) === 0n;
}

export function processStatus(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
}
