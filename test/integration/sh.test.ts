/**
 * `corral sh` as an agent meets it (root, a real provisioned installation, the member through the
 * real sudo rule): real shell-using programs — a Node script calling `child_process.exec(cmd,
 * { shell })` and a Python script calling `subprocess.run(cmd, shell=True, executable=…)` — run a
 * table of tricky commands once with plain `/bin/sh` and once with `corral-sh`
 * (dist/orchestrator/cli/sh-main.js, the package's second bin), in the same workspace directory,
 * and every case must give the same stdout and stderr, byte for byte, and the same status.
 *
 * Status is compared shell-style: a shell killed by a signal is 128 + the signal to both sides,
 * since `corral sh` exits 128+N (as `corral run` does) where plain sh dies of N. Cases that write
 * write inside the workspace and remove what they wrote, so both runs start from the same files.
 * That corral-sh really confines is checked too (identity, a write outside refused), so the table
 * cannot pass by running plain sh. Then the `shell` config key: `login` runs the user's login
 * shell, an unknown value and a nologin account are config errors with nothing on stdout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE, requireRoot, runProgram, show, TestInstallation, userDir, userFile, type Result } from './helpers/e2e.js';
import type { ShCase, ShOutcome } from './helpers/sh-driver.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built `corral-sh` (package.json bin; the build marks it executable). */
const CORRAL_SH = path.resolve(here, '../../orchestrator/cli/sh-main.js');
const NODE_DRIVER = path.join(here, 'helpers', 'sh-driver.js');
const PYTHON = '/usr/bin/python3';

/** The Python program: the same cases through subprocess.run with shell=True and executable=SHELL. */
const PYTHON_DRIVER = String.raw`
import base64, json, subprocess, sys
shell, cases_file = sys.argv[1], sys.argv[2]
out = []
for c in json.load(open(cases_file)):
    stdin = base64.b64decode(c.get("input", ""))
    if "flags" in c:
        r = subprocess.run([shell, *c["flags"], c["cmd"], *c.get("args", [])], input=stdin, capture_output=True)
    else:
        # shell=True with a list: [cmd, arg0, arg1...] becomes [/bin/sh, -c, cmd, arg0, ...], run as executable.
        r = subprocess.run([c["cmd"], *c.get("args", [])], shell=True, executable=shell, input=stdin, capture_output=True)
    out.append({"name": c["name"], "code": r.returncode, "signal": None,
                "stdout": base64.b64encode(r.stdout).decode(), "stderr": base64.b64encode(r.stderr).decode()})
sys.stdout.write(json.dumps(out))
`;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The table: [name, command, extras]. Each runs in the cases directory (a.txt b.txt c.log sub/rel.txt). */
const CASES: (ShCase & { expect?: number })[] = [
  { name: 'plain echo', cmd: 'echo hello' },
  { name: 'single quotes keep $ and spaces', cmd: "echo 'single   $HOME \"x\"'" },
  { name: 'double quotes, arithmetic', cmd: 'echo "double $((1 + 2)) \'q\'"' },
  { name: 'printf with tricky words', cmd: `printf '[%s]' a "b c" 'd"e' "f'g" ''; echo` },
  { name: 'backslashes', cmd: String.raw`printf '%s\n' 'a\b' "c\\d" e\ f` },
  { name: 'glob *.txt', cmd: 'echo *.txt' },
  { name: 'glob in ls', cmd: 'ls -1 *.log sub' },
  { name: 'unmatched glob stays literal', cmd: 'echo nomatch*.xyz' },
  { name: 'quoted glob not expanded', cmd: 'echo "*.txt"' },
  { name: 'pipe into sort and head', cmd: "printf 'b\\na\\nc\\n' | sort | head -n 2" },
  { name: 'pipeline status is the last', cmd: 'false | true; echo $?' },
  { name: 'here-doc with expansion', cmd: "cat <<EOF\nline $((2 * 3))\n'quoted' \"dq\"\nEOF" },
  { name: 'quoted here-doc without expansion', cmd: "cat <<'EOF'\n$HOME $(echo no) stays\nEOF" },
  { name: '&& runs on success', cmd: 'true && echo and-ran' },
  { name: '|| runs on failure', cmd: 'false || echo or-ran' },
  { name: '&& skipped, $? kept', cmd: 'false && echo never; echo "status $?"' },
  { name: 'exit 7', cmd: 'exit 7', expect: 7 },
  { name: 'exit 255', cmd: 'echo before; exit 255', expect: 255 },
  { name: 'kill -TERM $$', cmd: 'echo dying; kill -TERM $$; echo not-reached', expect: 128 + constants.signals.SIGTERM },
  { name: 'kill -KILL $$', cmd: 'kill -KILL $$', expect: 128 + constants.signals.SIGKILL },
  { name: 'a child killed by a signal', cmd: 'sh -c \'kill -INT $$\'; echo "child status $?"' },
  { name: 'background job and wait', cmd: 'sleep 0.2 & echo started; wait; echo done' },
  { name: 'background job status', cmd: '(exit 5) & wait $!; echo "bg $?"' },
  { name: 'subshell exit', cmd: '(echo sub; exit 3); echo "after $?"' },
  { name: 'cd then relative paths', cmd: 'cd sub && pwd && cat rel.txt && cat ../sub/rel.txt' },
  { name: 'cd .. and back', cmd: 'cd sub; cd ..; ls -1 *.txt' },
  { name: 'UTF-8 text', cmd: "echo 'héllo wörld ✓ 日本語 🙂'" },
  { name: 'UTF-8 byte count', cmd: "printf 'ü🙂' | wc -c" },
  { name: 'binary bytes', cmd: String.raw`printf '\000\001\377\n'` },
  { name: 'stdin passthrough: cat', cmd: 'cat', input: b64('from stdin\nsecond line ✓\n') },
  { name: 'stdin: read', cmd: 'read line; echo "got:$line"', input: b64('first\nrest\n') },
  { name: 'stdin: wc -l, no newline at the end', cmd: 'wc -l', input: b64('1\n2\n3') },
  { name: 'stdin empty', cmd: 'cat; echo "eof $?"' },
  { name: '$0 of sh -c', cmd: 'echo "$0"' },
  { name: '$0 and $1 given', cmd: 'echo "0=$0 1=$1 #=$#"', args: ['name', 'first arg'] },
  { name: '"$@" with spaces and empty', cmd: 'for a in "$@"; do echo "[$a]"; done', args: ['zero', 'a b', '', '*.txt'] },
  { name: '-- as $0, then --help and --json are arguments', cmd: 'echo "$0|$1|$2"', args: ['--', '--help', '--json'] },
  { name: 'set -- in the command', cmd: 'set -- x "y z"; echo "$#" "$2"' },
  { name: 'stderr and stdout', cmd: 'echo to-err >&2; echo to-out; echo more-err 1>&2' },
  { name: 'command not found', cmd: 'nonexistent-cmd-xyz', expect: 127 },
  { name: 'syntax error', cmd: 'if then', expect: 2 },
  { name: 'write inside the workspace', cmd: 'echo data > out.tmp && cat out.tmp && rm out.tmp && ls out.tmp 2>/dev/null; echo "gone $?"' },
  { name: 'function, case, for, trap', cmd: 'f() { echo "f:$1"; }; f arg; case abc in a*) echo matched;; esac; for i in 1 2 3; do printf "$i"; done; echo; trap "echo trapped" EXIT; echo body' },
  { name: 'nested command substitution', cmd: 'printf "%s\\n" "$(echo nested "$(echo deep)")"' },
  { name: 'exec replaces the shell', cmd: 'exec echo replaced; echo never' },
  { name: '300 KB of output', cmd: "head -c 300000 /dev/zero | tr '\\0' x; echo" },
  { name: '-lc (login shell)', cmd: 'echo login-ok', flags: ['-lc'] },
  { name: '-ic (interactive, no terminal)', cmd: 'echo interactive-ok', flags: ['-ic'] },
  { name: '-e -c stops at the failure', cmd: 'false; echo not-reached', flags: ['-e', '-c'], expect: 1 },
  { name: '-l -c with $0 and $1', cmd: 'echo "$0 $1"', flags: ['-l', '-c'], args: ['zero', 'one'] },
];

/** Shell-style status: 128 + N for a shell killed by signal N (Node: signal name; Python: -N). */
function status(o: ShOutcome): number {
  if (o.signal !== null) return 128 + constants.signals[o.signal as NodeJS.Signals];
  if (o.code === null) throw new Error(`${o.name}: neither a code nor a signal`);
  return o.code < 0 ? 128 - o.code : o.code;
}

function outcomes(r: Result, what: string): ShOutcome[] {
  assert.equal(r.status, 0, `${what}: the driver failed: ${show(r)}`);
  const list = JSON.parse(r.stdout.toString('utf8')) as ShOutcome[];
  assert.equal(list.length, CASES.length, what);
  return list;
}

describe('corral sh: a shell an agent can be given (root, the member through the sudo rule)', function () {
  this.timeout(900_000);
  let inst: TestInstallation | undefined;
  let scratch = '';
  let casesDir = '';
  let casesFile = '';
  let pythonDriver = '';

  /** A program as the member, in the cases directory, with this installation. */
  const asMember = (file: string, args: string[], cwd = casesDir, input = '') =>
    runProgram(file, args, {
      asUser: inst!.user,
      cwd,
      input,
      env: { CORRAL_INSTANCE: inst!.instance, SUDO_USER: '', SUDO_UID: '', SUDO_GID: '' },
      killAfterMs: 600_000,
    });
  const userConfig = () => path.join(inst!.user.home, '.config', inst!.instance, 'config.json');

  before(async function () {
    requireRoot(this);
    assert.ok(existsSync(CORRAL_SH), `${CORRAL_SH} is not built`);
    inst = new TestInstallation('ctsh');
    await inst.setup();
    casesDir = userDir(inst.user, path.join(inst.workspace, 'shcases'));
    for (const f of ['a.txt', 'b.txt', 'c.log']) userFile(inst.user, path.join(casesDir, f), '');
    userDir(inst.user, path.join(casesDir, 'sub'));
    userFile(inst.user, path.join(casesDir, 'sub', 'rel.txt'), 'relative ok\n');
    scratch = mkdtempSync('/tmp/corral-sh-test-');
    execFileSync('chmod', ['0755', scratch]);
    casesFile = path.join(scratch, 'cases.json');
    writeFileSync(casesFile, JSON.stringify(CASES.map(({ expect: _expect, ...c }) => c)), { mode: 0o644 });
    pythonDriver = path.join(scratch, 'driver.py');
    writeFileSync(pythonDriver, PYTHON_DRIVER, { mode: 0o644 });
  });
  after(async () => {
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
    await inst?.teardown();
  });

  for (const [program, file, args] of [
    ['node child_process.exec', NODE, () => [NODE_DRIVER]],
    ['python subprocess.run(shell=True)', PYTHON, () => [pythonDriver]],
  ] as const) {
    it(`${program}: ${CASES.length} commands through corral-sh match /bin/sh (stdout, stderr, status)`, async () => {
      const plain = outcomes(await asMember(file, [...args(), '/bin/sh', casesFile]), `${program} with /bin/sh`);
      const corral = outcomes(await asMember(file, [...args(), CORRAL_SH, casesFile]), `${program} with corral-sh`);
      const mismatches: string[] = [];
      CASES.forEach((c, i) => {
        const p = plain[i]!;
        const s = corral[i]!;
        const expected = { status: status(p), stdout: Buffer.from(p.stdout, 'base64').toString('latin1'), stderr: Buffer.from(p.stderr, 'base64').toString('latin1') };
        const actual = { status: status(s), stdout: Buffer.from(s.stdout, 'base64').toString('latin1'), stderr: Buffer.from(s.stderr, 'base64').toString('latin1') };
        // The plain side is the reference; a few cases pin it, so the table cannot compare two wrong answers.
        if (c.expect !== undefined) assert.equal(expected.status, c.expect, `${c.name}: plain /bin/sh gave ${expected.status}`);
        try {
          assert.deepEqual(actual, expected);
        } catch {
          mismatches.push(`${c.name} (${JSON.stringify(c.cmd)}):\n    sh:     ${JSON.stringify(expected)}\n    corral: ${JSON.stringify(actual)}`);
        }
      });
      assert.deepEqual(mismatches, [], `${mismatches.length} of ${CASES.length} differ:\n  ${mismatches.join('\n  ')}`);
    });
  }

  it('corral-sh confines: the commands run as the offline identity, a write outside the workspace is refused', async () => {
    const outside = path.join(inst!.user.home, 'outside-marker');
    const r = await asMember(CORRAL_SH, ['-c', 'id -un; touch "$1" 2>/dev/null; echo "touch $?"', 'sh', outside]);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.toString(), `${inst!.identity('offline').name}\ntouch 1\n`);
    assert.equal(existsSync(outside), false);
    const plain = await asMember('/bin/sh', ['-c', 'id -un', 'sh']);
    assert.equal(plain.stdout.toString(), `${inst!.user.name}\n`, 'the same command outside corral runs as the user');
  });

  it('corral sh --help is help; outside a provisioned workspace: an error on stderr, nothing on stdout', async () => {
    const help = await asMember(NODE, [inst!.cliPath, 'sh', '--help']);
    assert.equal(help.status, 0, show(help));
    assert.match(help.stdout.toString(), /^Usage: corral sh /);
    const elsewhere = await asMember(CORRAL_SH, ['-c', 'echo never'], '/tmp');
    assert.equal(elsewhere.status, 3, show(elsewhere));
    assert.equal(elsewhere.stdout.length, 0);
    assert.match(elsewhere.stderr, /\[not_provisioned\]/);
  });

  it('shell "login" runs the user\'s login shell; an unknown value or a nologin account is a config error', async () => {
    mkdirSync(path.dirname(userConfig()), { recursive: true });
    execFileSync('chown', ['-R', `${inst!.user.uid}:${inst!.user.gid}`, path.join(inst!.user.home, '.config')]);
    try {
      execFileSync('usermod', ['--shell', '/bin/bash', inst!.user.name]);
      userFile(inst!.user, userConfig(), JSON.stringify({ shell: 'login' }));
      const bash = await asMember(CORRAL_SH, ['-c', 'echo "$0 ${BASH_VERSION:+is bash}"']);
      assert.equal(bash.status, 0, show(bash));
      assert.equal(bash.stdout.toString(), '/bin/bash is bash\n');

      userFile(inst!.user, userConfig(), JSON.stringify({ shell: 'sh' }));
      const sh = await asMember(CORRAL_SH, ['-c', 'echo "$0 ${BASH_VERSION:-not bash}"']);
      assert.equal(sh.stdout.toString(), '/bin/sh not bash\n', show(sh));

      userFile(inst!.user, userConfig(), JSON.stringify({ shell: 'zsh' }));
      const invalid = await asMember(CORRAL_SH, ['-c', 'echo never']);
      assert.equal(invalid.status, 2, show(invalid));
      assert.equal(invalid.stdout.length, 0);
      assert.ok(invalid.stderr.includes(`${userConfig()}: $.shell: expected one of "sh", "login", found "zsh"`), invalid.stderr);
      assert.match(invalid.stderr, /\[config_invalid\]/);

      execFileSync('usermod', ['--shell', '/usr/sbin/nologin', inst!.user.name]);
      userFile(inst!.user, userConfig(), JSON.stringify({ shell: 'login' }));
      const nologin = await asMember(CORRAL_SH, ['-c', 'echo never']);
      assert.equal(nologin.status, 2, show(nologin));
      assert.equal(nologin.stdout.length, 0);
      assert.match(nologin.stderr, /login shell \/usr\/sbin\/nologin runs no commands.*\[config_invalid\]/s);
    } finally {
      rmSync(userConfig(), { force: true });
      execFileSync('usermod', ['--shell', '/bin/sh', inst!.user.name]);
    }
  });
});
