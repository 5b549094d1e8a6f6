/**
 * The server's process entry (dist/server.js). The transport comes from the
 * command line (`--stdio`, `--node-ipc`, `--socket=N`), as vscode-languageclient
 * and other LSP clients pass it.
 */
import { runServer } from './server';

runServer();
