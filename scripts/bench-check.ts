/**
 * Child process of the bench: one `check --json` of the whole tree, run exactly as a user runs it
 * (bin/kernel-lock-lens.js, with whatever it sets up for its process). The CLI's JSON goes to
 * stdout; this process's peak RSS goes to stderr as the last line, `BENCH {"maxRssMB":...}`.
 */
import * as path from 'path';

const [root, cacheRoot] = process.argv.slice(2);
const bin = path.resolve(__dirname, '..', '..', 'bin', 'kernel-lock-lens.js');
process.argv = [process.argv[0], bin, 'check', '--root', root, '--cache-dir', cacheRoot, '--json', '--quiet'];
process.on('exit', () => {
  process.stderr.write(`\nBENCH ${JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
});
require(bin);
