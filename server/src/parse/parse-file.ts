/**
 * One file's bytes -> FileIR: decode, blank annotations, parse with a time
 * limit, build the IR. Never throws: a failure becomes a note on an empty result.
 */
import type { Tree } from 'web-tree-sitter';
import { buildFileIR } from './build-ir';
import type { FileIR } from './ir';
import { getCParser } from './parser-loader';
import { blankAnnotations, decodeSource } from './source-text';

/** A parse that takes longer than this is cut; what was built so far is not used. */
export const PARSE_TIME_LIMIT_MS = 10_000;

export function emptyFileIR(file: string, bytes: number, note: string): FileIR {
  return { file, functions: [], callbacks: [], errorLines: [], errorBytes: 0, bytes, notes: [note] };
}

export async function parseFileBytes(file: string, bytes: Uint8Array): Promise<FileIR> {
  const decoded = decodeSource(bytes);
  if (decoded.skipped) return emptyFileIR(file, bytes.length, decoded.skipped);
  const ir = await parseFileText(file, decoded.text);
  ir.bytes = bytes.length;
  ir.notes.unshift(...decoded.notes);
  return ir;
}

export async function parseFileText(file: string, text: string): Promise<FileIR> {
  let tree: Tree | null = null;
  try {
    const parser = await getCParser();
    const started = Date.now();
    const source = blankAnnotations(text);
    let cut = false;
    tree = parser.parse(source, null, {
      progressCallback: (() => {
        if (Date.now() - started > PARSE_TIME_LIMIT_MS) cut = true;
        return cut;
      }) as unknown as () => void,
    });
    if (!tree) {
      parser.reset();
      return emptyFileIR(file, text.length, cut ? `parse cut after ${PARSE_TIME_LIMIT_MS / 1000} s; file not analysed` : 'parser returned no tree');
    }
    const ir = buildFileIR(tree, file, text.length, source);
    if (ir.errorBytes > 0) ir.notes.push(`${ir.errorLines.length} region(s) failed to parse (${ir.errorBytes} of ${text.length} bytes); the rest was analysed`);
    return ir;
  } catch (err) {
    return emptyFileIR(file, text.length, `internal error while parsing: ${(err as Error).message ?? String(err)}`);
  } finally {
    tree?.delete();
  }
}
