/**
 * The simulation panel's HTML, rendered in plain Node from a real simulation of the example tree's
 * exit_mmap and from a hand-written result: the DOM hooks the end-to-end test reads, a strict CSP,
 * theme colours, and the text rendering screen readers get.
 */
import * as assert from 'assert';
import * as vm from 'vm';
import { describe, it } from 'node:test';
import { renderSimulateHtml, renderSimulateMessageHtml, simulateResultToText } from '../client/src/simulate-webview-html';
import { main } from '../server/src/cli/main';
import type { SimulateResult } from '../server/src/lsp/protocol';
import { EXAMPLE_TREE } from './helpers/trees';

const CTX = { nonce: 'TESTNONCE123', cspSource: 'vscode-webview://abc' };

async function simulateExample(fn: string): Promise<SimulateResult> {
  const out: string[] = [];
  const code = await main(['simulate', fn, '--root', EXAMPLE_TREE, '--json', '--no-cache', '--quiet'], (s) => out.push(s), () => {});
  assert.ok(code === 0 || code === 1, `simulate exited ${code}`);
  const r = JSON.parse(out.join('\n'));
  return { ...r, uri: `file://${EXAMPLE_TREE}/${r.file}`, possibleEntries: ['none', 'write'] };
}

const HAND: SimulateResult = {
  function: 'dup_like',
  file: 'kernel/fork.c',
  uri: 'file:///tree/kernel/fork.c',
  line: 10,
  entry: 'none',
  possibleEntries: ['none'],
  truncated: 'stopped after 2 paths',
  paths: [
    {
      end: 'return 0',
      exit: { 'mmap_lock(oldmm)': ['none'], 'mmap_lock(mm)': ['none'] },
      steps: [
        { line: 12, text: 'if (a < b && c) mmap_write_lock(oldmm);', event: 'acquire', callee: 'mmap_write_lock', before: { 'mmap_lock(oldmm)': ['none'], 'mmap_lock(mm)': ['none'] }, after: { 'mmap_lock(oldmm)': ['write'], 'mmap_lock(mm)': ['none'] } },
        { line: 13, text: 'mmap_write_lock_nested(mm, 1);', event: 'acquire', before: { 'mmap_lock(oldmm)': ['write'], 'mmap_lock(mm)': ['none'] }, after: { 'mmap_lock(oldmm)': ['write'], 'mmap_lock(mm)': ['write'] } },
        { line: 20, text: 'mmap_write_unlock(mm); mmap_write_unlock(oldmm);', event: 'release', before: { 'mmap_lock(oldmm)': ['write'], 'mmap_lock(mm)': ['write'] }, after: { 'mmap_lock(oldmm)': ['none'], 'mmap_lock(mm)': ['none'] } },
      ],
    },
    {
      end: 'cut',
      cut: 'loop at line 15 taken 2 times',
      exit: { 'mmap_lock(oldmm)': ['none', 'write'], 'mmap_lock(mm)': [] },
      steps: [{ line: 15, text: 'for (;;) {', event: 'statement', before: { 'mmap_lock(oldmm)': ['none'], 'mmap_lock(mm)': ['none'] }, after: { 'mmap_lock(oldmm)': ['none', 'write'], 'mmap_lock(mm)': [] } }],
    },
  ],
};

function count(html: string, re: RegExp): number {
  return [...html.matchAll(re)].length;
}

/** The markup without the script (which names the same test ids in its selectors). */
function markup(html: string): string {
  return html.replace(/<script[\s\S]*?<\/script>/g, '');
}

describe('the simulation webview', () => {
  it('draws one lane per path of exit_mmap with a step per line, under a heading naming the function', async () => {
    const r = await simulateExample('exit_mmap');
    assert.ok(r.paths.length >= 1);
    const html = markup(renderSimulateHtml(CTX, r));
    assert.match(html, /<h1 data-testid="sim-function">exit_mmap<\/h1>/);
    assert.strictEqual(count(html, /data-testid="sim-lane"/g), r.paths.length);
    const steps = r.paths.reduce((n, p) => n + p.steps.length, 0);
    assert.strictEqual(count(html, /data-testid="sim-step"/g), steps);
    for (const [i, p] of r.paths.entries()) {
      assert.ok(html.includes(`data-testid="sim-lane" data-path="${i}"`));
      for (const s of p.steps) assert.ok(html.includes(`data-path="${i}"`) && html.includes(`data-step-line="${s.line}"`), `line ${s.line}`);
    }
    // The example's exit_mmap takes and drops the read lock: both events are drawn, and the read mode.
    assert.match(html, /data-event="acquire"[^>]*data-mode="read"/);
    assert.match(html, /data-event="release"[^>]*data-mode="none"/);
    assert.match(html, /class="seg mode-read"/);
  });

  it('renders the same paths as text, one line per step', async () => {
    const r = await simulateExample('exit_mmap');
    const text = simulateResultToText(r);
    const lines = text.split('\n');
    assert.match(lines[0], /^exit_mmap \(mm\/mmap\.c:\d+\), entry none, \d+ paths?$/);
    const stepLines = lines.filter((l) => /^ {2}line \d+/.test(l));
    assert.strictEqual(stepLines.length, r.paths.reduce((n, p) => n + p.steps.length, 0));
    assert.ok(stepLines.some((l) => /none -> read\s+acquire mmap_read_lock\s+mmap_read_lock\(mm\);/.test(l)), text);
    const html = renderSimulateHtml(CTX, r);
    assert.match(html, /<section id="text-view" data-testid="sim-text" aria-label="All paths of exit_mmap as text" hidden>/);
    assert.match(html, /aria-controls="text-view" aria-expanded="false"/);
  });

  it('has a strict CSP: nonce on every script and style, no remote resources, no inline handlers or styles', async () => {
    for (const html of [renderSimulateHtml(CTX, await simulateExample('exit_mmap')), renderSimulateHtml(CTX, HAND), renderSimulateMessageHtml(CTX, 'x', 'y')]) {
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
      assert.ok(csp, 'no CSP');
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'nonce-TESTNONCE123'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
      assert.strictEqual(count(html, /<script(?![^>]*nonce="TESTNONCE123")/g), 0);
      assert.strictEqual(count(html, /<style(?![^>]*nonce="TESTNONCE123")/g), 0);
      assert.doesNotMatch(html, /\s(src|href)=/);
      assert.doesNotMatch(html, /https?:\/\//);
      assert.doesNotMatch(html, /\son[a-z]+=/);
      assert.doesNotMatch(html, /\sstyle=/);
    }
  });

  it('colours the three modes with their own variables built on the theme', () => {
    const html = renderSimulateHtml(CTX, HAND);
    for (const m of ['none', 'read', 'write']) {
      assert.match(html, new RegExp(`--kll-mode-${m}: var\\(--vscode-[\\w-]+`));
      assert.match(html, new RegExp(`\\.seg\\.mode-${m} \\{ background: var\\(--kll-mode-${m}\\)`));
    }
    assert.match(html, /background: var\(--vscode-editor-background\)/);
  });

  it('escapes source text, draws one band per lock instance, and says when paths were cut', () => {
    const html = markup(renderSimulateHtml(CTX, HAND));
    assert.ok(html.includes('if (a &lt; b &amp;&amp; c) mmap_write_lock(oldmm);'));
    assert.ok(!html.includes('a < b'));
    assert.strictEqual(count(html, /data-instance="mmap_lock\(oldmm\)"/g), 2 * 2 + 3 + 1, 'a band per step, entry and exit cell');
    assert.match(html, /data-testid="sim-truncated"[^>]*>Not every path is shown: stopped after 2 paths/);
    assert.match(html, /cut: loop at line 15 taken 2 times/);
    assert.match(html, /mode-unreachable/);
    const text = simulateResultToText(HAND);
    assert.match(text, /line 12 +mmap_lock\(oldmm\)=none mmap_lock\(mm\)=none -> mmap_lock\(oldmm\)=write mmap_lock\(mm\)=none +acquire mmap_write_lock/);
    assert.match(text, /exit mmap_lock\(oldmm\)=none\|write mmap_lock\(mm\)=unreachable/);
  });

  it('offers the three entry modes with the current one selected and the callers\' ones marked', () => {
    const html = renderSimulateHtml(CTX, { ...HAND, entry: 'write', possibleEntries: ['none', 'write'] });
    const select = /<select id="entry" data-testid="sim-entry">(.*?)<\/select>/.exec(html)?.[1] ?? '';
    assert.deepStrictEqual([...select.matchAll(/value="(\w+)"/g)].map((m) => m[1]), ['none', 'read', 'write']);
    assert.match(select, /<option value="write" selected>write \(callers bring it\)<\/option>/);
    assert.match(select, /<option value="read">read<\/option>/);
  });

  it('ships a script that parses', () => {
    const html = renderSimulateHtml(CTX, HAND);
    const script = /<script nonce="TESTNONCE123">([\s\S]*?)<\/script>/.exec(html)?.[1];
    assert.ok(script && script.includes('acquireVsCodeApi'));
    assert.doesNotThrow(() => new vm.Script(script));
  });
});
