/**
 * End to end, in a real VS Code: code-server 4.139.1 (VS Code 1.139.1, the real Node extension host) with the
 * packaged kernel-lock-lens.vsix installed, driven through Debian's Chromium by playwright-core.
 *
 *  1. the in-VS-Code API suite (test/vscode-suite) on a two-root workspace: Debian's linux-6.12 + the fixture tree;
 *  2. what a person sees in linux-6.12's mm/mmap.c: the hover on free_pgtables( in exit_mmap, the inlay hints
 *     after mmap_read_lock / mmap_write_lock, and the Simulate Function webview;
 *  3. the Problems panel on the fixture tree: LL001 on a close callback that takes mmap_lock.
 *
 * Needs scripts/e2e/setup.sh (CI runs it; on a fresh machine this test runs it once, like the kernel trees). Screenshots and
 * VS Code's logs go to test-artifacts/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ARTIFACTS, CodeServer, E2eInstall, REPO, findInstall, launchBrowser, makeLog, newWorkbenchPage, runExtensionTests } from './e2e/code-server';
import { HOVER_LINE_WRITE, HOVER_SAYS_WRITE, findAllInFunction, findFunction, findInFunction } from './e2e/kernel-text';
import { Browser, Page } from './e2e/playwright';
import { findInFrames, goToLine, hoverUntil, problemRows, quickOpen, renderedHints, runCommand, screenshot, viewLines, waitForIndexed, waitForWorkbench, wordBox } from './e2e/workbench';
import { FIXTURE_TREE, kernelTree } from './helpers/trees';

const EXTENSION_ID = 'kernel-lock-lens.kernel-lock-lens';
const VSIX = path.join(REPO, 'kernel-lock-lens.vsix');
const SIMULATE_TITLE = 'Kernel Lock Lens: Simulate Function';
const log = makeLog('e2e');

function sh(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { cwd: REPO, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 32 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`)) : resolve(stdout + stderr),
    ),
  );
}

/** The newest mtime among what the .vsix packs from the working tree. */
function newestInput(): number {
  const files = [path.join(REPO, 'package.json')];
  for (const dir of ['dist', 'syntaxes']) {
    const d = path.join(REPO, dir);
    if (fs.existsSync(d)) for (const f of fs.readdirSync(d)) files.push(path.join(d, f));
  }
  return Math.max(...files.filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs));
}

/** kernel-lock-lens.vsix, rebuilt with `npm run package` when missing or older than dist/; or $KLL_E2E_VSIX as is. */
async function ensureVsix(): Promise<string> {
  if (process.env.KLL_E2E_VSIX) {
    const given = path.resolve(process.env.KLL_E2E_VSIX);
    if (!fs.existsSync(given)) throw new Error(`KLL_E2E_VSIX=${given} does not exist`);
    log(`testing ${given} (KLL_E2E_VSIX), not packaging`);
    return given;
  }
  for (const f of ['dist/server.js', 'dist/client.js']) {
    if (!fs.existsSync(path.join(REPO, f))) throw new Error(`${f} is missing: the language server / VS Code client is not built (node scripts/build.js bundles server/src/lsp/server.ts and client/src/extension.ts)`);
  }
  if (fs.existsSync(VSIX) && fs.statSync(VSIX).mtimeMs >= newestInput()) return VSIX;
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  if (!pkg.scripts?.package) throw new Error('kernel-lock-lens.vsix is missing or stale, and package.json has no "package" script to build it (npm run package)');
  log(`packaging: npm run package (${fs.existsSync(VSIX) ? 'the .vsix is older than dist/' : 'no .vsix yet'})`);
  const t0 = Date.now();
  await sh('npm', ['run', '--silent', 'package'], 5 * 60_000);
  if (!fs.existsSync(VSIX) || fs.statSync(VSIX).mtimeMs < t0 - 1000) throw new Error(`npm run package did not write ${VSIX}`);
  log(`packaged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return VSIX;
}

/**
 * The server's parse cache: the one the CLI and the other tests use (code-server runs with its own XDG dirs,
 * so the default would be a new, cold one each run). KLL_E2E_CACHE_DIR picks another, e.g. an empty one to
 * time a first start.
 */
function parseCacheDir(): string {
  if (process.env.KLL_E2E_CACHE_DIR) return path.resolve(process.env.KLL_E2E_CACHE_DIR);
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kernel-lock-lens');
}

describe('end to end in VS Code (code-server 4.139.1)', { timeout: 15 * 60_000 }, () => {
  let install: E2eInstall | undefined;
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let kernel = '';
  const suiteResult = path.join(ARTIFACTS, 'vscode-suite-result.json');

  before(
    async () => {
      install = findInstall();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      for (const f of fs.readdirSync(ARTIFACTS)) if (f.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, f));
      fs.rmSync(suiteResult, { force: true });
      kernel = kernelTree('6.12');
      const vsix = await ensureVsix();
      cs = await CodeServer.start(install, {
        name: 'e2e',
        vsix: [vsix],
        settings: { 'kernelLockLens.cacheDir': parseCacheDir() },
        env: { KLL_SUITE_RESULT: suiteResult },
        log,
      });
      browser = await launchBrowser(install);
    },
    { timeout: 8 * 60_000 },
  );

  after(
    async () => {
      await browser?.close().catch((e) => log('browser close:', e));
      await cs?.stop();
    },
    { timeout: 60_000 },
  );

  test('the in-VS-Code suite passes (hover, inlay hints, diagnostics, simulate through the API)', { timeout: 6 * 60_000 }, async () => {
    assert.ok(cs && browser);
    const t0 = Date.now();
    const workspace = cs.writeWorkspace([kernel, FIXTURE_TREE]);
    const res = await runExtensionTests(
      cs,
      browser,
      {
        extensionDevelopmentPath: cs.installedExtensionDir(EXTENSION_ID),
        extensionTestsPath: path.join(REPO, 'out', 'test', 'vscode-suite', 'index.js'),
        workspace,
        timeoutMs: 5 * 60_000,
        screenshot: path.join(ARTIFACTS, 'api-suite.png'),
      },
      log,
    );
    log(`API suite: exit ${res.exitCode} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const detail = fs.existsSync(suiteResult) ? fs.readFileSync(suiteResult, 'utf8') : res.output.join('\n');
    assert.equal(res.exitCode, 0, `the in-VS-Code suite failed (exit ${res.exitCode}):\n${detail}`);
  });

  test('in mm/mmap.c a person sees the mode on hover, inlay hints, and the simulation', { timeout: 8 * 60_000 }, async (t) => {
    assert.ok(cs && browser);
    const page = await newWorkbenchPage(browser, log);
    const text = fs.readFileSync(path.join(kernel, 'mm', 'mmap.c'), 'utf8');
    const fn = findFunction(text, 'exit_mmap');
    const call = findInFunction(text, 'exit_mmap', 'free_pgtables(');
    const callLine = text.split('\n')[call.line].trim();
    try {
      await page.goto(cs.url({ folder: kernel }), { timeout: 60_000 });
      await waitForWorkbench(page);
      await screenshot(page, '01-workbench-linux-6.12', log);
      await quickOpen(page, 'mm/mmap.c', log);
      await goToLine(page, call.line + 1);
      await screenshot(page, '02-mmap.c-exit_mmap', log);
      // The status bar counts files while the server indexes the tree; then it shows the mode at the cursor.
      const t0 = Date.now();
      const status = await waitForIndexed(page, 4 * 60_000, log);
      log(`indexed linux-6.12 in the UI after ${((Date.now() - t0) / 1000).toFixed(1)} s more; status bar: ${JSON.stringify(status)}`);
      await screenshot(page, '02b-indexed-status-bar', log);

      await t.test('hovers on the free_pgtables( call say write', async () => {
        const box = await wordBox(page, callLine, 'free_pgtables');
        assert.ok(box, `free_pgtables is not on screen after Ctrl+G ${call.line + 1}; lines: ${JSON.stringify((await viewLines(page)).slice(0, 60))}`);
        const onName = await hoverUntil(page, box, HOVER_SAYS_WRITE, 90_000, log);
        log(`hover on free_pgtables: ${JSON.stringify(onName.slice(0, 300))}`);
        await screenshot(page, '03-hover-free_pgtables', log);
        const argBox = await wordBox(page, callLine, 'tlb');
        assert.ok(argBox, 'the &tlb argument is not on screen');
        const onArg = await hoverUntil(page, argBox, HOVER_LINE_WRITE, 30_000, log);
        log(`hover on its &tlb argument: ${JSON.stringify(onArg.slice(0, 300))}`);
        await screenshot(page, '03b-hover-free_pgtables-line', log);
      });

      await t.test('inlay hints show the mode after mmap_read_lock / mmap_write_lock', async () => {
        await page.mouse.move(5, 5);
        // Bring the start of exit_mmap into view too: its mmap_read_lock is ~25 lines above free_pgtables.
        const readLock = findAllInFunction(text, fn, 'mmap_read_lock(')[0];
        const writeLocks = findAllInFunction(text, fn, 'mmap_write_lock(');
        const srcLines = text.split('\n');
        const lockLines = [readLock, ...writeLocks].map((p) => srcLines[p.line].trim());
        const found: string[] = [];
        const deadline = Date.now() + 60_000;
        let sample: unknown = null;
        for (let round = 0; !found.length; round++) {
          for (const target of [readLock, ...writeLocks]) {
            await goToLine(page, target.line + 1);
            await new Promise((r) => setTimeout(r, 500));
            const rendered = await renderedHints(page);
            for (let i = 0; i < rendered.length; i++) {
              const src = lockLines.find((l) => rendered[i].line.includes(l));
              if (!src) continue;
              // A hint is text the editor shows that the source does not have: on the lock's line or the next.
              const candidates = [...rendered[i].hints, rendered[i].line.replace(src, ''), ...(rendered[i + 1]?.hints ?? [])];
              const hit = candidates.find((h) => /\b(read|write)\b/.test(h) && !/mmap_(read|write)_(un)?lock/.test(h));
              if (hit) found.push(`${src} -> ${JSON.stringify(hit.trim())}`);
            }
            sample = rendered.filter((r) => r.hints.length).slice(0, 6);
          }
          if (found.length || Date.now() > deadline) break;
        }
        await screenshot(page, '04-inlay-hints', log);
        log(`inlay hints: ${JSON.stringify(found)}`);
        assert.ok(found.length > 0, `no inlay hint with read/write next to mmap_read_lock/mmap_write_lock in exit_mmap; lines with injected spans: ${JSON.stringify(sample)}`);
      });

      await t.test('Simulate Function on exit_mmap shows its paths in a webview', async () => {
        await goToLine(page, call.line + 1); // the cursor inside exit_mmap
        await runCommand(page, SIMULATE_TITLE);
        const deadline = Date.now() + 90_000;
        let lanes: Awaited<ReturnType<typeof findInFrames>> = null;
        let heading: Awaited<ReturnType<typeof findInFrames>> = null;
        while (Date.now() < deadline) {
          lanes = await findInFrames(page, '[data-testid="sim-lane"]');
          heading = await findInFrames(page, '[data-testid="sim-function"]');
          if (lanes && lanes.texts.length >= 2 && heading?.texts.some((h) => h.includes('exit_mmap'))) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        await screenshot(page, '05-simulate-exit_mmap', log);
        assert.ok(heading, `no webview with a [data-testid="sim-function"] heading appeared within 90 s${lanes ? `; its text: ${JSON.stringify(lanes.body.slice(0, 300))}` : ''}`);
        log(`simulate webview: heading ${JSON.stringify(heading.texts[0])}, ${lanes?.texts.length ?? 0} lanes; first: ${JSON.stringify(lanes?.texts[0]?.replace(/\s+/g, ' ').slice(0, 160))}`);
        assert.ok(heading.texts.some((h) => h.includes('exit_mmap')), `the simulation's heading is ${JSON.stringify(heading.texts)}, not exit_mmap`);
        assert.ok(lanes && lanes.texts.length >= 2, `expected at least 2 path lanes, got ${lanes?.texts.length ?? 0}`);
      });
    } finally {
      await screenshot(page, '06-mmap.c-final', log);
      await page.close().catch(() => undefined);
    }
  });

  test('the Problems panel shows LL001 for the fixture tree close callback that takes mmap_lock', { timeout: 4 * 60_000 }, async () => {
    assert.ok(cs && browser);
    const page: Page = await newWorkbenchPage(browser, log);
    try {
      await page.goto(cs.url({ folder: FIXTURE_TREE }), { timeout: 60_000 });
      await waitForWorkbench(page);
      await quickOpen(page, 'mm/callbacks.c', log);
      const rows = await problemRows(page, ['LL001', 'bad_close'], 90_000);
      log(`Problems: ${JSON.stringify(rows)}`);
      await screenshot(page, '07-problems-LL001', log);
      assert.ok(rows.some((r) => r.includes('LL001') && r.includes('bad_close')));
    } finally {
      await page.close().catch(() => undefined);
    }
  });
});
