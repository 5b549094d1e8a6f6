/**
 * Inlay hints: the entry mode at each function's opening brace, and the mode
 * after each lock transition and each call that needs or changes the lock
 * (`transitions`), or the mode after every statement line (`every-line`).
 */
import { type InlayHint, InlayHintKind, MarkupKind } from 'vscode-languageserver';
import { entryReason, type ExplainCache, type Transition } from '../engine/explain';
import { formatState } from '../engine/lock-state-json';
import type { Program } from '../interproc/program';
import type { InlayHintMode } from './protocol';

export function computeInlayHints(p: Program, cache: ExplainCache, file: string, lines: readonly string[], fromLine0: number, toLine0: number, mode: InlayHintMode): InlayHint[] {
  if (mode === 'off') return [];
  const out: InlayHint[] = [];
  const endOf = (line1: number) => (lines[line1 - 1] ?? '').replace(/\s+$/, '').length;
  for (const ref of p.table.byFile.get(file) ?? []) {
    const [l0, , l1] = ref.fn.at;
    if (l1 - 1 < fromLine0 || l0 - 1 > toLine0) continue;
    const body = ref.fn.body.at;
    const inRange = (line1: number) => line1 - 1 >= fromLine0 && line1 - 1 <= toLine0;
    // Entry: just after the opening brace.
    if (inRange(body[0])) {
      const entry = p.entryModes(ref);
      out.push({
        position: { line: body[0] - 1, character: Math.min(body[1] + 1, endOf(body[0])) },
        label: `entry: ${entry.join('|')}`,
        kind: InlayHintKind.Type,
        paddingLeft: true,
        tooltip: { kind: MarkupKind.Markdown, value: entry.map((m) => `- ${entryReason(p, ref, m)}`).join('\n') },
      });
    }
    if (mode === 'transitions') {
      // One hint per line, at its end: the last transition on the line says the state there.
      const lastOnLine = new Map<number, Transition>();
      for (const t of cache.transitionsOf(ref)) if (inRange(t.at[2])) lastOnLine.set(t.at[2], t);
      for (const [line, t] of lastOnLine) {
        const label = t.kind === 'assert' ? `✓ ${formatState(t.before)}` : `→ ${formatState(t.after)}`;
        out.push({
          position: { line: line - 1, character: endOf(line) },
          label,
          kind: InlayHintKind.Type,
          paddingLeft: true,
          tooltip: { kind: MarkupKind.Markdown, value: `${t.text.replace(/->/g, '→')}${t.requires ? `\n\nRequires: ${t.requires}` : ''}` },
        });
      }
    } else {
      for (const [line, st] of cache.lineStates(ref)) {
        if (!inRange(line) || line === body[0]) continue;
        out.push({
          position: { line: line - 1, character: endOf(line) },
          label: formatState(st.after),
          kind: InlayHintKind.Type,
          paddingLeft: true,
          tooltip: `mmap_lock after this line in ${ref.fn.name}(): ${formatState(st.after)} (before: ${formatState(st.before)})`,
        });
      }
    }
  }
  return out.sort((a, b) => a.position.line - b.position.line || a.position.character - b.position.character);
}
