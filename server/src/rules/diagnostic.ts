/** Diagnostics as plain data: what the CLI prints and the language server publishes. */
import type { Span } from '../parse/ir';

export type Severity = 'error' | 'warning' | 'info';

export interface RelatedLocation {
  file: string;
  at: Span;
  message: string;
}

export interface Diagnostic {
  file: string;
  at: Span;
  severity: Severity;
  code: RuleCode;
  message: string;
  /** The function the diagnostic is in. */
  function: string;
  /** The path that leads to it: the acquire, the callers, the return. */
  related: RelatedLocation[];
}

export type RuleCode = 'LL001' | 'LL002' | 'LL003' | 'LL004' | 'LL005' | 'LL006' | 'LL007';

export const RULES: Record<RuleCode, { title: string; severity: Severity }> = {
  LL001: { title: 'callback invoked with mmap_lock held takes mmap_lock (deadlock)', severity: 'error' },
  LL002: { title: 'mmap_lock acquired while it may already be held (self-deadlock)', severity: 'error' },
  LL003: { title: 'mmap_lock released while not held, or in the wrong mode', severity: 'error' },
  LL004: { title: 'function returns with different mmap_lock states on different paths', severity: 'warning' },
  LL005: { title: "call does not meet the callee's mmap_lock requirement", severity: 'error' },
  LL006: { title: 'mmap_lock assertion can fail on some path', severity: 'warning' },
  LL007: { title: 'called without mmap_lock where most call sites hold it', severity: 'info' },
};
