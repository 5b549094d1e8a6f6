/**
 * "Show Function Summary": the server's Markdown for a function (entry/exit modes, transitions, callers,
 * why) as a read-only virtual document `kernel-lock-lens:/summary/NAME.md`, opened in the Markdown
 * preview (or as text where there is no preview).
 */
import * as vscode from 'vscode';
import {
  FunctionSummaryRequestMethod,
  type FunctionSummaryParams,
  type FunctionSummaryResult,
} from '../../server/src/lsp/protocol';
import { noFunctionMessage } from './command-target';
import type { ServerRequests } from './server-requests';

export const SUMMARY_SCHEME = 'kernel-lock-lens';

export class FunctionSummaryView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;
  private last: FunctionSummaryResult | undefined;

  constructor(
    private readonly requests: ServerRequests,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, this);
  }

  get lastResult(): FunctionSummaryResult | undefined {
    return this.last;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '_This summary is no longer available: run **Kernel Lock Lens: Show Function Summary** again._';
  }

  async show(params: FunctionSummaryParams, label: string): Promise<FunctionSummaryResult | undefined> {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Summarising ${label}` },
      (_p, token) =>
        this.requests.sendForCommand<FunctionSummaryResult | null>(`summarise ${label}`, FunctionSummaryRequestMethod, params, token),
    );
    if (result === undefined) return undefined;
    if (result === null || typeof result.markdown !== 'string') {
      void vscode.window.showInformationMessage(noFunctionMessage(params.function));
      return undefined;
    }
    this.last = result;
    const uri = vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/summary/${result.name}.md` });
    this.texts.set(uri.toString(), result.markdown);
    this.changed.fire(uri);
    try {
      await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
    } catch (err) {
      // No Markdown preview (disabled built-in extension): the text itself is readable Markdown.
      this.log.info(`markdown preview unavailable (${err instanceof Error ? err.message : String(err)}); opening the summary as text`);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
    }
    return result;
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
