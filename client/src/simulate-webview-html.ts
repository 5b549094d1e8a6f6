/**
 * The simulation panel's HTML: one lane per path, the lock mode drawn along the steps, and the same
 * paths as plain text for screen readers. Pure (no `vscode` import): the panel passes a nonce and the
 * webview's CSP source, tests render results in plain Node.
 *
 * DOM hooks the end-to-end tests read: `data-testid` sim-function (the heading), sim-lane (one per path,
 * with data-path), sim-step (with data-path, data-step, data-step-line, data-event, data-mode),
 * sim-entry (the entry picker), sim-text (the text rendering), sim-detail (the current step).
 */
import type { ModeName, SimulatePath, SimulateResult, SimulateStep } from '../../server/src/lsp/protocol';
import { eventGlyph, eventWord, formatLockState, MODE_WORDS, strongestMode } from './lock-state-text';

export interface WebviewContext {
  nonce: string;
  /** `webview.cspSource`: empty in tests. */
  cspSource: string;
}

const MODES: ModeName[] = ['none', 'read', 'write'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Lock instances in order of first appearance (`mmap_lock`, or `mmap_lock(oldmm)` and `mmap_lock(mm)`). */
export function instancesOf(result: SimulateResult): string[] {
  const seen = new Set<string>();
  for (const p of result.paths) {
    for (const s of p.steps) for (const k of [...Object.keys(s.before), ...Object.keys(s.after)]) seen.add(k);
    for (const k of Object.keys(p.exit)) seen.add(k);
  }
  return [...seen];
}

function stepLabel(s: SimulateStep): string {
  const change = formatLockState(s.before) === formatLockState(s.after) ? formatLockState(s.after) : `${formatLockState(s.before)} \u2192 ${formatLockState(s.after)}`;
  const what = s.event === 'statement' ? '' : `${eventWord(s.event)}${s.callee ? ` ${s.callee}` : ''}, `;
  return `Line ${s.line}: ${s.text} \u2014 ${what}${change}`;
}

function pathTitle(p: SimulatePath, i: number, total: number): string {
  const end = p.cut ? `cut: ${p.cut}` : p.end;
  return `Path ${i + 1} of ${total}: ${p.steps.length} steps, ${end}, exit ${formatLockState(p.exit)}`;
}

/** Every path as plain text, one step per line: what the text view shows and a screen reader reads. */
export function simulateResultToText(result: SimulateResult): string {
  const out: string[] = [];
  out.push(`${result.function} (${result.file}:${result.line}), entry ${result.entry}, ${result.paths.length} path${result.paths.length === 1 ? '' : 's'}`);
  if (result.truncated) out.push(`Incomplete: ${result.truncated}`);
  result.paths.forEach((p, i) => {
    out.push('', pathTitle(p, i, result.paths.length));
    for (const s of p.steps) {
      const modes = `${formatLockState(s.before)} -> ${formatLockState(s.after)}`;
      const ev = s.event === 'statement' ? '' : eventWord(s.event) + (s.callee ? ` ${s.callee}` : '');
      out.push(`  line ${String(s.line).padEnd(6)} ${modes.padEnd(16)} ${ev.padEnd(24)} ${s.text}`.trimEnd());
    }
  });
  return out.join('\n');
}

function band(instance: string, modes: readonly ModeName[] | undefined): string {
  const list = modes && modes.length ? modes : [];
  const segs = list.length
    ? list.map((m) => `<span class="seg mode-${m}"></span>`).join('')
    : '<span class="seg mode-unreachable"></span>';
  return `<span class="band" data-instance="${escapeHtml(instance)}">${segs}</span>`;
}

function renderStep(s: SimulateStep, pathIdx: number, stepIdx: number, instances: string[]): string {
  const label = stepLabel(s);
  const mode = instances.length ? strongestMode(s.after[instances[0]] ?? []) : 'none';
  const changed = formatLockState(s.before) !== formatLockState(s.after);
  return (
    `<li class="step${changed ? ' changed' : ''}">` +
    `<button type="button" class="step-btn ev-${escapeHtml(s.event)}" tabindex="-1" data-testid="sim-step"` +
    ` data-path="${pathIdx}" data-step="${stepIdx}" data-step-line="${s.line}" data-event="${escapeHtml(s.event)}"` +
    ` data-mode="${mode}" aria-label="${escapeHtml(label)}" title="${escapeHtml(label)}">` +
    `<span class="glyph" aria-hidden="true">${escapeHtml(s.event === 'statement' ? '' : eventGlyph(s.event))}</span>` +
    `<span class="bands" aria-hidden="true">${instances.map((k) => band(k, s.after[k])).join('')}</span>` +
    `<span class="line-no" aria-hidden="true">${s.line}</span>` +
    `</button></li>`
  );
}

function renderLane(p: SimulatePath, i: number, total: number, instances: string[], entryState: SimulateStep['before'] | undefined): string {
  const title = pathTitle(p, i, total);
  const entryCell =
    `<li class="step entry-cell" aria-hidden="true"><span class="glyph"></span>` +
    `<span class="bands">${instances.map((k) => band(k, entryState?.[k])).join('')}</span><span class="line-no">in</span></li>`;
  const exitCell =
    `<li class="step exit-cell" aria-hidden="true"><span class="glyph">\u25A0</span>` +
    `<span class="bands">${instances.map((k) => band(k, p.exit[k])).join('')}</span><span class="line-no">out</span></li>`;
  return (
    `<section class="lane" data-testid="sim-lane" data-path="${i}" aria-labelledby="lane-${i}-title">` +
    `<h2 class="lane-title" id="lane-${i}-title">Path ${i + 1}` +
    ` <span class="lane-sub">${p.steps.length} steps \u00b7 ${escapeHtml(p.cut ? `cut: ${p.cut}` : p.end)} \u00b7 exit ${escapeHtml(formatLockState(p.exit))}</span></h2>` +
    `<ol class="track" aria-label="${escapeHtml(title)}">${entryCell}${p.steps.map((s, j) => renderStep(s, i, j, instances)).join('')}${exitCell}</ol>` +
    `</section>`
  );
}

const STYLE = `
:root {
  --kll-mode-none: var(--vscode-charts-green, #89d185);
  --kll-mode-read: var(--vscode-charts-blue, #3794ff);
  --kll-mode-write: var(--vscode-charts-red, #f14c4c);
  --kll-current: var(--vscode-focusBorder, #007fd4);
}
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 12px 16px; }
h1 { font-size: 1.4em; margin: 12px 0 2px; font-family: var(--vscode-editor-font-family); }
.where, .lane-sub, .legend, .note { color: var(--vscode-descriptionForeground); }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
button.tb, select { font: inherit; color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); border: 1px solid var(--vscode-button-border, transparent); padding: 2px 8px; border-radius: 2px; cursor: pointer; }
select { color: var(--vscode-dropdown-foreground); background: var(--vscode-dropdown-background); border-color: var(--vscode-dropdown-border, transparent); }
button.tb:hover { background: var(--vscode-button-secondaryHoverBackground); }
button:focus-visible, select:focus-visible { outline: 1px solid var(--kll-current); outline-offset: 1px; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 4px 0 8px; font-size: 0.9em; }
.legend .sw { display: inline-block; width: 18px; vertical-align: middle; margin-right: 4px; }
.legend .sw .seg { display: block; }
.note { border-left: 3px solid var(--vscode-editorWarning-foreground); padding-left: 8px; }
.lane { margin: 10px 0 14px; }
.lane-title { font-size: 1em; margin: 0 0 4px; font-weight: 600; }
.lane-sub { font-weight: normal; }
.track { list-style: none; display: flex; margin: 0; padding: 0 0 6px; overflow-x: auto; }
.step { flex: 0 0 34px; display: flex; }
.step-btn { flex: 1; display: flex; flex-direction: column; align-items: stretch; padding: 0 1px; margin: 0; background: none; border: 1px solid transparent; color: inherit; font: inherit; cursor: pointer; min-width: 0; }
.entry-cell, .exit-cell { flex-direction: column; padding: 0 2px; border: 1px solid transparent; cursor: default; }
.glyph { height: 16px; text-align: center; font-size: 12px; line-height: 16px; color: var(--vscode-foreground); }
.ev-acquire .glyph, .ev-downgrade .glyph { color: var(--kll-mode-write); }
.ev-release .glyph, .ev-guard-release .glyph { color: var(--kll-mode-none); }
.ev-assert .glyph { color: var(--vscode-editorWarning-foreground); }
.bands { display: flex; flex-direction: column; gap: 2px; }
.band { display: flex; flex-direction: column; justify-content: flex-end; height: 14px; gap: 1px; }
.seg { display: block; flex: 0 0 auto; }
.seg.mode-none { background: var(--kll-mode-none); height: 3px; }
.seg.mode-read { background: var(--kll-mode-read); height: 8px; }
.seg.mode-write { background: var(--kll-mode-write); height: 12px; }
.seg.mode-unreachable { height: 10px; border: 1px dashed var(--vscode-descriptionForeground); }
.band .seg + .seg { height: 4px; }
.line-no { font-size: 10px; text-align: center; color: var(--vscode-descriptionForeground); font-family: var(--vscode-editor-font-family); overflow: hidden; }
.step.changed .line-no { color: var(--vscode-foreground); font-weight: 600; }
.step-btn:hover { background: var(--vscode-list-hoverBackground); }
.step-btn.current { border-color: var(--kll-current); background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
.detail { min-height: 2.6em; padding: 4px 8px; margin: 6px 0; background: var(--vscode-textBlockQuote-background); border-left: 3px solid var(--kll-current); }
.detail code, pre { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
#text-view h2 { font-size: 1em; }
pre { white-space: pre; overflow-x: auto; padding: 8px; background: var(--vscode-textCodeBlock-background); }
@media (forced-colors: active) { .seg { forced-color-adjust: none; } }
`;

/** The panel's script: step selection, keyboard, entry picker, text toggle; talks to the extension by messages. */
const SCRIPT = `
(function () {
  const vscode = acquireVsCodeApi();
  const root = document.getElementById('sim');
  const key = root.dataset.key;
  const lanes = Array.from(document.querySelectorAll('[data-testid="sim-lane"]')).map((lane) =>
    Array.from(lane.querySelectorAll('[data-testid="sim-step"]')));
  const detail = document.getElementById('detail');
  const textView = document.getElementById('text-view');
  const toggle = document.getElementById('toggle-text');
  const saved = vscode.getState() || {};
  let cur = saved.key === key ? { path: saved.path, step: saved.step } : { path: 0, step: -1 };
  let textOpen = !!saved.textOpen;

  function save() { vscode.setState({ key: key, path: cur.path, step: cur.step, textOpen: textOpen }); }
  function showText(open) {
    textOpen = open;
    textView.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide paths as text' : 'Show paths as text';
    save();
  }
  function select(path, step, reveal, focus) {
    if (!lanes.length) return;
    path = Math.max(0, Math.min(lanes.length - 1, path));
    const lane = lanes[path];
    if (!lane.length) return;
    step = Math.max(0, Math.min(lane.length - 1, step));
    const old = document.querySelector('.step-btn.current');
    if (old) { old.classList.remove('current'); old.removeAttribute('aria-current'); old.tabIndex = -1; }
    const btn = lane[step];
    btn.classList.add('current');
    btn.setAttribute('aria-current', 'step');
    btn.tabIndex = 0;
    if (focus) btn.focus();
    btn.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    cur = { path: path, step: step };
    detail.textContent = 'Path ' + (path + 1) + ', step ' + (step + 1) + ' of ' + lane.length + '. ' + btn.getAttribute('aria-label');
    save();
    if (reveal) vscode.postMessage({ type: 'reveal', path: path, step: step, line: Number(btn.dataset.stepLine) });
  }
  function move(dp, ds) {
    if (cur.step < 0) { select(0, 0, true, true); return; }
    select(cur.path + dp, cur.step + ds, true, true);
  }
  document.addEventListener('click', (e) => {
    const btn = e.target.closest && e.target.closest('[data-testid="sim-step"]');
    if (btn) select(Number(btn.dataset.path), Number(btn.dataset.step), true, false);
  });
  document.getElementById('prev').addEventListener('click', () => move(0, -1));
  document.getElementById('next').addEventListener('click', () => move(0, 1));
  toggle.addEventListener('click', () => showText(!textOpen));
  document.getElementById('entry').addEventListener('change', (e) => vscode.postMessage({ type: 'entry', entry: e.target.value }));
  document.addEventListener('keydown', (e) => {
    if (e.target && (e.target.tagName === 'SELECT' || e.target.tagName === 'INPUT')) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const k = e.key;
    if (k === 'ArrowRight' || k === 'j' || k === 'n') move(0, 1);
    else if (k === 'ArrowLeft' || k === 'k' || k === 'p') move(0, -1);
    else if (k === 'ArrowDown') move(1, 0);
    else if (k === 'ArrowUp') move(-1, 0);
    else if (k === 'Home') select(cur.path < 0 ? 0 : cur.path, 0, true, true);
    else if (k === 'End') select(cur.path < 0 ? 0 : cur.path, 1e9, true, true);
    else return;
    e.preventDefault();
  });
  showText(textOpen);
  if (cur.step >= 0) select(cur.path, cur.step, false, false);
  else if (lanes.length && lanes[0].length) { lanes[0][0].tabIndex = 0; }
})();
`;

function page(ctx: WebviewContext, title: string, body: string, script: boolean): string {
  const csp = [
    "default-src 'none'",
    `style-src ${ctx.cspSource ? ctx.cspSource + ' ' : ''}'nonce-${ctx.nonce}'`,
    `script-src 'nonce-${ctx.nonce}'`,
    `img-src ${ctx.cspSource ? ctx.cspSource + ' ' : ''}data:`,
    `font-src ${ctx.cspSource || "'none'"}`,
  ].join('; ');
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1.0">` +
    `<title>${escapeHtml(title)}</title><style nonce="${ctx.nonce}">${STYLE}</style></head>` +
    `<body>${body}${script ? `<script nonce="${ctx.nonce}">${SCRIPT}</script>` : ''}</body></html>`
  );
}

/** A panel that only says something: loading, an error, nothing at the cursor. */
export function renderSimulateMessageHtml(ctx: WebviewContext, heading: string, message: string): string {
  return page(
    ctx,
    heading,
    `<main id="sim" data-testid="sim-message"><h1 data-testid="sim-function">${escapeHtml(heading)}</h1><p role="status">${escapeHtml(message)}</p></main>`,
    false,
  );
}

export function renderSimulateHtml(ctx: WebviewContext, result: SimulateResult): string {
  const instances = instancesOf(result);
  if (instances.length === 0) instances.push('mmap_lock');
  const n = result.paths.length;
  const possible = new Set(result.possibleEntries ?? []);
  const options = MODES.map(
    (m) =>
      `<option value="${m}"${m === result.entry ? ' selected' : ''}>${m}${possible.has(m) ? ' (callers bring it)' : ''}</option>`,
  ).join('');
  const legend =
    MODES.map((m) => `<span><span class="sw" aria-hidden="true"><span class="seg mode-${m}"></span></span>${m}: ${MODE_WORDS[m]}</span>`).join('') +
    `<span>\u25B2 acquire \u00b7 \u25BD release \u00b7 \u2193 downgrade \u00b7 ! assertion \u00b7 \u0192 call \u00b7 T/F branch \u00b7 \u23CE return \u00b7 \u2715 does not return</span>` +
    (instances.length > 1 ? `<span>bands top to bottom: ${instances.map(escapeHtml).join(', ')}</span>` : '');
  const key = `${result.uri}#${result.function}@${result.entry}:${n}`;
  const body =
    `<main id="sim" data-key="${escapeHtml(key)}" data-function="${escapeHtml(result.function)}" data-entry="${result.entry}">` +
    `<h1 data-testid="sim-function">${escapeHtml(result.function)}</h1>` +
    `<p class="where">${escapeHtml(result.file)}:${result.line} \u00b7 ${n} path${n === 1 ? '' : 's'} \u00b7 entered with mmap_lock ${escapeHtml(result.entry)}</p>` +
    `<div class="toolbar" role="toolbar" aria-label="Simulation controls">` +
    `<label for="entry">Entry mode</label><select id="entry" data-testid="sim-entry">${options}</select>` +
    `<button type="button" class="tb" id="prev" aria-label="Previous step" title="Previous step (Left arrow)">\u25C0 Step</button>` +
    `<button type="button" class="tb" id="next" aria-label="Next step" title="Next step (Right arrow; Up/Down: other path)">Step \u25B6</button>` +
    `<button type="button" class="tb" id="toggle-text" aria-controls="text-view" aria-expanded="false">Show paths as text</button>` +
    `</div>` +
    `<div class="legend" aria-label="Legend">${legend}</div>` +
    (result.truncated ? `<p class="note" role="status" data-testid="sim-truncated">Not every path is shown: ${escapeHtml(result.truncated)}</p>` : '') +
    `<div class="detail" id="detail" data-testid="sim-detail" aria-live="polite">` +
    (n ? 'Click a step, or use the arrow keys, to follow a path in the editor.' : 'No paths: the function has no body the analysis could follow.') +
    `</div>` +
    `<div class="lanes" data-testid="sim-lanes">${result.paths.map((p, i) => renderLane(p, i, n, instances, p.steps[0]?.before)).join('')}</div>` +
    `<section id="text-view" data-testid="sim-text" aria-label="All paths of ${escapeHtml(result.function)} as text" hidden>` +
    `<h2>Paths as text</h2><pre tabindex="0">${escapeHtml(simulateResultToText(result))}</pre></section>` +
    `</main>`;
  return page(ctx, `Simulate ${result.function}`, body, true);
}
