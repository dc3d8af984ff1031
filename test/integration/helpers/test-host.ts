/**
 * A test host for network tests: a network namespace of its own, joined to this one by a veth
 * pair on a private 10.<net>.<R>.0/30 (R random, so that two suites or two runs do not meet), and
 * optionally fd00:<net>:<R>::/64. The suite starts its listeners in it (`exec`) and removes it in
 * its after hook (`remove`, safe to call when create failed half-way): deleting the namespace
 * takes the peer end and so the host end of the veth.
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { hex } from './e2e.js';

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

export class TestHost {
  readonly ns: string;
  readonly vethHost: string;
  readonly vethNs: string;
  readonly hostV4: string;
  readonly peerV4: string;
  readonly hostV6: string | null;
  readonly peerV6: string | null;
  private created = false;

  /** `prefix`: three letters naming the suite (interface names have 15 bytes); `net`: the second octet. */
  constructor(prefix: string, net: number, options: { ipv6?: boolean } = {}) {
    const tag = hex(2);
    const r = randomInt(1, 250);
    this.ns = `${prefix}${tag}`;
    this.vethHost = `${prefix}${tag}h`;
    this.vethNs = `${prefix}${tag}n`;
    this.hostV4 = `10.${net}.${r}.1`;
    this.peerV4 = `10.${net}.${r}.2`;
    this.hostV6 = options.ipv6 === true ? `fd00:${net}:${r}::1` : null;
    this.peerV6 = options.ipv6 === true ? `fd00:${net}:${r}::2` : null;
  }

  create(): void {
    ip(['netns', 'add', this.ns]);
    this.created = true;
    ip(['link', 'add', this.vethHost, 'type', 'veth', 'peer', 'name', this.vethNs]);
    ip(['link', 'set', this.vethNs, 'netns', this.ns]);
    ip(['addr', 'add', `${this.hostV4}/30`, 'dev', this.vethHost]);
    if (this.hostV6 !== null) ip(['-6', 'addr', 'add', `${this.hostV6}/64`, 'dev', this.vethHost, 'nodad']);
    ip(['link', 'set', this.vethHost, 'up']);
    this.exec(['ip', 'link', 'set', 'lo', 'up']);
    this.exec(['ip', 'addr', 'add', `${this.peerV4}/30`, 'dev', this.vethNs]);
    if (this.peerV6 !== null) this.exec(['ip', '-6', 'addr', 'add', `${this.peerV6}/64`, 'dev', this.vethNs, 'nodad']);
    this.exec(['ip', 'link', 'set', this.vethNs, 'up']);
  }

  /** `argv` inside the test host's namespace, to its end. */
  exec(argv: string[]): void {
    ip(['netns', 'exec', this.ns, ...argv]);
  }

  /** The `ip netns exec` argv that runs `argv` in the test host (for a long-running listener). */
  spawnArgs(argv: string[]): string[] {
    return ['netns', 'exec', this.ns, ...argv];
  }

  remove(): void {
    if (this.created) {
      try {
        ip(['netns', 'del', this.ns]);
      } catch (err) {
        console.error(`cannot delete netns ${this.ns}: ${(err as Error).message}`);
      }
    }
    try {
      ip(['link', 'del', this.vethHost]);
    } catch {
      // gone with the namespace
    }
  }
}
