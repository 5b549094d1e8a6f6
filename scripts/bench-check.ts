/** Child process of the bench: one whole-tree check, printing its time and peak RSS as JSON. */
import { LockEngine } from '../server/src/engine/engine';

(async () => {
  const [root, cacheRoot] = process.argv.slice(2);
  const t0 = performance.now();
  const engine = await LockEngine.open({ root, cacheRoot });
  const diags = engine.check();
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, diagnostics: diags.length, files: engine.files.size, index: engine.indexStats, analyseMs: engine.analyseMs }) + '\n');
})();
