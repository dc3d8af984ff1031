/**
 * `--help` is true and readable (issue 13.12): every command's help prints, and no option shows
 * a default twice or an empty-list default (`(default: the current directory) (default: [])`).
 * The built CLI, no root needed.
 */
import assert from 'node:assert/strict';
import { CLI, NODE, runProgram } from './helpers/e2e.js';

const COMMANDS = [[], ['setup'], ['status'], ['run'], ['sh'], ['teardown'], ['policy'], ['policy', 'show'], ['policy', 'check'], ['policy', 'schema'], ['audit'], ['verify'], ['mcp'], ['session'], ['session', 'list'], ['session', 'stop']];

describe('corral --help', function () {
  this.timeout(60_000);
  for (const command of COMMANDS) {
    it(`corral ${command.join(' ')} --help: prints, exit 0, each default shown once`, async () => {
      const r = await runProgram(NODE, [CLI, ...command, '--help'], { env: { CORRAL_INSTANCE: 'cthelp' } });
      assert.equal(r.status, 0, r.stderr);
      const text = r.stdout.toString();
      assert.match(text, /^Usage: corral/);
      assert.doesNotMatch(text.replace(/\n\s+/g, ' '), /\(default: \[\]\)/);
      // One entry per option: its first line starts `  -`, wrapped lines are indented further.
      const entries: string[] = [];
      for (const line of text.split('\n')) {
        if (/^ {2}-/.test(line)) entries.push(line);
        else if (/^ {4,}\S/.test(line) && entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
      }
      for (const entry of entries) assert.ok((entry.match(/default:/g) ?? []).length <= 1, `a default shown twice: ${entry}`);
    });
  }
});
