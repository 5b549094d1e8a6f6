/**
 * Hover text: on a function's name its summary, on a lock call the
 * transition, on any other line of a function the modes held there and why.
 * Markdown with a short first line.
 */
import type { Hover } from 'vscode-languageserver';
import { describeFunction, entryReason, type ExplainCache, type FunctionDescription, functionAtLine, spanContains } from '../engine/explain';
import { formatState } from '../engine/lock-state-json';
import type { FnRef } from '../interproc/function-table';
import type { Program } from '../interproc/program';
import { fileUri, spanRange } from './diagnostics';

function link(root: string, file: string, line: number, label = `${file}:${line}`): string {
  return `[${label}](${fileUri(root, file)}#L${line})`;
}

function code(s: string): string {
  return '`' + s.replace(/`/g, "'") + '`';
}

export function summaryMarkdown(d: FunctionDescription, root: string): string {
  const lines: string[] = [];
  lines.push(`**${d.name}()** mmap_lock: entry ${code(formatState(d.entry))}, exit ${code(formatState(d.exit))}`);
  lines.push('');
  for (const t of d.transitions) lines.push(`- ${t.replace(/->/g, '→')}`);
  if (d.requirement) lines.push(`- **Requires:** ${d.requirement}`);
  if (d.documentedContext) lines.push(`- **Documented context:** ${d.documentedContext}`);
  if (d.acquires) lines.push(`- **Takes the lock:** ${d.acquires}`);
  if (d.registeredAs.length) lines.push(`- **Registered as:** ${d.registeredAs.slice(0, 4).map((r) => `${code(r.member)} (${link(root, r.file, r.line)})`).join(', ')}${d.registeredAs.length > 4 ? `, and ${d.registeredAs.length - 4} more` : ''}`);
  if (d.callers.length) {
    lines.push(`- **Callers (${d.callers.length}):** ${d.callers.slice(0, 6).map((c) => `${code(c.name)} with ${formatState(c.state)}${c.via ? ` via ${c.via}` : ''} (${link(root, c.file, c.line)})`).join(', ')}${d.callers.length > 6 ? `, and ${d.callers.length - 6} more` : ''}`);
  }
  for (const w of d.entryWhy.slice(0, 3)) lines.push(`- Entry ${w}`);
  if (d.otherDefinitions?.length) lines.push(`- **This definition** (${link(root, d.file, d.line)}) is the one a default build uses; also defined at ${d.otherDefinitions.slice(0, 3).map((o) => code(o)).join(', ')}`);
  return lines.join('\n');
}

export function computeHover(p: Program, cache: ExplainCache, root: string, file: string, line0: number, character: number): Hover | null {
  const line = line0 + 1;
  const ref = functionAtLine(p, file, line);
  if (!ref) return null;
  // On the function's own name: its summary.
  if (spanContains(ref.fn.nameAt, line, character)) {
    return { contents: { kind: 'markdown', value: summaryMarkdown(describeFunction(p, ref), root) }, range: spanRange(ref.fn.nameAt) };
  }
  // On the name of a function it calls: that function's summary.
  const callee = calleeAt(p, ref, line, character);
  const info = cache.explainLine(ref, line);
  const here = info?.transitions.find((t) => spanContains(t.at, line, character));
  // A lock primitive shows its transition; a call of an indexed function shows that function's summary.
  const lockCall = here && here.kind !== 'call' ? here : undefined;
  if (callee && !lockCall && info) {
    // The mode held at the call first (what a reader of this function asks), then what the callee does.
    const head = here
      ? `**mmap_lock: ${formatState(here.before)} → ${formatState(here.after)}** at this call in ${code(ref.fn.name + '()')}`
      : `**mmap_lock: ${formatState(info.before)}** at this call in ${code(ref.fn.name + '()')}`;
    const why = info.why.map((w) => `- ${w.text}`);
    const value = [head, '', ...why, '', '---', '', summaryMarkdown(describeFunction(p, callee.ref), root)].join('\n');
    return { contents: { kind: 'markdown', value }, range: spanRange(callee.at) };
  }
  if (!info) {
    // The signature and the lines before the first statement: the state the function is entered with.
    const entry = p.entryModes(ref);
    const lines = [`**mmap_lock on entry: ${entry.join('|')}** in ${code(ref.fn.name + '()')}`, '', ...entry.map((m) => `- ${entryReason(p, ref, m)}`)];
    return { contents: { kind: 'markdown', value: lines.join('\n') } };
  }
  const where = `in ${code(ref.fn.name + '()')}`;
  const out: string[] = [];
  if (lockCall) {
    out.push(`**${lockCall.text.replace(/->/g, '→')}** ${where}`);
    if (lockCall.requires) out.push('', `Requires: ${lockCall.requires}`);
  } else {
    const changed = formatState(info.before) !== formatState(info.after);
    out.push(changed ? `**mmap_lock: ${formatState(info.before)} → ${formatState(info.after)}** ${where}` : `**mmap_lock: ${formatState(info.before)}** ${where}`);
    for (const t of info.transitions) out.push('', `${code(t.callee + '()')}: ${formatState(t.before)} → ${formatState(t.after)}`);
  }
  if (info.why.length) {
    out.push('');
    for (const w of info.why) out.push(`- ${w.text}`);
  }
  const state = cache.stateAt(ref, line);
  if (state && !state.exact) out.push('', '_(no statement starts on this line; the state after the statement above)_');
  return { contents: { kind: 'markdown', value: out.join('\n') } };
}

/** A call on this line whose callee's name is under the cursor and resolves to an indexed function. */
function calleeAt(p: Program, ref: FnRef, line: number, character: number): { ref: FnRef; at: [number, number, number, number] } | undefined {
  for (const s of ref.sites) {
    if (s.at[0] !== line || character < s.at[1]) continue;
    const nameEnd = s.at[1] + s.f.length;
    if (character > nameEnd || !/^[A-Za-z_]\w*$/.test(s.f)) continue;
    const target = p.table.resolve(s.f, ref.file);
    if (target) return { ref: target, at: [line, s.at[1], line, nameEnd] };
  }
  return undefined;
}
