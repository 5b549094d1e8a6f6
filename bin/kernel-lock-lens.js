#!/usr/bin/env node
// Runs the bundled CLI (npm run build makes dist/cli.js); falls back to tsc output in a dev checkout.
const path = require('path');
const fs = require('fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
const compiled = path.join(__dirname, '..', 'out', 'server', 'src', 'cli', 'main.js');
const entry = fs.existsSync(bundled) ? bundled : compiled;
require(entry).main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  process.stderr.write(`kernel-lock-lens: ${String(e)}\n`);
  process.exit(2);
});
