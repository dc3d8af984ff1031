#!/usr/bin/env node
// The `corral` executable: everything is in program.ts, so tests can call runCli().
import { runCli } from './program.js';
import { reportError } from './output.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err, false);
  },
);
