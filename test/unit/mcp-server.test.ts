/**
 * The MCP server (orchestrator/mcp) through the SDK's own Client over an in-memory transport,
 * its sessions over the fake runner (test/helpers/fake-runner.ts: the real protocol, real but
 * unconfined child processes). Covers the tools' schemas, the session pool (one session per
 * network, reused, concurrent calls, failed openings retried, a dead runner replaced, all closed
 * at the end), timeouts, cancellation and the result's shape. Confinement itself is tested end
 * to end, over stdio against a provisioned installation, in test/integration/mcp.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CorralError } from '../../core/errors.js';
import { createMcpServer } from '../../orchestrator/mcp/server.js';
import { SessionPool } from '../../orchestrator/mcp/session-pool.js';
import { blockedConnections, commandArgv } from '../../orchestrator/mcp/run-command.js';
import { RunnerClient } from '../../orchestrator/session/client.js';
import { sessionEnvironment } from '../../orchestrator/session/command-input.js';
import { SessionImpl } from '../../orchestrator/session/session.js';
import type { Session, SessionOptions } from '../../orchestrator/session/types.js';
import { fakeRequest, FakeRunner } from '../helpers/fake-runner.js';

const ENV_POLICY = { allow: ['PATH', 'LANG'], set: {} };
const LIMITS = { timeoutSec: 30, maxOutputBytes: 1024 * 1024, pids: 64 };

/** Poll until `check` holds (processes take a moment to be reaped); fails after ~5 s. No time is asserted. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
}

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

describe('corral mcp (SDK client, in memory, fake runner)', function () {
  this.timeout(20_000);
  let workspace: string;
  let fakes: FakeRunner[];
  let opened: SessionOptions[];
  let failNextOpen: boolean;
  /** The shell the next sessions get (policy `shell`; null: none, as on Windows). */
  let shell: string | null;
  let pool: SessionPool;
  let client: Client;

  async function fakeOpen(options: SessionOptions): Promise<Session> {
    opened.push(options);
    if (failNextOpen) {
      failNextOpen = false;
      throw new CorralError('not_provisioned', 'not set up (test)');
    }
    const fake = new FakeRunner();
    fakes.push(fake);
    const rc = new RunnerClient(fake.process(), { closeGraceMs: 300, helloTimeoutMs: 5_000 });
    const network = options.network ?? 'offline';
    const hello = await rc.open(fakeRequest(workspace, { network, limits: LIMITS }));
    return new SessionImpl(rc, hello, {
      realUser: 'tester',
      workspace,
      network,
      policyDigest: hello.policyDigest,
      envPolicy: ENV_POLICY,
      baseEnv: sessionEnvironment({ PATH: process.env.PATH }, ENV_POLICY),
      limits: LIMITS,
      audit: null,
      shell,
    });
  }

  async function call(name: string, args: Record<string, unknown>, options: { signal?: AbortSignal } = {}): Promise<ToolResult> {
    return (await client.callTool({ name, arguments: args }, undefined, options)) as ToolResult;
  }

  function structured(r: ToolResult): Record<string, any> {
    assert.notEqual(r.isError, true, `tool failed: ${r.content.map((c) => c.text).join('')}`);
    assert.ok(r.structuredContent !== undefined);
    // The text content is the same document, for clients that do not read structuredContent.
    assert.deepEqual(JSON.parse(r.content[0]!.text!), r.structuredContent);
    return r.structuredContent;
  }

  before(() => {
    workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'corral-mcp-')));
    mkdirSync(path.join(workspace, 'sub'));
  });
  after(() => rmSync(workspace, { recursive: true, force: true }));

  beforeEach(async () => {
    fakes = [];
    opened = [];
    failNextOpen = false;
    shell = '/bin/sh';
    pool = new SessionPool(fakeOpen, { workspace });
    const server = createMcpServer(pool, '0.0.0-test', path.join(workspace, 'sub'));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    client = new Client({ name: 'mcp-unit', version: '1' });
    await client.connect(clientSide);
  });
  afterEach(async () => {
    await client.close();
    await pool.closeAll();
  });

  it('lists run_command and session_info with strict input schemas, and opens no session to do so', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['run_command', 'session_info']);
    const run = tools.find((t) => t.name === 'run_command')!;
    assert.deepEqual(Object.keys(run.inputSchema.properties ?? {}).sort(), ['argv', 'command', 'cwd', 'env', 'network', 'stdin', 'timeoutSec']);
    assert.equal(run.inputSchema.additionalProperties, false);
    assert.ok(run.outputSchema !== undefined);
    assert.equal(opened.length, 0);
  });

  it('runs argv and a shell string in one session, reused; the default cwd is where the server started', async () => {
    const a = structured(await call('run_command', { argv: ['sh', '-c', 'pwd; echo "$1"', 'x', 'a b'] }));
    assert.equal(a.stdout.data, `${path.join(workspace, 'sub')}\na b\n`);
    assert.equal(a.exitCode, 0);
    const b = structured(await call('run_command', { command: 'echo out; echo err >&2; exit 7', cwd: '.' }));
    assert.deepEqual([b.stdout, b.stderr, b.exitCode, b.status, b.timedOut], [{ encoding: 'utf8', data: 'out\n' }, { encoding: 'utf8', data: 'err\n' }, 7, 7, false]);
    assert.equal(a.sessionId, b.sessionId);
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.workspace, workspace);
  });

  it("a command string runs with the session's shell; with none (Windows) only argv is accepted", async () => {
    shell = '/bin/bash';
    const bash = structured(await call('run_command', { command: 'echo "${BASH_VERSION:+bash}"' }));
    assert.equal(bash.stdout.data, 'bash\n');
    await pool.closeAll();
    shell = null;
    pool = new SessionPool(fakeOpen, { workspace });
    const server = createMcpServer(pool, '0.0.0-test', workspace);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.close();
    client = new Client({ name: 'mcp-unit', version: '1' });
    await client.connect(clientSide);
    const refused = await call('run_command', { command: 'true' });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0]!.text!, /no POSIX shell[^]*\[usage\]/);
    assert.equal(structured(await call('run_command', { argv: ['true'] })).exitCode, 0);
  });

  it('passes stdin, and returns output that is not UTF-8 as base64', async () => {
    const r = structured(await call('run_command', { argv: ['cat'], stdin: 'héllo' }));
    assert.deepEqual(r.stdout, { encoding: 'utf8', data: 'héllo' });
    const bin = structured(await call('run_command', { command: "printf '\\377\\000'" }));
    assert.deepEqual(bin.stdout, { encoding: 'base64', data: Buffer.from([0xff, 0]).toString('base64') });
  });

  it('refuses a cwd outside the workspace and bad arguments as tool errors with their code', async () => {
    const outside = await call('run_command', { argv: ['true'], cwd: '/' });
    assert.equal(outside.isError, true);
    assert.match(outside.content[0]!.text!, /\[cwd_outside_workspace\]/);
    const both = await call('run_command', { argv: ['true'], command: 'true' });
    assert.equal(both.isError, true);
    assert.match(both.content[0]!.text!, /\[usage\]/);
    const unknown = await call('run_command', { argv: ['true'], shell: true });
    assert.equal(unknown.isError, true);
    const tooLong = await call('run_command', { argv: ['true'], timeoutSec: LIMITS.timeoutSec + 1 });
    assert.equal(tooLong.isError, true);
    assert.match(tooLong.content[0]!.text!, /limits\.timeoutSec/);
  });

  it('a command over its timeout is killed with what it started and reported timed out', async () => {
    const r = structured(await call('run_command', { command: 'sleep 100 & wait', timeoutSec: 0.5 }));
    assert.deepEqual([r.timedOut, r.status, r.exitCode], [true, 124, null]);
    assert.deepEqual(fakes[0]!.alivePids(), []);
  });

  it('runs two calls at once in the same session (each waits for the other)', async () => {
    const waitFor = (mine: string, theirs: string) => `: > ${mine}; while [ ! -e ${theirs} ]; do sleep 0.02; done; echo ${mine}`;
    const [a, b] = await Promise.all([
      call('run_command', { command: waitFor('a', 'b'), cwd: workspace, timeoutSec: 10 }),
      call('run_command', { command: waitFor('b', 'a'), cwd: workspace, timeoutSec: 10 }),
    ]);
    const [ra, rb] = [structured(a), structured(b)];
    assert.deepEqual([ra.stdout.data, ra.timedOut, rb.stdout.data, rb.timedOut], ['a\n', false, 'b\n', false]);
    assert.equal(ra.sessionId, rb.sessionId);
    assert.equal(opened.length, 1);
  });

  it('opens one session per network asked for, and session_info describes each', async () => {
    const off = structured(await call('session_info', {}));
    const on = structured(await call('session_info', { network: 'online' }));
    const again = structured(await call('run_command', { argv: ['true'], network: 'online' }));
    assert.equal(opened.length, 2);
    assert.deepEqual(opened.map((o) => o.network), [undefined, 'online']);
    assert.notEqual(off.sessionId, on.sessionId);
    assert.equal(again.sessionId, on.sessionId);
    assert.equal(on.network, 'online');
    assert.deepEqual([off.workspace, off.defaultCwd, off.identity, off.limits, off.shell], [workspace, path.join(workspace, 'sub'), 'fake-off-tester', LIMITS, '/bin/sh']);
    assert.deepEqual(off.enforcement, { workspaceAccess: 'none', networkNamespace: false, containment: 'none', warnings: [] });
  });

  it('a failed opening is reported and forgotten: the next call opens again', async () => {
    failNextOpen = true;
    const first = await call('run_command', { argv: ['true'] });
    assert.equal(first.isError, true);
    assert.match(first.content[0]!.text!, /\[not_provisioned\]/);
    structured(await call('run_command', { argv: ['true'] }));
    assert.equal(opened.length, 2);
  });

  it('a session whose runner died is replaced on the next call', async () => {
    const before = structured(await call('run_command', { argv: ['true'] }));
    fakes[0]!.crash();
    const failed = await call('run_command', { argv: ['true'] });
    assert.equal(failed.isError, true);
    const after = structured(await call('run_command', { argv: ['true'] }));
    assert.notEqual(after.sessionId, before.sessionId);
    assert.equal(fakes.length, 2);
  });

  it('a cancelled call kills its command', async () => {
    const abort = new AbortController();
    const pending = call('run_command', { command: 'sleep 100' }, { signal: abort.signal });
    await until(() => fakes[0]?.alivePids().length === 1, 'the command started');
    abort.abort();
    await assert.rejects(pending);
    await until(() => fakes[0]!.alivePids().length === 0, 'the cancelled command is gone');
  });

  it('closing the pool kills what runs, stops every runner and refuses later calls', async () => {
    await call('session_info', { network: 'online' });
    const pending = call('run_command', { command: 'sleep 100' });
    await until(() => fakes[1]?.alivePids().length === 1, 'the command started');
    await pool.closeAll();
    const r = await pending;
    assert.ok(r.isError === true || r.structuredContent?.signal === 'SIGKILL', JSON.stringify(r));
    for (const fake of fakes) {
      await fake.exited; // the runner stopped (the fake resolves it when it shuts down)
      await until(() => fake.alivePids().length === 0, 'no command left running');
    }
    const later = await call('run_command', { argv: ['true'] });
    assert.equal(later.isError, true);
    assert.match(later.content[0]!.text!, /\[session_closed\]/);
  });
});

describe('corral mcp pieces', () => {
  it("argv is taken as given; a command string runs as SHELL -c with the session's shell; exactly one of them", () => {
    assert.deepEqual(commandArgv({ argv: ['ls', '-la'] }, '/bin/sh'), ['ls', '-la']);
    assert.deepEqual(commandArgv({ command: 'a && b' }, '/bin/sh'), ['/bin/sh', '-c', 'a && b']);
    assert.deepEqual(commandArgv({ command: 'a && b' }, '/usr/bin/zsh'), ['/usr/bin/zsh', '-c', 'a && b']);
    assert.deepEqual(commandArgv({ argv: ['x'] }, null), ['x']);
    assert.throws(() => commandArgv({ command: 'y' }, null), /no POSIX shell/);
    assert.throws(() => commandArgv({}, '/bin/sh'), /exactly one/);
    assert.throws(() => commandArgv({ argv: ['x'], command: 'y' }, '/bin/sh'), /exactly one/);
  });

  it('blocked lists refused connections once per host, port, rule and way, with a count', () => {
    const base = { time: 't', via: 'connect' as const, port: 443, rule: 'not in network.allow' };
    const out = blockedConnections([
      { ...base, host: 'evil.example', allowed: false },
      { ...base, host: 'evil.example', allowed: false },
      { ...base, host: 'ok.example', allowed: true, rule: 'network.allow ok.example' },
      { ...base, host: 'evil.example', port: 80, allowed: false },
    ]);
    assert.deepEqual(out, [
      { host: 'evil.example', port: 443, rule: 'not in network.allow', via: 'connect', attempts: 2 },
      { host: 'evil.example', port: 80, rule: 'not in network.allow', via: 'connect', attempts: 1 },
    ]);
  });
});
