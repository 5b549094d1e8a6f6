/**
 * The "Simulate Function" panel: asks `kernelLockLens/simulate`, renders the result in one reused
 * webview, and follows the steps the user picks in the editor (revealed and highlighted).
 */
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import {
  type ModeName,
  SimulateRequestMethod,
  type SimulateParams,
  type SimulateResult,
} from '../../server/src/lsp/protocol';
import { noFunctionMessage } from './command-target';
import { formatLockState } from './lock-state-text';
import type { ServerRequests } from './server-requests';
import { renderSimulateHtml, renderSimulateMessageHtml } from './simulate-webview-html';

type PanelMessage =
  | { type: 'reveal'; path: number; step: number; line: number }
  | { type: 'entry'; entry: ModeName };

const MODES: readonly string[] = ['none', 'read', 'write'];

function isPanelMessage(m: unknown): m is PanelMessage {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  if (o.type === 'reveal') return Number.isInteger(o.path) && Number.isInteger(o.step) && Number.isInteger(o.line);
  if (o.type === 'entry') return typeof o.entry === 'string' && MODES.includes(o.entry);
  return false;
}

export class SimulatePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private result: SimulateResult | undefined;
  /** The column the source was in when the simulation was asked for: steps are revealed there. */
  private sourceColumn: vscode.ViewColumn = vscode.ViewColumn.One;
  private readonly highlight: vscode.TextEditorDecorationType;

  constructor(
    private readonly requests: ServerRequests,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.highlight = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
      borderColor: new vscode.ThemeColor('focusBorder'),
      borderStyle: 'solid',
      borderWidth: '1px 0',
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Full,
      after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em' },
    });
  }

  /** The result the panel shows now (tests read it). */
  get lastResult(): SimulateResult | undefined {
    return this.result;
  }

  /** Simulate and show; resolves to what was rendered, or undefined (after telling the user why). */
  async simulate(params: SimulateParams, label: string): Promise<SimulateResult | undefined> {
    const active = vscode.window.activeTextEditor;
    if (active?.viewColumn !== undefined) this.sourceColumn = active.viewColumn;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Simulating ${label}` },
      (_p, token) => this.requests.sendForCommand<SimulateResult | null>(`simulate ${label}`, SimulateRequestMethod, params, token),
    );
    if (result === undefined) return undefined;
    if (result === null || !Array.isArray(result.paths)) {
      void vscode.window.showInformationMessage(noFunctionMessage(params.function));
      return undefined;
    }
    this.result = result;
    this.log.info(`simulate ${result.function} (entry ${result.entry}): ${result.paths.length} paths${result.truncated ? `, ${result.truncated}` : ''}`);
    const panel = this.ensurePanel();
    panel.title = `Simulate: ${result.function}`;
    panel.webview.html = renderSimulateHtml({ nonce: nonce(), cspSource: panel.webview.cspSource }, result);
    panel.reveal(undefined, false);
    return result;
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const panel = vscode.window.createWebviewPanel(
      'kernelLockLens.simulate',
      'Simulate',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: [], enableFindWidget: true },
    );
    panel.webview.html = renderSimulateMessageHtml({ nonce: nonce(), cspSource: panel.webview.cspSource }, 'Simulate', 'Simulating\u2026');
    panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.clearHighlight();
    });
    this.panel = panel;
    return panel;
  }

  private async onMessage(m: unknown): Promise<void> {
    if (!isPanelMessage(m) || !this.result) return;
    try {
      if (m.type === 'reveal') await this.revealStep(this.result, m.path, m.step, m.line);
      else if (m.entry !== this.result.entry) {
        // By position, not by name: a file may define the name twice (#ifdef CONFIG_MMU ... #else).
        await this.simulate({ textDocument: { uri: this.result.uri }, position: { line: this.result.line - 1, character: 0 }, entry: m.entry }, this.result.function);
      }
    } catch (err) {
      this.log.error(`simulation panel: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Open the function's file beside the panel, put the cursor on the step's line and mark it. */
  private async revealStep(result: SimulateResult, pathIdx: number, stepIdx: number, line: number): Promise<void> {
    const uri = vscode.Uri.parse(result.uri);
    let editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    if (!editor) {
      const doc = await vscode.workspace.openTextDocument(uri);
      const column = this.panel?.viewColumn === this.sourceColumn ? vscode.ViewColumn.Beside : this.sourceColumn;
      editor = await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: true, preview: true });
    }
    const l = Math.max(0, Math.min(editor.document.lineCount - 1, line - 1));
    const range = editor.document.lineAt(l).range;
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    const step = result.paths[pathIdx]?.steps[stepIdx];
    const note = step
      ? `path ${pathIdx + 1}, step ${stepIdx + 1}: ${formatLockState(step.before)} \u2192 ${formatLockState(step.after)}`
      : '';
    this.clearHighlight();
    editor.setDecorations(this.highlight, [{ range, renderOptions: { after: { contentText: note } } }]);
  }

  private clearHighlight(): void {
    for (const e of vscode.window.visibleTextEditors) e.setDecorations(this.highlight, []);
  }

  dispose(): void {
    this.panel?.dispose();
    this.highlight.dispose();
  }
}

function nonce(): string {
  return crypto.randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}
