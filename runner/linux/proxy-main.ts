/**
 * The filtering proxy's process (started by proxy.ts, one per allowlist session). It starts as
 * root in the host's namespaces, takes its start message from the runner over the IPC channel,
 * drops for good to the online identity (creds.ts: groups, gid, uid, not dumpable) and sets
 * no_new_privs before it accepts a single connection; from then on it has no right the online
 * identity lacks. Client connections arrive as sockets passed over that channel (SCM_RIGHTS);
 * each decision goes back the same way. It exits when the channel closes, i.e. with the runner.
 * Established tunnels are relayed in the kernel (splice-relay.ts); a failure there ends the
 * process, which closes every tunnel.
 *
 * The channel is hostile-adjacent: only the runner holds its other end, but messages are still
 * checked for shape, and a bad start message ends the process (the session then fails closed).
 */
import net from 'node:net';
import { compileRules } from '../../core/proxy/decision.js';
import { createFilteringProxy, type FilteringProxy } from '../../core/proxy/server.js';
import { dropTo, setNoNewPrivs } from './creds.js';
import { createSpliceRelay } from './splice-relay.js';

export interface ProxyStart {
  type: 'start';
  uid: number;
  gid: number;
  allow: string[];
  deny: string[];
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function started(m: Record<string, unknown>): FilteringProxy {
  if (typeof m.uid !== 'number' || typeof m.gid !== 'number' || !isStrings(m.allow) || !isStrings(m.deny)) throw new Error('bad start message');
  const rules = compileRules({ allow: m.allow, deny: m.deny });
  dropTo({ uid: m.uid, gid: m.gid, groups: [] });
  setNoNewPrivs();
  // Made after the drop: the relay's thread starts with the first tunnel, as the online identity.
  const splice = createSpliceRelay({
    onFailure: (why) => {
      process.stderr.write(`corral proxy: ${why}\n`);
      process.exit(1); // every tunnel closes with the process; the runner then closes the listeners
    },
  });
  return createFilteringProxy({ rules, onDecision: (decision) => process.send?.({ type: 'decision', decision }), tunnel: splice.relay });
}

let proxy: FilteringProxy | null = null;
process.on('message', (raw: unknown, handle: unknown) => {
  const m = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  try {
    if (proxy === null) {
      if (m.type !== 'start') throw new Error('first message must be start');
      proxy = started(m);
      process.send?.({ type: 'ready', pid: process.pid });
    } else if (m.type === 'connection' && handle instanceof net.Socket) {
      proxy.handle(handle);
    } else if (handle instanceof net.Socket) {
      handle.destroy();
    }
  } catch (err) {
    process.stderr.write(`corral proxy: ${(err as Error).message}\n`);
    process.exit(1);
  }
});
process.on('disconnect', () => process.exit(0));
