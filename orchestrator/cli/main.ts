#!/usr/bin/env node
// The `corral` executable (entry.ts).
const { main } = await import('./entry.js');
await main(process.argv.slice(2));
