/**
 * The extension's integration suite, run inside a real VS Code extension host: by code-server in
 * test/e2e.test.ts (smoke-test-driver payload), and by @vscode/test-electron in test/vscode-electron.test.ts
 * where a desktop VS Code exists. Both load this module as extensionTestsPath and call run().
 *
 * The workspace holds Debian's linux-6.12 tree (a folder with mm/mmap.c defining exit_mmap) and the project's
 * fixture tree (a folder with mm/callbacks.c); they may be two roots of one workspace or, for a partial run,
 * only one of them (the other's tests then fail saying so).
 *
 * No mocha: a list of async cases, each with its own deadline. Set KLL_SUITE_RESULT (in the environment of the
 * process that starts VS Code) to also get the results as JSON in that file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { HOVER_LINE_WRITE, HOVER_SAYS_WRITE, findFunction, findAllInFunction, findInFunction } from '../e2e/kernel-text';

const EXTENSION_ID = 'kernel-lock-lens.kernel-lock-lens';
const SIMULATE_COMMAND = 'kernelLockLens.simulateFunction';

interface Case {
  name: string;
  timeoutMs: number;
  fn: () => Promise<void>;
}

const cases: Case[] = [];
function test(name: string, timeoutMs: number, fn: () => Promise<void>): void {
  cases.push({ name, timeoutMs, fn });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Calls `probe` until it returns a value (not undefined) or the deadline passes; then throws the last reason. An error with `fatal` set ends it at once. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'never answered';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if ((e as { fatal?: boolean }).fatal) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
    await sleep(1000);
  }
}

function folderWith(rel: string, mustContain: string): vscode.Uri {
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const p = path.join(f.uri.fsPath, rel);
    if (fs.existsSync(p) && fs.readFileSync(p, 'utf8').includes(mustContain)) return vscode.Uri.file(p);
  }
  const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath).join(', ') || 'none';
  throw new Error(`no workspace folder has ${rel} with ${mustContain} (folders: ${roots})`);
}

const kernelMmap = () => folderWith('mm/mmap.c', 'void exit_mmap(struct mm_struct *mm)');
const fixtureCallbacks = () => folderWith('mm/callbacks.c', 'bad_close');

function hoverText(hovers: vscode.Hover[] | undefined): string {
  const parts: string[] = [];
  for (const h of hovers ?? []) {
    for (const c of h.contents) {
      if (typeof c === 'string') parts.push(c);
      else parts.push((c as { value: string }).value);
    }
  }
  return parts.join('\n');
}

function hintLabel(h: vscode.InlayHint): string {
  return typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
}

function codeOf(d: vscode.Diagnostic): string {
  const c = d.code;
  if (c === undefined) return '';
  return typeof c === 'object' ? String(c.value) : String(c);
}

test('the extension is installed and activates', 60_000, async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} not found; installed: ${vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.')).map((e) => e.id).join(', ')}`);
  await ext.activate();
  assert.ok(ext.isActive, 'extension did not activate');
  const commands = await vscode.commands.getCommands(true);
  assert.ok(commands.includes(SIMULATE_COMMAND), `command ${SIMULATE_COMMAND} is not registered`);
});

test('the language server indexes the workspace and says it is ready', 300_000, async () => {
  const api = vscode.extensions.getExtension(EXTENSION_ID)?.exports as { serverStatus?: () => { state: string; message: string } | undefined } | undefined;
  assert.ok(api?.serverStatus, 'the extension exports no serverStatus() (KernelLockLensApi)');
  const t0 = Date.now();
  const status = await eventually('the server to report ready', 290_000, async () => {
    const s = api.serverStatus!();
    if (s?.state === 'error') throw Object.assign(new Error(`the server reports an error: ${s.message}`), { fatal: true });
    if (s?.state === 'ready') return s;
    throw new Error(`status ${JSON.stringify(s)}`);
  });
  console.log(`server ready after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${status.message}`);
});

test('hovers on the free_pgtables( call in exit_mmap say mmap_lock is held for write', 120_000, async () => {
  const uri = kernelMmap();
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const at = findInFunction(doc.getText(), 'exit_mmap', 'free_pgtables(');
  const hoverAt = (character: number, want: RegExp, what: string) =>
    eventually(what, 110_000, async () => {
      const t = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(at.line, character)));
      if (want.test(t)) return t;
      throw new Error(`hover was ${JSON.stringify(t.slice(0, 300))}`);
    });
  // On the callee's name: free_pgtables' summary, whose callers include exit_mmap with write (or, while the
  // index is still being built, the line's mode).
  const onName = await hoverAt(at.character + 2, HOVER_SAYS_WRITE, 'a hover on free_pgtables saying write');
  // Elsewhere on the line (the &tlb argument): the mode held there, exactly write.
  const onArg = await hoverAt(at.character + 'free_pgtables(&'.length + 1, HOVER_LINE_WRITE, 'a hover on the line saying mmap_lock: write');
  console.log(`hover on free_pgtables at mm/mmap.c:${at.line + 1}: ${JSON.stringify(onName.slice(0, 300))}`);
  console.log(`hover on its &tlb argument: ${JSON.stringify(onArg.slice(0, 300))}`);
});

test('inlay hints in exit_mmap show read after mmap_read_lock and write after mmap_write_lock', 90_000, async () => {
  const uri = kernelMmap();
  const doc = await vscode.workspace.openTextDocument(uri);
  const text = doc.getText();
  const fn = findFunction(text, 'exit_mmap');
  const range = new vscode.Range(fn.start, 0, fn.end + 1, 0);
  const readLines = findAllInFunction(text, fn, 'mmap_read_lock(').map((p) => p.line);
  const writeLines = findAllInFunction(text, fn, 'mmap_write_lock(').map((p) => p.line);
  const near = (line: number, lockLines: number[]) => lockLines.some((l) => line === l || line === l + 1);
  const hints = await eventually('inlay hints in exit_mmap', 80_000, async () => {
    const hs = (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', uri, range)) ?? [];
    const all = hs.map((h) => ({ line: h.position.line, label: hintLabel(h) }));
    const read = all.filter((h) => near(h.line, readLines) && /\bread\b/.test(h.label));
    const write = all.filter((h) => near(h.line, writeLines) && /\bwrite\b/.test(h.label));
    if (read.length && write.length) return all;
    throw new Error(`${all.length} hints: ${JSON.stringify(all.slice(0, 12))}; mmap_read_lock on lines ${readLines.map((l) => l + 1)}, mmap_write_lock on ${writeLines.map((l) => l + 1)}`);
  });
  console.log(`inlay hints in exit_mmap: ${JSON.stringify(hints.slice(0, 8).map((h) => `${h.line + 1}: ${h.label}`))}`);
});

test('the fixture tree has LL001 on the close callbacks that take mmap_lock', 90_000, async () => {
  const uri = fixtureCallbacks();
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const badLine = findInFunction(doc.getText(), 'bad_close', 'mmap_read_lock(').line;
  const indirectLine = findInFunction(doc.getText(), 'indirect_close', 'refresh_stats(').line;
  const ll001 = await eventually('LL001 diagnostics in mm/callbacks.c', 80_000, async () => {
    const ds = vscode.languages.getDiagnostics(uri).filter((d) => codeOf(d) === 'LL001');
    if (ds.some((d) => d.range.start.line === badLine) && ds.some((d) => d.range.start.line === indirectLine)) return ds;
    throw new Error(`diagnostics: ${JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => `${d.range.start.line + 1} ${codeOf(d)} ${d.message.slice(0, 80)}`))}`);
  });
  const bad = ll001.find((d) => d.range.start.line === badLine)!;
  assert.match(bad.message, /bad_close/, 'the LL001 message names the callback');
  assert.ok(bad.severity === vscode.DiagnosticSeverity.Error || bad.severity === vscode.DiagnosticSeverity.Warning, `severity ${bad.severity}`);
  // good_close takes nothing: no diagnostic inside it.
  const good = findFunction(doc.getText(), 'good_close');
  const inGood = vscode.languages.getDiagnostics(uri).filter((d) => d.range.start.line >= good.start && d.range.start.line <= good.end);
  assert.deepStrictEqual(inGood.map((d) => d.message), [], 'good_close has no diagnostics');
  console.log(`LL001: ${ll001.map((d) => `${d.range.start.line + 1}: ${d.message.slice(0, 100)}`).join(' | ')}`);
});

test('kernelLockLens.simulateFunction on exit_mmap returns its paths', 90_000, async () => {
  const uri = kernelMmap();
  const result = await eventually('a simulation of exit_mmap', 80_000, async () => {
    // Entered without the lock, as __mmput() calls it.
    const r = await vscode.commands.executeCommand<any>(SIMULATE_COMMAND, { function: 'exit_mmap', uri: uri.toString(), entry: 'none' });
    if (!r) throw new Error(`the command returned ${JSON.stringify(r)}`);
    return r;
  });
  assert.strictEqual(result.function, 'exit_mmap');
  assert.ok(Array.isArray(result.paths) && result.paths.length >= 2, `expected at least 2 paths, got ${JSON.stringify(result.paths?.length)}`);
  const steps: Array<{ event: string; text: string; after: Record<string, string[]> }> = result.paths.flatMap((p: { steps: unknown[] }) => p.steps);
  assert.ok(
    steps.some((s) => s.event === 'acquire' && /mmap_write_lock/.test(s.text) && Object.values(s.after).some((m) => m.includes('write'))),
    'some path acquires mmap_lock for write',
  );
  assert.strictEqual(result.entry, 'none');
  // Paths that return (not those cut at the loop bound, nor BUG_ON's) leave the lock released.
  const returning = result.paths.filter((p: { end: string; cut?: string }) => p.end === 'returns' && !p.cut);
  assert.ok(returning.length >= 1, `no path of exit_mmap returns: ends ${JSON.stringify(result.paths.map((p: { end: string }) => p.end))}`);
  for (const p of returning) assert.deepStrictEqual(Object.values(p.exit as Record<string, string[]>).flat(), ['none'], 'exit_mmap returns with mmap_lock released');
  console.log(`simulate exit_mmap: ${result.paths.length} paths, entry ${result.entry}${result.truncated ? `, truncated: ${result.truncated}` : ''}`);
});

export async function run(): Promise<void> {
  const results: Array<{ name: string; ok: boolean; ms: number; error?: string }> = [];
  for (const c of cases) {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.fn(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs / 1000} s`)), c.timeoutMs))),
      ]);
      results.push({ name: c.name, ok: true, ms: Date.now() - t0 });
      console.log(`  ok   ${c.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      results.push({ name: c.name, ok: false, ms: Date.now() - t0, error });
      console.log(`  FAIL ${c.name} (${Date.now() - t0} ms): ${error}`);
    } finally {
      clearTimeout(timer);
    }
  }
  const out = process.env.KLL_SUITE_RESULT;
  if (out) fs.writeFileSync(out, JSON.stringify({ results }, null, 2));
  const failed = results.filter((r) => !r.ok);
  console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) throw new Error(`${failed.length} of ${results.length} failed: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
}
