/** Text, JSON and SARIF renderings of engine results, as the CLI contract fixes them. */
import type { FileAnnotation } from '../engine/engine';
import { formatState } from '../engine/lock-state-json';
import type { SimResult } from '../engine/simulate';
import { type Diagnostic, RULES } from '../rules/diagnostic';

export function annotationText(a: FileAnnotation, source: string): string {
  const lines = source.split('\n');
  const byLine = new Map<number, string>();
  const heads = new Map<number, string>();
  for (const fn of a.functions) {
    const callers = fn.callers.length ? `, from ${fn.callers.length} call site(s): ${[...new Set(fn.callers.map((c) => c.name))].slice(0, 4).join(', ')}` : '';
    heads.set(fn.line, `${fn.name}: entry ${formatState(fn.entry)}${callers}${fn.entryWhy.length ? ` (${fn.entryWhy.join('; ')})` : ''}; exit ${formatState(fn.exit)}`);
    for (const l of fn.lines) {
      const before = formatState(l.before);
      const after = formatState(l.after);
      byLine.set(l.line, before === after ? after : `${before} -> ${after}`);
    }
  }
  const width = Math.min(24, Math.max(6, ...[...byLine.values()].map((s) => s.length)));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const head = heads.get(n);
    if (head) out.push(`${''.padEnd(width)} | // ${head}`);
    out.push(`${(byLine.get(n) ?? '').padEnd(width)} | ${lines[i]}`);
  }
  for (const note of a.notes) out.push(`note: ${a.file}: ${note}`);
  return out.join('\n');
}

export function diagnosticText(d: Diagnostic): string {
  const head = `${d.file}:${d.at[0]}:${d.at[1] + 1}: ${d.severity}: ${d.message} [${d.code}]`;
  const rel = d.related.map((r) => `${r.file}:${r.at[0]}:${r.at[1] + 1}: note: ${r.message}`);
  return [head, ...rel].join('\n');
}

export function diagnosticJson(d: Diagnostic) {
  return {
    file: d.file,
    line: d.at[0],
    column: d.at[1] + 1,
    endLine: d.at[2],
    endColumn: d.at[3] + 1,
    severity: d.severity,
    code: d.code,
    message: d.message,
    function: d.function,
    related: d.related.map((r) => ({ file: r.file, line: r.at[0], message: r.message })),
  };
}

export function sarif(diags: Diagnostic[], version: string) {
  const codes = Object.keys(RULES) as Array<keyof typeof RULES>;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kernel-lock-lens',
            version,
            informationUri: 'https://example.invalid/kernel-lock-lens',
            rules: codes.map((c) => ({ id: c, shortDescription: { text: RULES[c].title }, defaultConfiguration: { level: level(RULES[c].severity) } })),
          },
        },
        results: diags.map((d) => ({
          ruleId: d.code,
          ruleIndex: codes.indexOf(d.code),
          level: level(d.severity),
          message: { text: d.message },
          locations: [loc(d.file, d.at[0], d.at[1] + 1, d.at[2], d.at[3] + 1)],
          relatedLocations: d.related.map((r, i) => ({ id: i, message: { text: r.message }, ...loc(r.file, r.at[0], r.at[1] + 1, r.at[2], r.at[3] + 1) })),
          properties: { function: d.function },
        })),
      },
    ],
  };
}

function level(s: string): string {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

function loc(file: string, line: number, col: number, endLine: number, endCol: number) {
  return { physicalLocation: { artifactLocation: { uri: file, uriBaseId: 'SRCROOT' }, region: { startLine: line, startColumn: col, endLine, endColumn: endCol } } };
}

export function simulationText(r: SimResult): string {
  const out = [`${r.function} (${r.file}:${r.line}), entered with ${r.entry}: ${r.paths.length} path(s)${r.truncated ? ` (${r.truncated})` : ''}`];
  r.paths.forEach((p, i) => {
    out.push('', `path ${i + 1}: ${p.end}${p.cut ? ` (${p.cut})` : ''}, exit ${formatState(p.exit)}`);
    for (const s of p.steps) {
      const change = formatState(s.before) === formatState(s.after) ? formatState(s.after) : `${formatState(s.before)} -> ${formatState(s.after)}`;
      const ev = s.event === 'statement' ? '' : ` [${s.event}${s.callee ? ` ${s.callee}` : ''}]`;
      out.push(`  ${String(s.line).padStart(5)}  ${change.padEnd(16)} ${s.text}${ev}`);
    }
  });
  return out.join('\n');
}
