#!/usr/bin/env node
// Runs the bundled CLI (npm run build makes dist/cli.js); falls back to tsc output in a dev checkout.
// Sets exitCode rather than calling process.exit, so long output to a pipe is never cut short.
const path = require('path');
const fs = require('fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
const compiled = path.join(__dirname, '..', 'out', 'server', 'src', 'cli', 'main.js');
const entry = fs.existsSync(bundled) ? bundled : compiled;
require(entry).main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (e) => {
  process.stderr.write(`kernel-lock-lens: ${String(e)}\n`);
  process.exitCode = 2;
});
