import assert from 'node:assert/strict';
import { commandNotices } from '../../orchestrator/cli/notices.js';
import { snmp6Field, snmpField } from '../../runner/linux/no-route.js';
import { commandEnvironment } from '../../runner/linux/environment.js';
import type { CommandExit } from '../../orchestrator/session/types.js';

const base: CommandExit = { exitCode: 0, signal: null, timedOut: false, killed: null, outputTruncated: false, networkUnreachable: false, durationMs: 1, status: 0, connections: [], violations: [], violationsDropped: 0 };
const ctx = { limits: { timeoutSec: 600, maxOutputBytes: 1000, pids: 10 }, network: 'offline' as const };

describe('corral: notices (what Corral did)', () => {
  it('says nothing for a plain exit', () => {
    assert.deepEqual(commandNotices({ ...base, exitCode: 3, status: 3 }, ctx), []);
  });
  it('names the timeout, the cut output and the memory kill with their settings', () => {
    const lines = commandNotices({ ...base, timedOut: true, status: 124, outputTruncated: true, killed: 'out of memory' }, ctx);
    assert.equal(lines[0], 'killed after 600 s (limits.timeoutSec), with all it started');
    assert.equal(lines[1], 'killed: out of memory (limits.memoryBytes)');
    assert.match(lines[2]!, /^output cut at 1000 bytes \(limits\.maxOutputBytes\)/);
  });
  it('says the session is offline only when the command failed after a no-route attempt', () => {
    assert.deepEqual(commandNotices({ ...base, networkUnreachable: true }, ctx), []);
    assert.match(commandNotices({ ...base, networkUnreachable: true, exitCode: 1, status: 1 }, ctx)[0]!, /offline.*--network online/);
  });
});

describe('no-route counters (/proc/net/snmp parsing)', () => {
  it('reads OutNoRoutes and Ip6OutNoRoutes by name', () => {
    const snmp = 'Ip: Forwarding OutRequests OutNoRoutes\nIp: 2 10 7\nIcmp: InMsgs\nIcmp: 0\n';
    assert.equal(snmpField(snmp, 'Ip', 'OutNoRoutes'), 7);
    assert.equal(snmpField(snmp, 'Ip', 'Missing'), 0);
    assert.equal(snmpField('', 'Ip', 'OutNoRoutes'), 0);
    assert.equal(snmp6Field('Ip6InReceives 4\nIp6OutNoRoutes   \t3\n', 'Ip6OutNoRoutes'), 3);
  });
});

describe('CORRAL_NETWORK and the offline settings of package managers', () => {
  const env = (network: 'offline' | 'online' | 'allowlist') => commandEnvironment({ npm_config_offline: 'false' }, { home: '/h', tmpdir: '/tmp', identity: 'i', safeDirectories: [], network });
  it('offline: npm, pip and cargo are told, over what the client sent', () => {
    const e = env('offline');
    assert.equal(e.CORRAL_NETWORK, 'offline');
    assert.equal(e.npm_config_offline, 'true');
    assert.equal(e.PIP_NO_INDEX, '1');
    assert.equal(e.CARGO_NET_OFFLINE, 'true');
  });
  it('online and allowlist: only CORRAL_NETWORK', () => {
    assert.equal(env('online').CORRAL_NETWORK, 'online');
    assert.equal(env('allowlist').CORRAL_NETWORK, 'allowlist');
    assert.equal(env('allowlist').PIP_NO_INDEX, undefined);
  });
});
