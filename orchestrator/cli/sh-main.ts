#!/usr/bin/env node
// The `corral-sh` executable: `corral sh` as a program of its own, for what takes a shell's path
// rather than a command line (SHELL=…, child_process.exec's `shell`, subprocess's `executable`).
// `corral-sh -c 'CMD' arg0 arg1` is `corral sh -c 'CMD' arg0 arg1`.
const { main } = await import('./entry.js');
await main(['sh', ...process.argv.slice(2)]);
