/**
 * Requests to the language server that fail politely: a command never throws to VS Code; when the server
 * is down or a request fails the user gets one clear message with a way to the output.
 */
import * as vscode from 'vscode';
import { LanguageClient, LSPErrorCodes, ResponseError, State } from 'vscode-languageclient/node';
import { Commands } from '../../server/src/lsp/protocol';

export type Outcome<R> = { ok: true; value: R } | { ok: false; cancelled: boolean; message: string };

export class ServerRequests {
  constructor(
    private readonly client: LanguageClient,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Running or on its way: requests sent while starting wait for the start. */
  get available(): boolean {
    return this.client.state === State.Running || this.client.state === State.Starting;
  }

  async send<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<Outcome<R>> {
    if (!this.available) return { ok: false, cancelled: false, message: 'the language server is not running' };
    try {
      const value =
        params === undefined
          ? await this.client.sendRequest<R>(method, token)
          : await this.client.sendRequest<R>(method, params, token);
      return { ok: true, value };
    } catch (err) {
      const cancelled =
        token?.isCancellationRequested === true ||
        (err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled);
      const message = err instanceof Error ? err.message : String(err);
      if (!cancelled) this.log.warn(`${method} failed: ${message}`);
      return { ok: false, cancelled, message };
    }
  }

  /** For commands: the value, or undefined after telling the user what went wrong. */
  async sendForCommand<R>(what: string, method: string, params: unknown, token?: vscode.CancellationToken): Promise<R | undefined> {
    const out = await this.send<R>(method, params, token);
    if (out.ok) return out.value;
    if (!out.cancelled) void showProblem(`Could not ${what}: ${out.message}.`);
    return undefined;
  }
}

/** An error message with a button to the output channel; resolves without waiting for the user. */
export async function showProblem(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(`Kernel Lock Lens: ${message}`, 'Show Output');
  if (choice === 'Show Output') await vscode.commands.executeCommand(Commands.showOutput);
}
