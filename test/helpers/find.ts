/** Finding code by function name and statement text, never by line number. */
import * as assert from 'assert';
import type { FunctionAnnotation } from '../../server/src/engine/annotate';
import type { FileAnnotation } from '../../server/src/engine/engine';
import { formatState } from '../../server/src/engine/lock-state-json';
import * as fs from 'fs';
import * as path from 'path';

export function fnIn(a: FileAnnotation, name: string): FunctionAnnotation {
  const f = a.functions.find((x) => x.name === name);
  assert.ok(f, `function ${name} not found in ${a.file} (have ${a.functions.map((x) => x.name).slice(0, 20).join(', ')})`);
  return f!;
}

/** The first line inside `fn` whose text contains `needle`. */
export function lineOf(root: string, file: string, fn: FunctionAnnotation, needle: string): number {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  for (let l = fn.line; l <= fn.endLine; l++) if (lines[l - 1].includes(needle)) return l;
  assert.fail(`"${needle}" not found in ${fn.name} (${file})`);
}

export function afterAt(fn: FunctionAnnotation, line: number): string {
  const l = fn.lines.find((x) => x.line === line);
  assert.ok(l, `no statement starts on line ${line} of ${fn.name}`);
  return formatState(l!.after);
}

export function beforeAt(fn: FunctionAnnotation, line: number): string {
  const l = fn.lines.find((x) => x.line === line);
  assert.ok(l, `no statement starts on line ${line} of ${fn.name}`);
  return formatState(l!.before);
}
