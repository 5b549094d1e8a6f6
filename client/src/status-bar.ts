/**
 * The status bar item: the server's health while it starts and indexes (from `kernelLockLens/status`),
 * then the mmap_lock mode at the cursor (from `kernelLockLens/lockState`, asked 100 ms after the cursor
 * stops). Clicking it simulates the function at the cursor.
 */
import * as vscode from 'vscode';
import {
  Commands,
  LockStateRequestMethod,
  type LockStateParams,
  type LockStateResult,
  type StatusParams,
} from '../../server/src/lsp/protocol';
import { MODE_WORDS } from './lock-state-text';
import type { ServerRequests } from './server-requests';

const CURSOR_DEBOUNCE_MS = 100;

export class LockStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private server: StatusParams | undefined;
  private stopped: string | undefined;
  private cursor: { result: LockStateResult; line: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: vscode.CancellationTokenSource | undefined;

  constructor(private readonly requests: ServerRequests) {
    this.item = vscode.window.createStatusBarItem('kernelLockLens.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Kernel Lock Lens';
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor === vscode.window.activeTextEditor) this.schedule();
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // Undefined while a webview (the simulation panel) has focus: keep showing the last C editor's mode.
        if (editor) this.cursor = undefined;
        this.schedule();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) this.schedule();
      }),
    );
    this.render();
  }

  /** A `kernelLockLens/status` notification. */
  onServerStatus(status: StatusParams): void {
    this.server = status;
    this.stopped = undefined;
    this.render();
    this.schedule();
  }

  /** The client stopped or failed to start: say so until it runs again. */
  onClientStopped(reason: string): void {
    this.stopped = reason;
    this.cancel();
    this.render();
  }

  onClientRunning(): void {
    this.stopped = undefined;
    this.render();
    this.schedule();
  }

  /** Ask again for the mode at the cursor (after a short pause). */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.queryCursor();
    }, CURSOR_DEBOUNCE_MS);
  }

  private queriesAllowed(): boolean {
    if (this.stopped || !this.requests.available) return false;
    // The server answers for open files at every stage (per file until the index is in).
    return true;
  }

  private cancel(): void {
    this.inFlight?.cancel();
    this.inFlight?.dispose();
    this.inFlight = undefined;
  }

  private async queryCursor(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    this.cancel();
    if (!editor || editor.document.languageId !== 'c' || !this.queriesAllowed()) {
      if (editor) this.cursor = undefined;
      this.render();
      return;
    }
    const pos = editor.selection.active;
    const params: LockStateParams = {
      textDocument: { uri: editor.document.uri.toString() },
      position: { line: pos.line, character: pos.character },
    };
    const cts = new vscode.CancellationTokenSource();
    this.inFlight = cts;
    const out = await this.requests.send<LockStateResult | null>(LockStateRequestMethod, params, cts.token);
    if (cts.token.isCancellationRequested) return;
    this.cancel();
    this.cursor = out.ok && out.value ? { result: out.value, line: pos.line + 1 } : undefined;
    this.render();
  }

  private render(): void {
    const item = this.item;
    const editor = vscode.window.activeTextEditor;
    const isC = (e: vscode.TextEditor) => e.document.languageId === 'c';
    const inC = editor ? isC(editor) : vscode.window.visibleTextEditors.some(isC);
    item.backgroundColor = undefined;
    item.command = { command: Commands.simulate, title: 'Simulate Function' };
    const s = this.server;
    if (this.stopped) {
      item.text = '$(circle-slash) mmap_lock';
      item.tooltip = `Kernel Lock Lens: the language server is not running (${this.stopped}). Click to show the output.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      item.command = Commands.showOutput;
    } else if (s?.state === 'error') {
      item.text = '$(error) mmap_lock';
      item.tooltip = `Kernel Lock Lens: ${s.message}\n\nClick to show the output.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      item.command = Commands.showOutput;
    } else if (s?.state === 'indexing' || s?.state === 'starting') {
      const count = s.total ? `${s.done ?? 0}/${s.total} files` : s.state === 'starting' ? 'starting' : 'indexing';
      const r = this.cursor?.result;
      const here = r?.function && r.state ? `${r.text} · ` : '';
      item.text = `$(sync~spin) mmap_lock: ${here}${count}`;
      item.tooltip = `Kernel Lock Lens: ${s.message || 'indexing the kernel tree'}${here ? `\n\nAt the cursor (this file alone, callers not yet known): ${r!.text}` : ''}`;
      item.command = Commands.showOutput;
    } else {
      item.text = this.cursorText();
      item.tooltip = this.cursorTooltip();
    }
    const busy = s?.state === 'indexing' || s?.state === 'starting' || s?.state === 'error' || !!this.stopped;
    if (inC || busy) item.show();
    else item.hide();
  }

  private cursorText(): string {
    const r = this.cursor?.result;
    if (!r || !r.function || !r.state) return '$(unlock) mmap_lock: \u2014';
    const keys = Object.keys(r.state);
    const held = keys.some((k) => r.state![k].some((m) => m !== 'none'));
    const icon = held ? '$(lock)' : '$(unlock)';
    // One instance: `mmap_lock: write`; several: the server's `mmap_lock(oldmm)=write mmap_lock(mm)=none`.
    return keys.length > 1 ? `${icon} ${r.text}` : `${icon} mmap_lock: ${r.text}`;
  }

  private cursorTooltip(): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    const c = this.cursor;
    if (!c?.result.function || !c.result.state) {
      md.appendMarkdown('**Kernel Lock Lens**: the cursor is not inside a function the analysis covers.\n\n');
    } else {
      md.appendMarkdown(`**mmap_lock** at line ${c.line} in \`${c.result.function}\`: **${c.result.text}**\n\n`);
      md.appendMarkdown('The modes this thread may hold there, over every path and caller the analysis sees:\n\n');
      for (const [m, words] of Object.entries(MODE_WORDS)) md.appendMarkdown(`- \`${m}\`: ${words}\n`);
      md.appendMarkdown('\nSeveral modes (`none|write`) mean different paths or callers disagree.\n\n');
      md.appendMarkdown(`Click to simulate every path through \`${c.result.function}\`.\n\n`);
    }
    const s = this.server;
    if (s?.state === 'ready') {
      // The server's message already counts files and functions; add only how long the index took.
      const took = s.ms !== undefined ? ` (indexed in ${(s.ms / 1000).toFixed(1)} s)` : '';
      md.appendText(`${s.message || 'Index ready'}${took}`);
    }
    return md;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.cancel();
    for (const d of this.disposables) d.dispose();
  }
}
