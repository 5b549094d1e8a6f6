/**
 * The in-VS-Code suite (test/vscode-suite) under @vscode/test-electron, in a desktop VS Code, for developers who
 * have one: KLL_VSCODE_EXECUTABLE=/path/to/code, or a VS Code that test-electron downloaded before into
 * ~/.cache/kernel-lock-lens/vscode-test or ./.vscode-test (KLL_VSCODE_DOWNLOAD=1 lets it download there now).
 * Elsewhere the test is skipped, saying why: the same suite runs in code-server in e2e.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { FIXTURE_TREE, REPO, kernelTree } from './helpers/trees';

const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kernel-lock-lens', 'vscode-test');

/** A desktop VS Code already on this machine, or null. */
function localVsCode(): string | null {
  const env = process.env.KLL_VSCODE_EXECUTABLE;
  if (env) {
    if (!fs.existsSync(env)) throw new Error(`KLL_VSCODE_EXECUTABLE=${env} does not exist`);
    return env;
  }
  for (const dir of [CACHE, path.join(REPO, '.vscode-test')]) {
    if (!fs.existsSync(dir)) continue;
    for (const d of fs.readdirSync(dir).filter((d) => d.startsWith('vscode-')).sort().reverse()) {
      for (const exe of ['code', 'bin/code', 'VSCode-linux-x64/code', 'Visual Studio Code.app/Contents/MacOS/Electron', 'Code.exe']) {
        const p = path.join(dir, d, exe);
        if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
      }
    }
  }
  return null;
}

test('the in-VS-Code suite under @vscode/test-electron (desktop VS Code)', { timeout: 15 * 60_000 }, async (t) => {
  let exe = localVsCode();
  if (!exe && process.env.KLL_VSCODE_DOWNLOAD === '1') exe = await downloadAndUnzipVSCode({ cachePath: CACHE });
  if (!exe) {
    t.skip(
      '@vscode/test-electron needs a VS Code download, which this machine cannot make (set KLL_VSCODE_EXECUTABLE, ' +
        'or KLL_VSCODE_DOWNLOAD=1 where the download works); the same suite runs in code-server in e2e.test.ts',
    );
    return;
  }
  for (const f of ['dist/server.js', 'dist/client.js']) assert.ok(fs.existsSync(path.join(REPO, f)), `${f} is missing: run node scripts/build.js`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-electron-'));
  try {
    const workspace = path.join(tmp, 'e2e.code-workspace');
    fs.writeFileSync(workspace, JSON.stringify({ folders: [{ path: kernelTree('6.12') }, { path: FIXTURE_TREE }] }));
    const settings = path.join(tmp, 'ud', 'User', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify({ 'editor.inlayHints.enabled': 'on', 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none' }));
    const resultFile = path.join(tmp, 'result.json');
    const code = await runTests({
      vscodeExecutablePath: exe,
      extensionDevelopmentPath: REPO,
      extensionTestsPath: path.join(REPO, 'out', 'test', 'vscode-suite', 'index.js'),
      extensionTestsEnv: { KLL_SUITE_RESULT: resultFile },
      launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes', '--user-data-dir', path.join(tmp, 'ud'), '--extensions-dir', path.join(tmp, 'exts')],
    }).catch((e: unknown) => {
      const detail = fs.existsSync(resultFile) ? fs.readFileSync(resultFile, 'utf8') : String(e);
      assert.fail(`the in-VS-Code suite failed under ${exe}:\n${detail}`);
    });
    assert.equal(code, 0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
