/**
 * The one-line reports `corral run` prints on stderr for accesses the kernel refused:
 * `corral: blocked: write /etc/hosts (outside the writable roots)`, `corral: blocked: create a file
 * in /etc (outside the writable roots)`. One line per distinct kind,
 * target and rule (a tool that retries would repeat it), at most MAX_LINES, then a count.
 *
 * The target is a name the sandboxed command chose (a path it tried): escaped here so that no
 * byte of it reaches the terminal as a control sequence.
 */
import type { ViolationRecord } from '../../core/protocol.js';

const MAX_LINES = 20;

/** `text` with control characters, backslashes and non-printing code points written as escapes. */
export function escapeForTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g, (c) =>
    c === '\\' ? '\\\\' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * What was attempted, in words, from the kernel's first blocker: a file that did not exist yet
 * is reported with its directory (`fs.make_reg` on /etc: "create a file in /etc").
 */
const ACTIONS: Record<string, string> = {
  'fs.write_file': 'write',
  'fs.truncate': 'truncate',
  'fs.make_reg': 'create a file in',
  'fs.make_dir': 'create a directory in',
  'fs.make_sym': 'create a link in',
  'fs.make_fifo': 'create a fifo in',
  'fs.make_sock': 'create a socket in',
  'fs.make_char': 'create a device in',
  'fs.make_block': 'create a device in',
  'fs.remove_file': 'remove a file from',
  'fs.remove_dir': 'remove a directory from',
  'fs.refer': 'move or link across',
  'fs.ioctl_dev': 'ioctl on',
  'scope.signal': 'signal',
  'scope.abstract_unix_socket': 'connect to abstract socket',
  ptrace: 'ptrace',
  'packet.tcp': 'connect to',
  'packet.udp': 'send a UDP datagram to',
};

export function actionOf(v: Pick<ViolationRecord, 'kind' | 'operation'>): string {
  const op = v.operation.split(',')[0] ?? '';
  // A refused packet of another protocol (packet.icmp, packet.sctp, …).
  if (!(op in ACTIONS) && op.startsWith('packet.')) return `send a packet (${op.slice('packet.'.length)}) to`;
  return ACTIONS[op] ?? v.kind;
}

export function violationLines(violations: readonly ViolationRecord[], dropped = 0): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  let more = 0;
  for (const v of violations) {
    const target = v.target === '' ? '' : ` ${escapeForTerminal(v.target)}`;
    const line = `corral: blocked: ${actionOf(v)}${target} (${v.rule})\n`;
    if (seen.has(line)) continue;
    seen.add(line);
    if (lines.length < MAX_LINES) lines.push(line);
    else more += 1;
  }
  if (more > 0) lines.push(`corral: blocked: ${more} more distinct accesses (corral run --json lists them all)\n`);
  if (dropped > 0) lines.push(`corral: ${dropped} more refused accesses were not recorded (too many at once)\n`);
  return lines;
}
