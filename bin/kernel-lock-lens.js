#!/usr/bin/env node
// Runs the bundled CLI (npm run build makes dist/cli.js); falls back to tsc output in a dev checkout.
// Sets exitCode rather than calling process.exit, so long output to a pipe is never cut short.
const path = require('path');
const fs = require('fs');
// One-shot commands (not the long-running language server): V8 grows the heap by 20% at a time
// instead of letting it reach up to several times the live data. The analysis of a whole tree keeps
// a few hundred MB live while it allocates fast; at each full collection the heap has grown to about
// (1 + this) x the live data, and V8 keeps those pages. `npm run bench` prints the peak RSS this
// gives on Linux 6.12 (goal: 400 MB); V8's default took it to 700-800 MB when this was set, for a
// few percent less analysis time. Only garbage collection changes; results do not.
if (!process.argv.slice(2).includes('lsp')) require('v8').setFlagsFromString('--heap-growing-percent=20');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
const compiled = path.join(__dirname, '..', 'out', 'server', 'src', 'cli', 'main.js');
const entry = fs.existsSync(bundled) ? bundled : compiled;
require(entry).main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (e) => {
  process.stderr.write(`kernel-lock-lens: ${String(e)}\n`);
  process.exitCode = 2;
});
