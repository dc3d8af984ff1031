/**
 * Landlock's audit records (kernel 6.15+, Landlock ABI 7), parsed and kept to this session's
 * own (pure: unit-tested on any OS; landlock-audit.ts reads them from the kernel).
 *
 * The kernel writes two record types for a denial, in one event (one `audit(<time>:<serial>)`):
 *   1423 LANDLOCK_ACCESS  `domain=1c8daa4f5 blockers=fs.write_file path="/etc/x" dev="vda" ino=12`
 *   1424 LANDLOCK_DOMAIN  `domain=1c8daa4f5 status=allocated mode=enforcing pid=2140 uid=0 exe=… comm=…`
 * The DOMAIN record comes once per domain, at its first denial, after that denial's ACCESS
 * record, and names the process that created the domain (`pid`: the runner, which restricts
 * itself); a later `status=deallocated` one closes it. So a session learns its own domain id
 * from the first DOMAIN record whose `pid` is the runner's, and keeps ACCESS records of that
 * domain only.
 *
 * Threat model: the socket carries every Landlock denial of the machine (other sessions, other
 * sandboxes; a sandboxed command may also make nested domains of its own). Records are written
 * by the kernel only: user space cannot send these types without CAP_AUDIT_WRITE, and the
 * socket's filter admits no other type (landlock-audit.ts). What a record says about the
 * *target* (a path) was chosen by the command and is kept as data: decoded from the kernel's
 * hex form, cut to MAX_TARGET_CHARS, escaped where it is shown (core/violations.ts).
 */
import type { ViolationRecord } from '../../core/protocol.js';

export const AUDIT_LANDLOCK_ACCESS = 1423;
export const AUDIT_LANDLOCK_DOMAIN = 1424;
export const MAX_TARGET_CHARS = 4096;
/** ACCESS records of a domain not (yet) known to be ours, kept until its DOMAIN record comes. */
const MAX_PENDING = 256;

/** `key=value` pairs of a record's text: `"quoted"` values, bare tokens, and the kernel's hex form of untrusted strings. */
export function recordFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  const body = text.replace(/^audit\([^)]*\):\s*/, '');
  const re = /([a-z_]+)=("([^"]*)"|(\S*))/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) {
    const key = m[1]!;
    if (fields.has(key)) continue;
    fields.set(key, m[3] ?? m[4] ?? '');
    if (m[3] === undefined && UNTRUSTED_STRINGS.has(key) && /^(?:[0-9A-F]{2})+$/.test(m[4] ?? '')) {
      // audit_log_untrustedstring: a value with a space, quote or control byte is written as hex.
      fields.set(key, Buffer.from(m[4]!, 'hex').toString('utf8'));
    }
  }
  return fields;
}

const UNTRUSTED_STRINGS = new Set(['path', 'name', 'comm', 'ocomm', 'exe']);

/** The time of `audit(<seconds>.<ms>:<serial>)`, as ISO; now when it cannot be read. */
export function recordTime(text: string): string {
  const m = /^audit\((\d+)\.(\d{3}):\d+\)/.exec(text);
  return new Date(m === null ? Date.now() : Number(m[1]) * 1000 + Number(m[2])).toISOString();
}

/** What a blocker (the first of `blockers=`) means: the kind of attempt and the rule that refused it. */
export function describeBlocker(blocker: string): { kind: ViolationRecord['kind']; rule: string } {
  if (blocker === 'fs.execute') return { kind: 'exec', rule: 'not executable in the session' };
  if (blocker === 'fs.read_file' || blocker === 'fs.read_dir') return { kind: 'read', rule: 'not readable in the session' };
  if (blocker === 'fs.ioctl_dev') return { kind: 'ioctl', rule: 'device ioctl outside the session\'s devices' };
  if (blocker.startsWith('fs.')) return { kind: 'write', rule: 'outside the writable roots' };
  if (blocker === 'net.connect_tcp') return { kind: 'connect', rule: 'TCP connect not allowed' };
  if (blocker === 'net.bind_tcp') return { kind: 'bind', rule: 'TCP bind not allowed' };
  if (blocker === 'scope.signal') return { kind: 'signal', rule: 'to a process outside the session' };
  if (blocker === 'scope.abstract_unix_socket') return { kind: 'connect', rule: 'abstract unix socket outside the session' };
  if (blocker === 'ptrace') return { kind: 'ptrace', rule: 'a process outside the session' };
  return { kind: 'other', rule: 'refused by the session\'s Landlock domain' };
}

function targetOf(fields: Map<string, string>): string {
  const path = fields.get('path') ?? fields.get('name');
  let target = path ?? '';
  if (path === undefined && fields.has('daddr')) target = `${fields.get('daddr')}:${fields.get('dest') ?? '?'}`;
  else if (path === undefined && fields.has('opid')) target = `pid ${fields.get('opid')}${fields.has('ocomm') ? ` (${fields.get('ocomm')})` : ''}`;
  return target.length > MAX_TARGET_CHARS ? `${target.slice(0, MAX_TARGET_CHARS)}…` : target;
}

/** One ACCESS record as a ViolationRecord (domain checked by the caller). */
export function accessViolation(text: string): ViolationRecord {
  const fields = recordFields(text);
  const operation = (fields.get('blockers') ?? '').slice(0, 200);
  const { kind, rule } = describeBlocker(operation.split(',')[0] ?? '');
  return { kind, target: targetOf(fields), operation, time: recordTime(text), rule, source: 'landlock' };
}

/**
 * Keeps the ACCESS records of the domain that `creatorPid` made. Feed it every record in the
 * order the kernel sent them; it returns this session's violations as soon as they are known
 * to be its own.
 */
export class SessionDomainFilter {
  private domain: string | null = null;
  private readonly others = new Set<string>();
  private readonly pending = new Map<string, string[]>();
  private pendingCount = 0;

  constructor(private readonly creatorPid: number) {}

  feed(type: number, text: string): ViolationRecord[] {
    const fields = recordFields(text);
    const domain = fields.get('domain');
    if (domain === undefined || !/^[0-9a-f]{1,16}$/.test(domain)) return [];
    if (type === AUDIT_LANDLOCK_ACCESS) {
      if (domain === this.domain) return [accessViolation(text)];
      if (this.others.has(domain) || this.pendingCount >= MAX_PENDING) return [];
      this.pending.set(domain, [...(this.pending.get(domain) ?? []), text]);
      this.pendingCount += 1;
      return [];
    }
    if (type !== AUDIT_LANDLOCK_DOMAIN || fields.get('status') !== 'allocated') return [];
    const waiting = this.pending.get(domain) ?? [];
    this.pending.delete(domain);
    this.pendingCount -= waiting.length;
    if (this.domain === null && fields.get('pid') === String(this.creatorPid)) {
      this.domain = domain;
      return waiting.map(accessViolation);
    }
    if (this.others.size >= 4 * MAX_PENDING) this.others.clear(); // bounded: a forgotten domain's records only wait again
    this.others.add(domain);
    return [];
  }

  /** The session's domain id, once a denial has revealed it. */
  get ownDomain(): string | null {
    return this.domain;
  }
}
