/**
 * Which function a command is about: an explicit argument (`{function, uri, entry}` from tests, code
 * lenses or keybindings), else the selected identifier, else the function around the cursor.
 */
import * as vscode from 'vscode';
import type { ModeName, PositionRef, TextDocumentRef } from '../../server/src/lsp/protocol';

/** The optional argument of Simulate Function and Show Function Summary. */
export interface FunctionCommandArgs {
  function?: string;
  uri?: string;
  entry?: ModeName;
  /** 0-based position in `uri` (LSP's convention), instead of a name. */
  line?: number;
  character?: number;
}

export interface FunctionTarget {
  textDocument?: TextDocumentRef;
  position?: PositionRef;
  function?: string;
  entry?: ModeName;
  /** What to call it in messages. */
  label: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MODES: readonly string[] = ['none', 'read', 'write'];

/** Plain fields of a command argument; a menu passes the resource Uri, a code lens may pass a name. */
function readArgs(arg: unknown): FunctionCommandArgs {
  if (typeof arg === 'string') return IDENTIFIER.test(arg) ? { function: arg } : {};
  if (!arg || typeof arg !== 'object' || arg instanceof vscode.Uri) return {};
  const o = arg as Record<string, unknown>;
  const out: FunctionCommandArgs = {};
  if (typeof o.function === 'string' && o.function.trim()) out.function = o.function.trim();
  if (typeof o.uri === 'string' && o.uri) out.uri = o.uri;
  else if (o.uri instanceof vscode.Uri) out.uri = o.uri.toString();
  if (typeof o.entry === 'string' && MODES.includes(o.entry)) out.entry = o.entry as ModeName;
  if (Number.isInteger(o.line) && (o.line as number) >= 0) out.line = o.line as number;
  if (Number.isInteger(o.character) && (o.character as number) >= 0) out.character = o.character as number;
  return out;
}

/** The target, or a sentence saying why there is none. */
/** What a command says when the server finds no function for it (by name, or at the cursor). */
export function noFunctionMessage(name: string | undefined): string {
  return name
    ? `Kernel Lock Lens: no function named ${name} is indexed.`
    : 'Kernel Lock Lens: the cursor is not inside a function the analysis knows. Put it in a function body, or select a function name.';
}

export function resolveTarget(arg: unknown): FunctionTarget | string {
  const a = readArgs(arg);
  if (a.function) {
    return { function: a.function, textDocument: a.uri ? { uri: a.uri } : undefined, entry: a.entry, label: a.function };
  }
  if (a.uri && a.line !== undefined) {
    return { textDocument: { uri: a.uri }, position: { line: a.line, character: a.character ?? 0 }, entry: a.entry, label: `line ${a.line + 1}` };
  }
  // With a webview focused (the status bar clicked from the simulation panel) there is no active editor.
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => e.document.languageId === 'c');
  if (!editor || editor.document.languageId !== 'c') {
    return 'open a C file and put the cursor inside a function (or select a function name)';
  }
  const doc = editor.document;
  const textDocument = { uri: doc.uri.toString() };
  const sel = editor.selection;
  if (!sel.isEmpty) {
    const word = doc.getText(sel).trim();
    if (IDENTIFIER.test(word)) return { function: word, textDocument, entry: a.entry, label: word };
  }
  const pos = sel.active;
  return { textDocument, position: { line: pos.line, character: pos.character }, entry: a.entry, label: `the function at line ${pos.line + 1}` };
}
