/**
 * The VS Code client: starts the language server (dist/server.js, over IPC), forwards commands and renders
 * what the server returns. It knows nothing about C or locks; every request and payload is declared in
 * server/src/lsp/protocol.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import {
  Commands,
  type FunctionSummaryResult,
  ReindexRequestMethod,
  type ReindexResult,
  type SimulateResult,
  StatusNotificationMethod,
  type StatusParams,
} from '../../server/src/lsp/protocol';
import { resolveTarget } from './command-target';
import { ServerRequests, showProblem } from './server-requests';
import { SimulatePanel } from './simulate-panel';
import { LockStatusBar } from './status-bar';
import { FunctionSummaryView } from './summary';

/** What `activate` returns: for tests and other extensions. */
export interface KernelLockLensApi {
  client: LanguageClient;
  lastSimulateResult(): SimulateResult | undefined;
  lastFunctionSummary(): FunctionSummaryResult | undefined;
  serverStatus(): StatusParams | undefined;
}

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<KernelLockLensApi> {
  const log = vscode.window.createOutputChannel('Kernel Lock Lens', { log: true });
  context.subscriptions.push(log);

  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'untitled', language: 'c' },
    ],
    synchronize: { configurationSection: 'kernelLockLens' },
    outputChannel: log,
    traceOutputChannel: log,
  };
  // The id `kernelLockLens` makes the client read `kernelLockLens.trace.server`.
  const lc = new LanguageClient('kernelLockLens', 'Kernel Lock Lens', serverOptions, clientOptions);
  client = lc;

  const requests = new ServerRequests(lc, log);
  const statusBar = new LockStatusBar(requests);
  const simulatePanel = new SimulatePanel(requests, log);
  const summaries = new FunctionSummaryView(requests, log);
  let lastStatus: StatusParams | undefined;
  context.subscriptions.push(statusBar, simulatePanel, summaries);

  context.subscriptions.push(
    lc.onNotification(StatusNotificationMethod, (p: StatusParams) => {
      if (p.state !== lastStatus?.state || (p.state !== 'indexing' && p.message !== lastStatus.message)) log.info(`server ${p.state}: ${p.message}`);
      lastStatus = p;
      statusBar.onServerStatus(p);
    }),
    lc.onDidChangeState((e) => {
      if (e.newState === State.Running) statusBar.onClientRunning();
      else if (e.newState === State.Stopped) statusBar.onClientStopped('stopped');
    }),
  );

  const command = (id: string, run: (arg: unknown) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, async (arg: unknown) => {
      try {
        return await run(arg);
      } catch (err) {
        // Commands never throw into VS Code: log the stack, tell the user in one line.
        log.error(`${id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        void showProblem(`${id} failed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    });

  context.subscriptions.push(
    command(Commands.showOutput, async () => log.show(true)),
    command(Commands.simulate, async (arg) => {
      const t = resolveTarget(arg);
      if (typeof t === 'string') {
        void vscode.window.showWarningMessage(`Kernel Lock Lens: ${t}.`);
        return undefined;
      }
      const { label, ...params } = t;
      return simulatePanel.simulate(params, label);
    }),
    command(Commands.summary, async (arg) => {
      const t = resolveTarget(arg);
      if (typeof t === 'string') {
        void vscode.window.showWarningMessage(`Kernel Lock Lens: ${t}.`);
        return undefined;
      }
      const { label, entry: _entry, ...params } = t;
      return summaries.show(params, label);
    }),
    command(Commands.reindex, async () => {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Kernel Lock Lens: indexing the kernel tree again\u2026' },
        (_p, token) => requests.sendForCommand<ReindexResult | null>('reindex', ReindexRequestMethod, undefined, token),
      );
      if (result === null) void showProblem('the server could not index the tree again.');
      else if (result) {
        void vscode.window.showInformationMessage(
          `Kernel Lock Lens: indexed ${result.files} files, ${result.functions} functions in ${(result.ms / 1000).toFixed(1)} s.`,
        );
      }
      return result;
    }),
  );

  if (!fs.existsSync(serverModule)) {
    const why = `the language server is missing (${serverModule}); run \`npm run build\``;
    log.error(why);
    statusBar.onClientStopped('not built');
    void showProblem(why);
  } else {
    // Not awaited: activation (and so every command) must not wait for the server's start; requests
    // sent meanwhile wait for it inside the client.
    lc.start().catch((err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      log.error(`the language server did not start: ${why}`);
      statusBar.onClientStopped('failed to start');
      void showProblem(`the language server did not start: ${why}`);
    });
  }

  return {
    client: lc,
    lastSimulateResult: () => simulatePanel.lastResult,
    lastFunctionSummary: () => summaries.lastResult,
    serverStatus: () => lastStatus,
  };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c && c.state !== State.Stopped) await c.stop().catch(() => undefined);
}
