/**
 * One open document's parser state: the last syntax tree and the text it was
 * parsed from. A new version is parsed incrementally: the changed range is
 * found by comparing the old and new (annotation-blanked) texts, handed to
 * tree-sitter as one edit, and the old tree is reused for everything else.
 * Comparing texts instead of replaying the editor's change list keeps this
 * correct whatever the changes were (several per notification, undo, a
 * replaced document).
 *
 * Indices and columns are UTF-16 code units, as web-tree-sitter counts them
 * for JavaScript strings.
 */
import type { Edit, Point, Tree } from 'web-tree-sitter';
import { buildFileIR } from './build-ir';
import type { FileIR } from './ir';
import { emptyFileIR, PARSE_TIME_LIMIT_MS } from './parse-file';
import { getCParser } from './parser-loader';
import { blankAnnotations } from './source-text';

export interface IncrementalResult {
  ir: FileIR;
  /** True when the old tree was reused. */
  incremental: boolean;
  parseMs: number;
  buildMs: number;
}

export class IncrementalParser {
  private tree: Tree | null = null;
  private source = '';

  constructor(readonly file: string) {}

  async parse(text: string): Promise<IncrementalResult> {
    const t0 = performance.now();
    let incremental = false;
    try {
      const parser = await getCParser();
      const source = blankAnnotations(text);
      let old: Tree | null = null;
      if (this.tree) {
        const edit = diffEdit(this.source, source);
        if (edit) {
          this.tree.edit(edit);
          old = this.tree;
          incremental = true;
        } else if (this.source === source) {
          old = this.tree;
          incremental = true;
        }
      }
      const started = Date.now();
      let cut = false;
      const tree = parser.parse(source, old, {
        progressCallback: (() => {
          if (Date.now() - started > PARSE_TIME_LIMIT_MS) cut = true;
          return cut;
        }) as unknown as () => void,
      });
      const t1 = performance.now();
      this.tree?.delete();
      this.tree = null;
      this.source = '';
      if (!tree) {
        parser.reset();
        return { ir: emptyFileIR(this.file, text.length, cut ? `parse cut after ${PARSE_TIME_LIMIT_MS / 1000} s; file not analysed` : 'parser returned no tree'), incremental, parseMs: t1 - t0, buildMs: 0 };
      }
      this.tree = tree;
      this.source = source;
      const ir = buildFileIR(tree, this.file, text.length, source);
      if (ir.errorBytes > 0) ir.notes.push(`${ir.errorLines.length} region(s) failed to parse (${ir.errorBytes} of ${text.length} bytes); the rest was analysed`);
      return { ir, incremental, parseMs: t1 - t0, buildMs: performance.now() - t1 };
    } catch (err) {
      this.dispose();
      return { ir: emptyFileIR(this.file, String(text ?? '').length, `internal error while parsing: ${(err as Error).message ?? String(err)}`), incremental, parseMs: performance.now() - t0, buildMs: 0 };
    }
  }

  dispose(): void {
    this.tree?.delete();
    this.tree = null;
    this.source = '';
  }
}

/** The one edit that turns `a` into `b` (common prefix and suffix kept), or undefined when they are equal. */
export function diffEdit(a: string, b: string): Edit | undefined {
  if (a === b) return undefined;
  const n = Math.min(a.length, b.length);
  let start = 0;
  while (start < n && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  const startPosition = pointAt(a, start);
  return {
    startIndex: start,
    oldEndIndex: endA,
    newEndIndex: endB,
    startPosition,
    oldEndPosition: pointAt(a, endA, start, startPosition),
    newEndPosition: pointAt(b, endB, start, startPosition),
  } as Edit;
}

/** Row and column of index `i` in `s`, counting from a known point to save work. */
function pointAt(s: string, i: number, from = 0, at: Point = { row: 0, column: 0 }): Point {
  let row = at.row;
  let lineStart = from - at.column;
  let k = s.indexOf('\n', from);
  while (k >= 0 && k < i) {
    row++;
    lineStart = k + 1;
    k = s.indexOf('\n', k + 1);
  }
  return { row, column: i - lineStart };
}
