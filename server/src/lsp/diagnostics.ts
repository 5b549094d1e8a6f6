/** Engine diagnostics -> LSP diagnostics: ranges, severities from settings, related locations, code links. */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { type Diagnostic as LspDiagnostic, DiagnosticSeverity, type Range } from 'vscode-languageserver';
import { type Diagnostic, RULES, type RuleCode } from '../rules/diagnostic';
import type { Span } from '../parse/ir';
import type { KernelLockLensSettings } from './protocol';

/** A 1-based-line span as an LSP range (0-based lines; columns are UTF-16 units on both sides). */
export function spanRange(at: Span): Range {
  return { start: { line: Math.max(0, at[0] - 1), character: Math.max(0, at[1]) }, end: { line: Math.max(0, at[2] - 1), character: Math.max(0, at[3]) } };
}

export function fileUri(root: string, rel: string): string {
  return pathToFileURL(path.join(root, rel)).toString();
}

const SEVERITY: Record<string, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Where each rule is explained: docs/rules.md shipped beside the bundle (dist/../docs), when it is there. */
let rulesDoc: string | null | undefined;
function rulesDocUri(): string | undefined {
  if (rulesDoc === undefined) {
    const candidates = [path.join(__dirname, '..', 'docs', 'rules.md'), path.join(__dirname, '..', '..', '..', 'docs', 'rules.md')];
    const found = candidates.find((c) => fs.existsSync(c));
    rulesDoc = found ? pathToFileURL(found).toString() : null;
  }
  return rulesDoc ?? undefined;
}

/** One engine diagnostic for the client, or undefined when its rule is turned off. */
export function toLspDiagnostic(d: Diagnostic, root: string, settings: KernelLockLensSettings): LspDiagnostic | undefined {
  const chosen = settings.severity[d.code];
  if (chosen === 'off') return undefined;
  const out: LspDiagnostic = {
    range: spanRange(d.at),
    severity: SEVERITY[chosen ?? d.severity] ?? DiagnosticSeverity.Warning,
    code: d.code,
    source: 'kernel-lock-lens',
    message: `${d.message} (in ${d.function}())`,
    relatedInformation: d.related.map((r) => ({ location: { uri: fileUri(root, r.file), range: spanRange(r.at) }, message: r.message })),
    data: { function: d.function, rule: RULES[d.code as RuleCode]?.title },
  };
  const doc = rulesDocUri();
  if (doc) out.codeDescription = { href: `${doc}#${d.code.toLowerCase()}` };
  return out;
}
