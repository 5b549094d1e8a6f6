/**
 * Reads the expectations written beside fixture code:
 *   foo(mm);   \/* mode: write *\/          the state after that line
 *   foo(mm);   \/* expect: LL001 *\/        a diagnostic on that line
 *   void f(...)  \/* entry: write *\/       the function's entry state
 * Several in one comment are separated by `;`.
 */
import * as fs from 'fs';

export interface Expectation {
  file: string;
  line: number;
  kind: 'mode' | 'expect' | 'entry' | 'before';
  value: string;
  text: string;
}

export function readExpectations(abs: string, rel: string): Expectation[] {
  const out: Expectation[] = [];
  const lines = fs.readFileSync(abs, 'utf8').split('\n');
  lines.forEach((text, i) => {
    const m = /\/\*\s*((?:mode|expect|entry|before):[^*]*)\*\//.exec(text);
    if (!m) return;
    for (const part of m[1].split(';')) {
      const kv = /^\s*(mode|expect|entry|before):\s*(.*?)\s*$/.exec(part);
      if (kv) out.push({ file: rel, line: i + 1, kind: kv[1] as Expectation['kind'], value: kv[2], text: text.trim() });
    }
  });
  return out;
}

/** `write` / `none|write` / `mmap_lock(oldmm)=write mmap_lock(mm)=none` -> comparable text */
export function expectedState(value: string): string {
  return value.trim();
}
