/**
 * ConPTY bindings (os/win32/conpty.ts) on a real Windows (CI: windows-latest): a pseudo console
 * of a given size, a process started on it with a restricted command token as the runner makes
 * them (process.ts, PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE), its screen read back as VT output,
 * the console's size as the program sees it, a resize, the close. Not run on this project's
 * Linux machines: under Wine 8 the console is created but no screen arrives and resize is
 * E_NOTIMPL (test/windows/wine-smoke.test.ts asserts those gaps). The Windows runner does not
 * use these bindings yet (`pty` is platform_unsupported there).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';

const onWindows = process.platform === 'win32';

describe('ConPTY bindings on Windows', function () {
  this.timeout(120_000);
  before(function () {
    if (!onWindows) {
      console.log(`      (skipped: ConPTY needs Windows 10 1809+; this is ${process.platform})`);
      this.skip();
    }
  });

  /** Run `commandLine` on a pseudo console of `size`; the screen until `until` shows (or the output ends). */
  async function onConsole(commandLine: string, size: { cols: number; rows: number }, until: RegExp, during?: (pc: { resize(s: { cols: number; rows: number }): void }) => void) {
    const { PseudoConsole } = await import('../../os/win32/conpty.js');
    const { createProcessAsUser, resumeThread, waitForExit, CREATE_SUSPENDED } = await import('../../os/win32/process.js');
    const { pollPipe } = await import('../../os/win32/pipe.js');
    const { currentUserSid, currentLogonSid, createCommandToken } = await import('../../runner/windows/token.js');
    const { commandTokenSids } = await import('../../runner/windows/token-sids.js');
    const { encodeEnvironmentBlock } = await import('../../os/win32/env-block.js');
    const capability = `S-1-5-21-${[0, 0, 0].map(() => randomBytes(4).readUInt32LE(0) >>> 1).join('-')}-1000`;
    const token = createCommandToken(commandTokenSids({ identitySid: currentUserSid(), logonSid: currentLogonSid(), capabilitySids: [capability] }));
    const systemRoot = process.env.SystemRoot ?? 'C:\\Windows';
    const pc = PseudoConsole.open(size, 'ci');
    try {
      const started = createProcessAsUser({
        token,
        application: `${systemRoot}\\system32\\cmd.exe`,
        commandLine,
        cwd: tmpdir(),
        environment: encodeEnvironmentBlock({ SystemRoot: systemRoot, PATH: `${systemRoot}\\system32;${systemRoot}\\System32\\WindowsPowerShell\\v1.0` }),
        stdio: { stdin: pc.input, stdout: pc.output, stderr: pc.output },
        flags: CREATE_SUSPENDED,
        label: 'conpty-ci',
        pseudoConsole: pc,
      });
      resumeThread(started.thread);
      started.thread.close();
      const chunks: Buffer[] = [];
      const deadline = Date.now() + 60_000;
      let ran = false;
      while (Date.now() < deadline && !until.test(Buffer.concat(chunks).toString('utf8'))) {
        const r = pollPipe(pc.output, 65536);
        if (r.kind === 'data') chunks.push(r.data);
        else if (r.kind === 'eof') break;
        else await new Promise((done) => setTimeout(done, 50));
        // Resized once the first size is on the screen (read before the resize, not after).
        if (!ran && during !== undefined && /\b97\b[\s\S]*\b31\b/.test(Buffer.concat(chunks).toString('utf8'))) {
          ran = true;
          during(pc);
        }
      }
      const exit = await waitForExit(started.process, 30_000);
      started.process.close();
      return { exit, screen: Buffer.concat(chunks).toString('utf8') };
    } finally {
      pc.close();
      pc.input.close();
      pc.output.close();
      token.close();
    }
  }

  it('a command on a pseudo console: its output arrives on the output pipe, exit 0', async () => {
    const r = await onConsole('cmd.exe /c echo conpty-hello', { cols: 80, rows: 25 }, /conpty-hello/);
    assert.match(r.screen, /conpty-hello/);
    assert.equal(r.exit, 0);
  });

  it("the program sees the console's size, and ResizePseudoConsole changes it", async () => {
    const r = await onConsole(
      'cmd.exe /c powershell.exe -NoProfile -NonInteractive -Command "[Console]::WindowWidth; [Console]::WindowHeight; Start-Sleep -Milliseconds 1500; \'after \' + [Console]::WindowWidth + \'x\' + [Console]::WindowHeight"',
      { cols: 97, rows: 31 },
      /after \d+x\d+/,
      (pc) => pc.resize({ cols: 120, rows: 40 }),
    );
    assert.match(r.screen, /\b97\b[\s\S]*\b31\b/, r.screen);
    assert.match(r.screen, /after 120x40/, r.screen);
  });
});
