/**
 * End to end, as root, with the real runner: `corral mcp` started by the MCP SDK's own client
 * over stdio, as a provisioned member (runuser, through the sudo rule), exactly as an agent
 * would start it. Real writes checked on the host, a real timeout, concurrent calls, a second
 * session for the online network, everything gone once the client closes, and a connection the
 * filtering proxy refused reported in `blocked` (an allowlist network from the user's config).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, eventually, NODE, requireRoot, TestInstallation, userDir, userFile } from './helpers/e2e.js';

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, any>;
}

/** Pids of every process of `user` (pgrep -u). */
function processesOf(user: string): number[] {
  try {
    return execFileSync('pgrep', ['-u', user], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('corral mcp end to end: the SDK client over stdio, as a member (root)', function () {
  this.timeout(600_000);
  let inst: TestInstallation | undefined;
  let outside: string | undefined;
  let client: Client | undefined;
  let transport: StdioClientTransport | undefined;
  let serverStderr = '';

  /** `corral mcp` as the member (runuser, then the real sudo rule), as an agent would start it. */
  async function startServer(): Promise<{ client: Client; transport: StdioClientTransport }> {
    const t = new StdioClientTransport({
      command: 'runuser',
      args: ['-u', inst!.user.name, '--', NODE, CLI, 'mcp', '--workspace', inst!.workspace],
      env: { CORRAL_INSTANCE: inst!.instance, SUDO_USER: '', SUDO_UID: '', SUDO_GID: '' },
      cwd: inst!.workspace,
      stderr: 'pipe',
    });
    t.stderr?.on('data', (c: Buffer) => (serverStderr += c.toString('utf8')));
    const c = new Client({ name: 'corral-mcp-e2e', version: '1' });
    await c.connect(t);
    return { client: c, transport: t };
  }

  async function call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    return (await client!.callTool({ name, arguments: args })) as ToolResult;
  }

  function ok(r: ToolResult): Record<string, any> {
    assert.notEqual(r.isError, true, `tool failed: ${r.content.map((c) => c.text).join('')}; server stderr: ${serverStderr}`);
    return r.structuredContent!;
  }

  before(async function () {
    requireRoot(this);
    inst = new TestInstallation('ctm');
    await inst.setup();
    // World-writable and outside the workspace: only the sandbox can stop a write here.
    outside = mkdtempSync('/tmp/corral-mcp-outside-');
    chmodSync(outside, 0o777);
    ({ client, transport } = await startServer());
  });

  after(async () => {
    try {
      await client?.close();
    } finally {
      if (outside !== undefined) rmSync(outside, { recursive: true, force: true });
      await inst?.teardown();
    }
  });

  it('initializes and lists run_command and session_info', async () => {
    assert.equal(client!.getServerVersion()?.name, 'corral');
    const { tools } = await client!.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['run_command', 'session_info']);
  });

  it('session_info: the workspace, the offline identity, its limits and enforcement', async () => {
    const info = ok(await call('session_info', {}));
    assert.equal(info.workspace, inst!.workspace);
    assert.equal(info.identity, inst!.identity('offline').name);
    assert.equal(info.network, 'offline');
    assert.equal(info.shell, '/bin/sh');
    assert.equal(typeof info.limits.timeoutSec, 'number');
    assert.equal(typeof info.enforcement.containment, 'string');
  });

  it('a write inside the workspace works: the file is on the host afterwards', async () => {
    const r = ok(await call('run_command', { command: 'echo written-by-mcp > inside.txt && id -un' }));
    assert.equal(r.exitCode, 0, JSON.stringify(r));
    assert.equal(r.stdout.data.trim(), inst!.identity('offline').name);
    assert.equal(readFileSync(path.join(inst!.workspace, 'inside.txt'), 'utf8'), 'written-by-mcp\n');
  });

  it('a write outside the workspace is refused: nothing appears on the host', async () => {
    const viaShell = path.join(outside!, 'escape-shell.txt');
    const viaArgv = path.join(outside!, 'escape-argv.txt');
    const a = ok(await call('run_command', { command: `echo escaped > ${viaShell}` }));
    const b = ok(await call('run_command', { argv: ['touch', viaArgv] }));
    assert.notEqual(a.exitCode, 0, JSON.stringify(a));
    assert.notEqual(b.exitCode, 0, JSON.stringify(b));
    assert.equal(existsSync(viaShell), false, `${viaShell} was written`);
    assert.equal(existsSync(viaArgv), false, `${viaArgv} was written`);
  });

  it('an offline name lookup fails at once and the result says the session is offline (networkUnreachable, notices)', async () => {
    const r = ok(await call('run_command', { argv: ['getent', 'hosts', 'example.com'], timeoutSec: 20 }));
    assert.deepEqual([r.timedOut, r.status, r.networkUnreachable], [false, 2, true], JSON.stringify(r));
    assert.ok((r.notices as string[]).some((n) => n.startsWith('this session is offline')), JSON.stringify(r));
  });

  it('a long command with a timeout is killed, reported timed out, and leaves nothing running', async () => {
    const r = ok(await call('run_command', { command: 'sleep 300 & sleep 300', timeoutSec: 2 }));
    assert.deepEqual([r.timedOut, r.status], [true, 124], JSON.stringify(r));
    assert.deepEqual(r.notices, ['killed after 2 s (limits.timeoutSec), with all it started'], JSON.stringify(r));
    const identity = inst!.identity('offline').name;
    const sleepers = (): number[] => {
      try {
        return execFileSync('pgrep', ['-u', identity, '-x', 'sleep'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    assert.ok(await eventually(() => sleepers().length === 0), `sleep still runs as ${identity}: ${sleepers().join(' ')}`);
  });

  it('two concurrent calls run at once in the same session (each waits for the other)', async () => {
    const waitFor = (mine: string, theirs: string) => `: > ${mine}; while [ ! -e ${theirs} ]; do sleep 0.05; done; echo ${mine}`;
    const [a, b] = await Promise.all([
      call('run_command', { command: waitFor('rv-a', 'rv-b'), timeoutSec: 60 }),
      call('run_command', { command: waitFor('rv-b', 'rv-a'), timeoutSec: 60 }),
    ]);
    const [ra, rb] = [ok(a), ok(b)];
    assert.deepEqual([ra.stdout.data, ra.timedOut, rb.stdout.data, rb.timedOut], ['rv-a\n', false, 'rv-b\n', false]);
    assert.equal(ra.sessionId, rb.sessionId);
    assert.equal(ra.sessionId, ok(await call('session_info', {})).sessionId);
  });

  it('a call asking for the online network runs in a second session, as the online identity', async () => {
    const online = ok(await call('run_command', { argv: ['id', '-un'], network: 'online' }));
    assert.equal(online.stdout.data.trim(), inst!.identity('online').name, JSON.stringify(online));
    const offline = ok(await call('session_info', {}));
    assert.notEqual(online.sessionId, offline.sessionId);
    assert.equal(ok(await call('session_info', { network: 'online' })).sessionId, online.sessionId);
  });

  it('when the client closes, the server ends and so does everything of the session', async () => {
    const pending = call('run_command', { command: 'sleep 300' }).catch((err: unknown) => err);
    const identity = inst!.identity('offline').name;
    assert.ok(await eventually(() => processesOf(identity).length > 0), 'the command never started');
    const pid = transport!.pid;
    await client!.close();
    await pending;
    client = undefined;
    assert.ok(pid !== null);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(await eventually(() => !alive()), 'the server process is still running');
    assert.ok(await eventually(() => processesOf(identity).length === 0), `${identity} still runs: ${processesOf(identity).join(' ')}`);
    const online = inst!.identity('online').name;
    assert.ok(await eventually(() => processesOf(online).length === 0), `${online} still runs: ${processesOf(online).join(' ')}`);
    assert.ok(await eventually(() => processesOf(inst!.user.name).length === 0), `${inst!.user.name} still runs: ${processesOf(inst!.user.name).join(' ')}`);
  });

  describe('when the server is killed instead of closed', () => {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      it(`${signal} to the server: the running command ends and nothing of the session is left`, async () => {
        const identity = inst!.identity('offline').name;
        const started = await startServer();
        try {
          const pending = started.client.callTool({ name: 'run_command', arguments: { command: 'sleep 300' } }).catch((err: unknown) => err);
          assert.ok(await eventually(() => processesOf(identity).length > 0), 'the command never started');
          // runuser stays the parent of the server; signal the server itself, as an agent would.
          const server = execFileSync('pgrep', ['-P', String(started.transport.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
          assert.equal(server.length, 1, `children of runuser: ${server.join(' ')}`);
          process.kill(server[0]!, signal);
          await pending;
          // SIGTERM: the server closes its sessions; SIGKILL: the runner sees its input end and stops.
          assert.ok(await eventually(() => processesOf(identity).length === 0), `${identity} still runs after ${signal}: ${processesOf(identity).join(' ')}`);
          assert.ok(await eventually(() => processesOf(inst!.user.name).length === 0), `${inst!.user.name} still runs: ${processesOf(inst!.user.name).join(' ')}`);
        } finally {
          await started.client.close();
        }
      });
    }
  });

  describe("with an allowlist network in the user's config", () => {
    let configDir: string | undefined;
    before(async () => {
      // The user layer (~/.config/<installation>/config.json) makes the policy's network an allowlist.
      const dotConfig = userDir(inst!.user, path.join(inst!.user.home, '.config'), 0o700);
      configDir = userDir(inst!.user, path.join(dotConfig, inst!.instance), 0o700);
      userFile(inst!.user, path.join(configDir, 'config.json'), JSON.stringify({ network: { allow: ['allowed.invalid:8080'], deny: [] } }));
      ({ client, transport } = await startServer());
    });
    after(async () => {
      try {
        await client?.close();
      } finally {
        client = undefined;
        if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
      }
    });

    it('a connection the proxy refuses is in blocked, with its rule, once per host and port', async () => {
      const r = ok(await call('run_command', { command: 'curl -sS -p --max-time 10 http://denied.invalid:8080/; curl -sS -p --max-time 10 http://denied.invalid:8080/' }));
      assert.notEqual(r.exitCode, 0, JSON.stringify(r));
      assert.deepEqual(r.blocked, [{ host: 'denied.invalid', port: 8080, rule: 'not in network.allow', via: 'connect', attempts: 2 }], JSON.stringify(r));
    });
  });
});
