/**
 * The session's violations, per command: records read from the kernel's sources — Landlock's
 * audit records (landlock-audit.ts), kept to this session's domain (landlock-audit-records.ts),
 * and the packets the session namespace's table refused (nflog.ts, refusal-table.ts) — and
 * handed to the commands that were running when they arrived — exactly the one when one runs (`corral run`), each of them
 * when several run at once (as proxy decisions and OOM kills are attributed).
 *
 * Cost: one non-blocking receive per source when a command starts (what waits then is an
 * earlier command's). Records are read without blocking when a command ends and
 * every READ_INTERVAL_MS while commands run (so the socket's buffer does not overflow under a
 * flood of denials); a command with no violations pays one receive that finds nothing. The
 * kernel delivers a record a fraction of a millisecond after the refused call (measured here:
 * median 0.3 ms, 2 ms at most under load), so a denial has, in practice, arrived by the
 * command's exit; a command that has violations waits for the stragglers, and one that failed
 * with none yet gets one more read 3 ms later (end()). A record still in flight after that is
 * lost to its command, and never given to a later one (records carry the kernel's time).
 */
import type { ViolationRecord } from '../../core/protocol.js';
import type { LandlockAuditSocket } from './landlock-audit.js';
import { SessionDomainFilter } from './landlock-audit-records.js';
import type { NflogSocket } from './nflog.js';
import { packetViolation } from './nflog-records.js';

/** One of the session's violation sources, read without blocking. */
export interface ViolationSource {
  /** The records that arrived since the last call. */
  read(): ViolationRecord[];
  /** Records lost since the last call (at least this many: the kernel does not always say how many). */
  lost(): number;
  close(): void;
}

/** Landlock's audit records, kept to the domain the runner (`runnerPid`) made. */
export function landlockSource(socket: Pick<LandlockAuditSocket, 'drain' | 'overflows' | 'close'>, runnerPid: number): ViolationSource {
  const filter = new SessionDomainFilter(runnerPid);
  let overflowsSeen = 0;
  return {
    read: () => socket.drain().flatMap((r) => filter.feed(r.type, r.text)),
    lost() {
      // The kernel dropped records for the socket: how many is unknown, at least one per overflow.
      const overflowed = socket.overflows > overflowsSeen;
      overflowsSeen = socket.overflows;
      return overflowed ? 1 : 0;
    },
    close: () => socket.close(),
  };
}

/**
 * The packets the session namespace's table refused (every one of them this session's: the
 * namespace is). No kernel time comes with them (an output packet has none), so each is
 * stamped when read — at the latest at its command's end, since the packet was queued on the
 * socket by the very send(2) that was refused. `refusals` counts every refusal read or lost,
 * for the offline notice (command.ts).
 */
export function nflogSource(socket: Pick<NflogSocket, 'drain' | 'lost' | 'close'>, rule: string): ViolationSource & { readonly refusals: number } {
  let lostSeen = 0;
  let refusals = 0;
  return {
    read() {
      const time = new Date().toISOString();
      const records = socket.drain().map((p) => packetViolation(p, rule, time));
      refusals += records.length;
      return records;
    },
    lost() {
      const lost = socket.lost - lostSeen;
      lostSeen = socket.lost;
      refusals += lost;
      return lost;
    },
    get refusals() {
      return refusals;
    },
    close: () => socket.close(),
  };
}

const READ_INTERVAL_MS = 100;
const SETTLE_POLL_MS = 5;
const SETTLE_QUIET_MS = 25;
const SETTLE_MAX_MS = 2000;
const FAILED_GRACE_MS = 3;
/** Kept per command; beyond this only counted (`violationsDropped`). */
export const MAX_VIOLATIONS_PER_COMMAND = 1000;
/**
 * How far before a command's start a kernel time stamp may lie and still be the command's. The audit
 * subsystem stamps records with the coarse real-time clock (ktime_get_coarse_real_ts64), which lags the
 * clock Date.now() reads by up to one scheduler tick (10 ms at HZ=100, the slowest tick Linux offers),
 * and prints milliseconds. A command that is refused within that tick of its start got a stamp from
 * before \`since\`: with a 1 ms allowance (before), about half of such refusals of a quick command were
 * dropped (verify's violation-report attempt, and run-violations' sequences, on a quiet machine). The
 * price: an earlier command's record stamped in the last tick before this one started, and read
 * while this one runs, is given to this one too.
 */
export const KERNEL_STAMP_SLACK_MS = 11;

export interface CommandViolations {
  records: ViolationRecord[];
  dropped: number;
  /** When the command started (ms): a record the kernel stamped earlier belongs to an earlier command. */
  since: number;
}

export class SessionViolations {
  private readonly active = new Set<CommandViolations>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sources: readonly ViolationSource[]) {}

  /** A command starts: what arrives from now on is (also) its. */
  begin(): CommandViolations {
    // What is waiting now is an earlier command's (a packet carries no kernel time: it is stamped when read).
    this.read();
    const sink: CommandViolations = { records: [], dropped: 0, since: Date.now() };
    this.active.add(sink);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.read(), READ_INTERVAL_MS);
      this.timer.unref();
    }
    return sink;
  }

  /**
   * A command ended: read what has arrived, and stop collecting for it. A command with no
   * violation so far is answered at once (nothing waits). One that has some may still have
   * records on their way — under a flood the kernel's queue lags behind the command — so its
   * answer waits until no record has come for SETTLE_QUIET_MS (at most SETTLE_MAX_MS).
   */
  end(sink: CommandViolations, done: (v: CommandViolations) => void, failed = false): void {
    this.read();
    if (sink.records.length === 0 && sink.dropped === 0) {
      if (!failed) {
        this.finish(sink, done);
        return;
      }
      // A command that failed with nothing reported yet: its refusal, if it had one, may still be
      // on its way (the kernel's median is 0.3 ms, 2 ms at most as measured here). One more
      // read after FAILED_GRACE_MS; a command that succeeded never waits.
      setTimeout(() => {
        this.read();
        this.finish(sink, done);
      }, FAILED_GRACE_MS);
      return;
    }
    const started = Date.now();
    let count = sink.records.length + sink.dropped;
    let quietSince = started;
    const poll = setInterval(() => {
      this.read();
      const now = Date.now();
      const seen = sink.records.length + sink.dropped;
      if (seen !== count) {
        count = seen;
        quietSince = now;
      }
      if (now - quietSince >= SETTLE_QUIET_MS || now - started >= SETTLE_MAX_MS) {
        clearInterval(poll);
        this.finish(sink, done);
      }
    }, SETTLE_POLL_MS);
  }

  private finish(sink: CommandViolations, done: (v: CommandViolations) => void): void {
    this.active.delete(sink);
    if (this.active.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    done(sink);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.active.clear();
    for (const source of this.sources) source.close();
  }

  /** Read every source now (also a command's end, before its exit is reported). */
  read(): void {
    const found: ViolationRecord[] = [];
    let lost = 0;
    for (const source of this.sources) {
      found.push(...source.read());
      lost += source.lost();
    }
    for (const sink of this.active) {
      sink.dropped += lost;
      for (const v of found) {
        // A record stamped before the command started (beyond the coarse clock's lag) is an earlier command's.
        if (Date.parse(v.time) < sink.since - KERNEL_STAMP_SLACK_MS) continue;
        if (sink.records.length < MAX_VIOLATIONS_PER_COMMAND) sink.records.push(v);
        else sink.dropped += 1;
      }
    }
  }
}
