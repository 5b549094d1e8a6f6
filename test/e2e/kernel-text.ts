/**
 * Finding places in kernel C by text, so no test hard-codes a line number. Pure functions: the node:test e2e
 * test and the suite that runs inside VS Code's extension host (test/vscode-suite) both use them.
 * Lines and characters are 0-based, as in LSP and the VS Code API.
 */

export interface Place {
  line: number;
  character: number;
}

export interface FunctionSpan {
  name: string;
  /** The line with the name; the body's closing brace. */
  start: number;
  end: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A top-level definition (kernel style: the name at column 0 or after the return type, `}` at column 0 ends it). */
export function findFunction(text: string, name: string): FunctionSpan {
  const lines = text.split('\n');
  const head = new RegExp(`^[A-Za-z_].*\\b${escape(name)}\\s*\\(`);
  for (let i = 0; i < lines.length; i++) {
    if (!head.test(lines[i]) || /;\s*$/.test(lines[i])) continue;
    // The body opens before any `;` (else this was a prototype that wraps lines).
    let j = i;
    while (j < lines.length && !/^\{/.test(lines[j]) && !/;\s*$/.test(lines[j])) j++;
    if (j >= lines.length || !/^\{/.test(lines[j])) continue;
    let k = j + 1;
    while (k < lines.length && !/^\}/.test(lines[k])) k++;
    return { name, start: i, end: k };
  }
  throw new Error(`no definition of ${name}() found`);
}

/** Every place of `needle` inside the function's lines. */
export function findAllInFunction(text: string, fn: FunctionSpan, needle: string): Place[] {
  const lines = text.split('\n');
  const out: Place[] = [];
  for (let l = fn.start; l <= fn.end; l++) {
    let c = lines[l].indexOf(needle);
    while (c >= 0) {
      out.push({ line: l, character: c });
      c = lines[l].indexOf(needle, c + 1);
    }
  }
  return out;
}

/** The first place of `needle` inside function `name`. */
export function findInFunction(text: string, name: string, needle: string): Place {
  const fn = findFunction(text, name);
  const hits = findAllInFunction(text, fn, needle);
  if (!hits.length) throw new Error(`${needle} not found inside ${name}() (lines ${fn.start + 1}-${fn.end + 1})`);
  return hits[0];
}

/** What the hover says at a line where exactly write is held: `mmap_lock: write` (not `none|write`). */
export const HOVER_LINE_WRITE = /mmap_lock: write(?![|\w])/;

/**
 * What the hover on a call in exit_mmap says when the lock is held for write there: the line's mode, or the
 * callee's summary naming this caller with write (`exit_mmap with write`), or the call's own transition.
 */
export const HOVER_SAYS_WRITE = /mmap_lock: write(?![|\w])|exit_mmap\W+with write(?![|\w])|At this call:\W+\w+\W+→\W+write(?![|\w])/;
