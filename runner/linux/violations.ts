/**
 * The session's violations, per command: records read from the kernel (landlock-audit.ts),
 * kept to this session's domain (landlock-audit-records.ts), and handed to the commands that
 * were running when they arrived — exactly the one when one runs (`corral run`), each of them
 * when several run at once (as proxy decisions and OOM kills are attributed).
 *
 * Cost: nothing on the spawn path. Records are read without blocking when a command ends and
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

const READ_INTERVAL_MS = 100;
const SETTLE_POLL_MS = 5;
const SETTLE_QUIET_MS = 25;
const SETTLE_MAX_MS = 2000;
const FAILED_GRACE_MS = 3;
/** Kept per command; beyond this only counted (`violationsDropped`). */
export const MAX_VIOLATIONS_PER_COMMAND = 1000;

export interface CommandViolations {
  records: ViolationRecord[];
  dropped: number;
  /** When the command started (ms): a record the kernel stamped earlier belongs to an earlier command. */
  since: number;
}

export class SessionViolations {
  private readonly filter: SessionDomainFilter;
  private readonly active = new Set<CommandViolations>();
  private timer: NodeJS.Timeout | undefined;
  private overflowsSeen = 0;

  constructor(
    private readonly socket: LandlockAuditSocket,
    runnerPid: number,
  ) {
    this.filter = new SessionDomainFilter(runnerPid);
  }

  /** A command starts: what arrives from now on is (also) its. */
  begin(): CommandViolations {
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
    this.socket.close();
  }

  private read(): void {
    const found: ViolationRecord[] = [];
    for (const record of this.socket.drain()) found.push(...this.filter.feed(record.type, record.text));
    const overflowed = this.socket.overflows > this.overflowsSeen;
    this.overflowsSeen = this.socket.overflows;
    for (const sink of this.active) {
      // The kernel dropped records for the socket: how many is unknown, at least one per overflow.
      if (overflowed) sink.dropped += 1;
      for (const v of found) {
        // The kernel's time has millisecond resolution: a record from before the command started is an earlier command's.
        if (Date.parse(v.time) < sink.since - 1) continue;
        if (sink.records.length < MAX_VIOLATIONS_PER_COMMAND) sink.records.push(v);
        else sink.dropped += 1;
      }
    }
  }
}
