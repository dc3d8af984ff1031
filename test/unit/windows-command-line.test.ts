/**
 * argv → Windows command line (os/win32/command-line.ts) and program lookup
 * (runner/windows/program-path.ts). Pure functions: checked here against reference parsers
 * written from the documented rules — the MSVCRT/CommandLineToArgvW splitter, and cmd.exe's
 * `%` expansion and quote/metacharacter scan — including generated arguments.
 */
import assert from 'node:assert/strict';
import {
  CommandLineError,
  batchCommandLine,
  buildInvocation,
  explicitCmdCommandLine,
  msvcrtCommandLine,
  programKind,
  quoteBatchArgument,
  quoteMsvcrtArgument,
  quoteProgramName,
} from '../../os/win32/command-line.js';
import { resolveProgram } from '../../runner/windows/program-path.js';

/** The MSVCRT (2008+) / CommandLineToArgvW rules, as documented by Microsoft. */
function parseMsvcrt(line: string): string[] {
  const argv: string[] = [];
  let i = 0;
  // argv[0]: up to whitespace, or quoted up to the next quote; no escapes.
  let program = '';
  if (line[0] === '"') {
    const end = line.indexOf('"', 1);
    program = line.slice(1, end < 0 ? undefined : end);
    i = end < 0 ? line.length : end + 1;
  } else {
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') program += line[i++];
  }
  argv.push(program);
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let inQuotes = false;
    while (i < line.length) {
      const ch = line[i]!;
      if (!inQuotes && (ch === ' ' || ch === '\t')) break;
      if (ch === '\\') {
        let n = 0;
        while (line[i] === '\\') {
          n++;
          i++;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) {
            arg += '"';
            i++;
          }
        } else {
          arg += '\\'.repeat(n);
        }
        continue;
      }
      if (ch === '"') {
        if (inQuotes && line[i + 1] === '"') {
          arg += '"';
          i += 2;
          continue;
        }
        inQuotes = !inQuotes;
        i++;
        continue;
      }
      arg += ch;
      i++;
    }
    argv.push(arg);
  }
  return argv;
}

/**
 * cmd.exe reading a command line (not a batch file): `%NAME%` expands when NAME is defined
 * (`%cd:~,%` is an empty substring of the defined CD), otherwise the text stays; then the
 * line is scanned for metacharacters outside quotes. Returns the expanded text and the
 * metacharacters cmd would act on.
 */
function cmdExpand(line: string, vars: Record<string, string>): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] !== '%') {
      out += line[i++];
      continue;
    }
    const end = line.indexOf('%', i + 1);
    if (end < 0) {
      out += line.slice(i);
      break;
    }
    const name = line.slice(i + 1, end);
    const sub = /^(.*):~(-?\d*),(-?\d*)$/.exec(name);
    if (sub && vars[sub[1]!.toUpperCase()] !== undefined) {
      const value = vars[sub[1]!.toUpperCase()]!;
      const start = sub[2] === '' ? 0 : Number(sub[2]);
      const length = sub[3] === '' ? 0 : Number(sub[3]);
      out += value.substr(start, length);
      i = end + 1;
    } else if (name !== '' && vars[name.toUpperCase()] !== undefined) {
      out += vars[name.toUpperCase()];
      i = end + 1;
    } else {
      // Undefined (or empty) name: cmd keeps the first `%` and goes on from the second.
      out += '%';
      i = end;
    }
  }
  return out;
}

function metacharactersOutsideQuotes(line: string): string[] {
  const found: string[] = [];
  let inQuotes = false;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && '&|<>()^'.includes(ch)) found.push(ch);
  }
  return found;
}

/** How a batch file sees `%~N`: split on spaces outside quotes, then strip the outer quotes. */
function batchArgs(afterScript: string): string[] {
  const out: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (const ch of afterScript) {
    if (!inQuotes && (ch === ' ' || ch === '\t')) {
      if (started) out.push(current);
      current = '';
      started = false;
      continue;
    }
    if (ch === '"') inQuotes = !inQuotes;
    current += ch;
    started = true;
  }
  if (started) out.push(current);
  return out.map((a) => (a.startsWith('"') && a.endsWith('"') && a.length >= 2 ? a.slice(1, -1) : a));
}

const SAMPLE_ARGS = [
  'plain',
  '',
  'two words',
  'tab\there',
  'new\nline',
  'vt\vx',
  'quote"inside',
  '"',
  '""',
  '"quoted"',
  'back\\slash',
  'trailing\\',
  'trailing\\\\',
  'C:\\Program Files\\',
  'a\\"b',
  'a\\\\"b',
  '\\\\server\\share',
  '\\"',
  ' ',
  ' leading',
  'trailing ',
  'unicode é ü 雪 𝄞',
  'emoji 🎉',
  '%PATH%',
  '^&|<>()!',
  'a&b',
  'x"&calc"',
];

function randomArg(seed: number): string {
  const alphabet = ['a', 'Z', '0', ' ', '\t', '"', '\\', '\\', '%', '&', '|', '^', '!', 'é', '雪', '(', ')', '<', '>', "'", '=', ',', ';'];
  let x = seed * 2654435761;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  const length = next() % 12;
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[next() % alphabet.length];
  return out;
}

describe('windows command line: MSVCRT quoting', () => {
  it('leaves arguments without space, tab, newline or quote as they are', () => {
    assert.equal(quoteMsvcrtArgument('plain'), 'plain');
    assert.equal(quoteMsvcrtArgument('C:\\dir\\file.txt'), 'C:\\dir\\file.txt');
    assert.equal(quoteMsvcrtArgument('a&b|c'), 'a&b|c');
    assert.equal(quoteMsvcrtArgument('trailing\\'), 'trailing\\');
  });

  it('quotes empty arguments so they are not dropped', () => {
    assert.equal(quoteMsvcrtArgument(''), '""');
    assert.deepEqual(parseMsvcrt(msvcrtCommandLine(['p', '', 'x', ''])), ['p', '', 'x', '']);
  });

  it('escapes quotes and doubles only the backslashes that precede a quote', () => {
    assert.equal(quoteMsvcrtArgument('a"b'), '"a\\"b"');
    assert.equal(quoteMsvcrtArgument('a\\"b'), '"a\\\\\\"b"');
    assert.equal(quoteMsvcrtArgument('C:\\Program Files\\'), '"C:\\Program Files\\\\"');
    assert.equal(quoteMsvcrtArgument('a b\\c'), '"a b\\c"');
  });

  it('round-trips every sample argument through the MSVCRT parser', () => {
    for (const arg of SAMPLE_ARGS) {
      const line = msvcrtCommandLine(['prog.exe', arg, 'end']);
      assert.deepEqual(parseMsvcrt(line), ['prog.exe', arg, 'end'], `argument ${JSON.stringify(arg)} → ${line}`);
    }
  });

  it('round-trips 2000 generated argument lists', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const argv = ['C:\\Program Files\\tool.exe', randomArg(seed), randomArg(seed + 7919), randomArg(seed + 104729)];
      const line = msvcrtCommandLine(argv);
      assert.deepEqual(parseMsvcrt(line), argv, line);
    }
  });

  it('quotes a program name with spaces and refuses one with a quote or that is empty', () => {
    assert.equal(quoteProgramName('C:\\Program Files\\x.exe'), '"C:\\Program Files\\x.exe"');
    assert.equal(quoteProgramName('git'), 'git');
    assert.throws(() => quoteProgramName('a"b'), CommandLineError);
    assert.throws(() => quoteProgramName(''), CommandLineError);
    assert.throws(() => msvcrtCommandLine([]), CommandLineError);
  });

  it('refuses NUL characters', () => {
    assert.throws(() => quoteMsvcrtArgument('a\0b'), CommandLineError);
  });
});

describe('windows command line: batch files through cmd.exe', () => {
  const cmdExe = 'C:\\Windows\\System32\\cmd.exe';
  const script = 'C:\\work\\build tools\\run.bat';
  // Every name an argument might try to expand is defined, so a leak would show.
  const vars = { CD: 'C:\\work', PATH: 'LEAKED', USERNAME: 'LEAKED', X: 'LEAKED' };

  function inner(line: string): string {
    const prefix = `${cmdExe} /d /e:ON /v:OFF /s /c "`;
    assert.ok(line.startsWith(prefix), line);
    assert.ok(line.endsWith('"'), line);
    return line.slice(prefix.length, -1); // what /s leaves: the outer quote pair stripped
  }

  function checkInert(args: string[]): void {
    const line = batchCommandLine({ cmdExe, script, args });
    const expanded = cmdExpand(inner(line), vars);
    assert.deepEqual(metacharactersOutsideQuotes(expanded), [], `metacharacter outside quotes in ${line}`);
    assert.ok(!expanded.includes('LEAKED'), `a variable expanded in ${line}`);
    const seen = batchArgs(expanded);
    assert.equal(seen[0], script);
    // One batch argument (%1, %2…) per argument: nothing split or merged…
    assert.equal(seen.length - 1, args.length, `argument count from ${line}`);
    // …and a program the script hands %* to gets exactly the arguments back.
    const afterScript = expanded.slice(`"${script}"`.length);
    assert.deepEqual(parseMsvcrt(`prog.exe${afterScript}`).slice(1), args, `%* from ${line}`);
  }

  it('starts cmd.exe without AutoRun, with delayed expansion off and the script quoted', () => {
    assert.equal(
      batchCommandLine({ cmdExe, script, args: ['plain'] }),
      `${cmdExe} /d /e:ON /v:OFF /s /c ""${script}" plain"`,
    );
  });

  it('quotes every argument holding a cmd metacharacter', () => {
    for (const ch of ['&', '|', '<', '>', '(', ')', '^', '!', ' ', '"', ',', ';', '=', "'"]) {
      assert.ok(quoteBatchArgument(`a${ch}b`).startsWith('"'), `argument with ${ch}`);
    }
    assert.equal(quoteBatchArgument('a&calc'), '"a&calc"');
    assert.equal(quoteBatchArgument('plain-1.0/x:y@z'), 'plain-1.0/x:y@z');
  });

  it('makes % inert with the %cd:~,% trick', () => {
    assert.equal(quoteBatchArgument('%PATH%'), '"%%cd:~,%PATH%%cd:~,%"');
    assert.equal(cmdExpand(quoteBatchArgument('%PATH%'), vars), '"%PATH%"');
  });

  it('doubles quotes and the backslashes in front of them, and quotes a trailing backslash', () => {
    assert.equal(quoteBatchArgument('a"b'), '"a""b"');
    assert.equal(quoteBatchArgument('a\\"b'), '"a\\\\""b"');
    assert.equal(quoteBatchArgument('dir\\'), '"dir\\\\"');
    assert.equal(quoteBatchArgument(''), '""');
  });

  it('keeps every sample argument data: no metacharacter outside quotes, no expansion', () => {
    for (const arg of SAMPLE_ARGS.filter((a) => !/[\r\n]/.test(a))) checkInert([arg]);
    checkInert(SAMPLE_ARGS.filter((a) => !/[\r\n]/.test(a)));
  });

  it('keeps 2000 generated argument lists data', () => {
    for (let seed = 1; seed <= 2000; seed++) checkInert([randomArg(seed), randomArg(seed + 31337)]);
  });

  it('passes quoted arguments on to a program the script calls with %*', () => {
    const args = ['x"&calc"', 'two words', '%X%', 'tail\\'];
    const expanded = cmdExpand(inner(batchCommandLine({ cmdExe, script, args })), vars);
    const afterScript = expanded.slice(`"${script}" `.length);
    assert.deepEqual(parseMsvcrt(`prog.exe ${afterScript}`).slice(1), args);
  });

  it('refuses line breaks and NUL, which would end the command early', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\0b']) {
      assert.throws(() => quoteBatchArgument(bad), CommandLineError);
      assert.throws(() => batchCommandLine({ cmdExe, script, args: [bad] }), CommandLineError);
    }
  });

  it('refuses a script path that cannot be quoted for cmd', () => {
    assert.throws(() => batchCommandLine({ cmdExe, script: 'C:\\a"b.bat', args: [] }), CommandLineError);
    assert.throws(() => batchCommandLine({ cmdExe, script: 'C:\\dir\\', args: [] }), CommandLineError);
  });
});

describe('windows command line: program kinds and invocations', () => {
  const cmdExe = 'C:\\Windows\\System32\\cmd.exe';

  it('tells batch files and cmd.exe apart from programs', () => {
    assert.equal(programKind('C:\\x\\build.BAT'), 'batch');
    assert.equal(programKind('C:\\x\\build.cmd'), 'batch');
    assert.equal(programKind('C:\\Windows\\System32\\CMD.EXE'), 'cmd');
    assert.equal(programKind('C:\\x\\git.exe'), 'exe');
    assert.equal(programKind('C:\\x\\cmd.exe.bat'), 'batch');
  });

  it('runs a batch file through cmd.exe from %SystemRoot%, never the file itself', () => {
    const inv = buildInvocation(['build', 'a&b'], 'C:\\w\\build.cmd', cmdExe);
    assert.equal(inv.application, cmdExe);
    assert.equal(inv.commandLine, `${cmdExe} /d /e:ON /v:OFF /s /c ""C:\\w\\build.cmd" "a&b""`);
  });

  it('passes an explicit cmd /c command verbatim, keeping switches, adding /d', () => {
    assert.equal(explicitCmdCommandLine(cmdExe, ['/c', 'echo', 'hi']), `${cmdExe} /d /c echo hi`);
    assert.equal(explicitCmdCommandLine(cmdExe, ['/q', '/C', 'exit /b 3']), `${cmdExe} /d /q /C exit /b 3`);
    assert.equal(explicitCmdCommandLine(cmdExe, []), `${cmdExe} /d`);
    const inv = buildInvocation(['cmd', '/c', 'echo', 'hi'], cmdExe, cmdExe);
    assert.deepEqual(inv, { application: cmdExe, commandLine: `${cmdExe} /d /c echo hi` });
  });

  it('gives ordinary programs their full path as application and argv[0] as typed', () => {
    const inv = buildInvocation(['git', 'commit', '-m', 'a "message"'], 'C:\\Git\\cmd\\git.exe', cmdExe);
    assert.equal(inv.application, 'C:\\Git\\cmd\\git.exe');
    assert.deepEqual(parseMsvcrt(inv.commandLine), ['git', 'commit', '-m', 'a "message"']);
  });
});

describe('windows program lookup', () => {
  const files = new Set(
    ['C:\\Windows\\System32\\cmd.exe', 'C:\\tools\\node.exe', 'C:\\tools\\npm.cmd', 'C:\\w\\local.bat', 'C:\\w\\tool.exe', 'C:\\bin\\tool.exe', 'C:\\w\\sub\\x.exe'].map((f) =>
      f.toLowerCase(),
    ),
  );
  const isFile = (p: string) => files.has(p.toLowerCase());
  const env = { Path: 'C:\\Windows\\System32;"C:\\tools";relative\\dir;C:\\bin', PATHEXT: '.COM;.EXE;.BAT;.CMD' };

  it('searches PATH with PATHEXT in order', () => {
    assert.equal(resolveProgram({ program: 'cmd', cwd: 'C:\\w', env, isFile }), 'C:\\Windows\\System32\\cmd.exe');
    assert.equal(resolveProgram({ program: 'npm', cwd: 'C:\\w', env, isFile }), 'C:\\tools\\npm.cmd');
    assert.equal(resolveProgram({ program: 'node.exe', cwd: 'C:\\w', env, isFile }), 'C:\\tools\\node.exe');
  });

  it('never finds a bare name in the current directory or a relative PATH entry', () => {
    assert.equal(resolveProgram({ program: 'local', cwd: 'C:\\w', env, isFile }), undefined);
    assert.equal(resolveProgram({ program: 'tool', cwd: 'C:\\w', env, isFile }), 'C:\\bin\\tool.exe');
  });

  it('resolves names with a directory part against the cwd', () => {
    assert.equal(resolveProgram({ program: '.\\local', cwd: 'C:\\w', env, isFile }), 'C:\\w\\local.bat');
    assert.equal(resolveProgram({ program: 'sub/x', cwd: 'C:\\w', env, isFile }), 'C:\\w\\sub\\x.exe');
    assert.equal(resolveProgram({ program: 'C:\\tools\\node', cwd: 'D:\\', env, isFile }), 'C:\\tools\\node.exe');
  });

  it('finds nothing for empty names, NULs or missing files', () => {
    assert.equal(resolveProgram({ program: '', cwd: 'C:\\w', env, isFile }), undefined);
    assert.equal(resolveProgram({ program: 'a\0b', cwd: 'C:\\w', env, isFile }), undefined);
    assert.equal(resolveProgram({ program: 'nope', cwd: 'C:\\w', env, isFile }), undefined);
  });

  it('uses the default PATHEXT when the environment has none', () => {
    assert.equal(resolveProgram({ program: 'npm', cwd: 'C:\\w', env: { PATH: 'C:\\tools' }, isFile }), 'C:\\tools\\npm.cmd');
  });
});
