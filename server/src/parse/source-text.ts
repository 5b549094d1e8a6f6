/**
 * Turning file bytes into text the parser can take, and the cheap rewrites
 * that let a C grammar read kernel C.
 */

export interface DecodedSource {
  text: string;
  /** Set when the bytes are not usable as C source; the file is skipped. */
  skipped?: string;
  notes: string[];
}

/** How much of a statement's first line a simulation step shows. */
export const TEXT_LIMIT = 120;

/** The first line of a statement's text, trimmed and cut at TEXT_LIMIT. */
export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0].trim();
  return line.length > TEXT_LIMIT ? line.slice(0, TEXT_LIMIT - 1) + '…' : line;
}

/**
 * The first line of the statement at `at` ([line, column, endLine, endColumn], lines 1-based) in a
 * file's lines: what a simulation step shows. The IR keeps no statement texts (a whole tree's were
 * ~9 MB of heap); a step reads them from the source when asked.
 */
export function statementLine(lines: readonly string[], at: readonly number[]): string {
  const line = lines[at[0] - 1];
  if (line === undefined) return '';
  return firstLine(at[2] === at[0] ? line.slice(at[1], at[3]) : line.slice(at[1]));
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Binary files are skipped; invalid UTF-8 is decoded with replacement characters and noted. */
export function decodeSource(bytes: Uint8Array): DecodedSource {
  const head = bytes.subarray(0, Math.min(bytes.length, 8192));
  if (head.includes(0)) return { text: '', skipped: 'binary file (contains NUL bytes); not analysed', notes: [] };
  try {
    return { text: strictUtf8.decode(bytes), notes: [] };
  } catch {
    return { text: utf8.decode(bytes), notes: ['not valid UTF-8: invalid bytes were read as U+FFFD'] };
  }
}

/** A file's bytes as source text, or undefined for a file not analysed (binary). */
export function sourceTextOf(bytes: Uint8Array): string | undefined {
  const d = decodeSource(bytes);
  return d.skipped ? undefined : d.text;
}

/** Annotations that take a parenthesised argument and mean nothing to the lock analysis. */
const CALL_ANNOTATIONS = new Set([
  '__acquires', '__releases', '__must_hold', '__cond_acquires', '__cond_releases', '__attribute__',
  '__attribute', '__aligned', '__section', '__printf', '__scanf', '__alloc_size', '__counted_by',
  '__diag_ignore', '__nocfi', '__assume_aligned', '__malloc', '__acquire_shared', '__releases_shared',
  '__must_hold_shared', '__guarded_by', '__pt_guarded_by', '__no_sanitize_address', '__weak_alias',
  '__cleanup', '__free', '__designated_init', '__cacheline_aligned_in_smp', '__percpu_qual',
]);

/** Bare-word annotations the C grammar would read as a type or declarator. */
const WORD_ANNOTATIONS = new Set([
  '__init', '__exit', '__ref', '__meminit', '__meminitdata', '__initdata', '__initconst', '__always_inline',
  'noinline', '__noinline', '__must_check', '__user', '__rcu', '__iomem', '__percpu', '__force', '__cold',
  '__hot', '__read_mostly', '__ro_after_init', 'notrace', '__noreturn', '__latent_entropy', '__always_unused',
  '__maybe_unused', '__used', '__visible', 'asmlinkage', '__sched', '__kprobes', '__init_or_module', '__weak',
  '__randomize_layout', '__flatten', '__pure', '__cpuidle', 'noinstr', '__noinstr', '__irq_entry', '__lockfunc',
  '__bitwise', '__safe', '__nocast', '__private', '__kernel', '__packed', '__cacheline_aligned',
  '__cacheline_aligned_in_smp', '____cacheline_aligned', '____cacheline_aligned_in_smp', '__page_aligned_bss',
  '__initconst', '__refdata', '__exitdata', '__net_init', '__net_exit', '__devinit', '__mmu_notifier_invalidate',
  '__no_kcsan', '__no_sanitize_or_inline', '__no_randomize_layout', '__nostackprotector', '__alias', '__unused',
  '__always_used', 'noinline_for_stack', '__ksym', '__bpf_kfunc', '__init_memblock', '__meminit_or_module',
]);

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * Blanks kernel annotations with spaces of the same length, so every offset,
 * line and column stays as in the file. Skips comments and strings.
 */
export function blankAnnotations(text: string): string {
  // Ranges to blank, in order; the output is stitched from slices (no per-character array).
  const cuts: Array<[number, number, string?]> = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (ch === 47 && text.charCodeAt(i + 1) === 47) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (ch === 34 /* " */ || ch === 39 /* ' */) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== ch && text.charCodeAt(j) !== 10) j += text.charCodeAt(j) === 92 ? 2 : 1;
      i = j + 1;
      continue;
    }
    if (ch === 95 /* _ */ || (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90)) {
      IDENT.lastIndex = i;
      const m = IDENT.exec(text);
      const word = m![0];
      const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
      const atWordStart = !(prev === 95 || (prev >= 48 && prev <= 57) || (prev >= 65 && prev <= 90) || (prev >= 97 && prev <= 122));
      let end = i + word.length;
      if (atWordStart && CALL_ANNOTATIONS.has(word)) {
        let j = end;
        while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
        if (text[j] === '(') {
          let depth = 0;
          for (; j < n; j++) {
            if (text[j] === '(') depth++;
            else if (text[j] === ')' && --depth === 0) break;
          }
          if (j < n) {
            cuts.push([i, j + 1]);
            end = j + 1;
          }
        }
      } else if (atWordStart && WORD_ANNOTATIONS.has(word)) {
        cuts.push([i, end]);
      } else if (atWordStart && word.length >= 5 && word.includes('for_each') && closesDoBody(text, i)) {
        // `do { ... } for_each_vma_range(vmi, vma, end);`: an iterator macro as a do-while's tail
        // reads as `while (vmi, vma, end);`, a loop condition the analysis treats as unknown.
        cuts.push([i, end, 'while']);
      }
      i = end;
      continue;
    }
    i++;
  }
  if (!cuts.length) return text;
  let out = '';
  let at = 0;
  for (const [from, to, put] of cuts) {
    // Newlines inside a multi-line annotation stay, so lines keep their numbers.
    const blank = text.slice(from, to).replace(/[^\n]/g, ' ');
    out += text.slice(at, from) + (put ? put + blank.slice(put.length) : blank);
    at = to;
  }
  return out + text.slice(at);
}

/** Whether the word at `i` follows the `}` that closes a `do { ... }` body (only blanks between). */
function closesDoBody(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r')) j--;
  if (text[j] !== '}') return false;
  // Find the matching `{` (comments and strings in between are rare enough to ignore here) and look for `do` before it.
  let depth = 0;
  for (let k = j, steps = 0; k >= 0 && steps < 200_000; k--, steps++) {
    const c = text[k];
    if (c === '}') depth++;
    else if (c === '{' && --depth === 0) {
      let m = k - 1;
      while (m >= 0 && /\s/.test(text[m])) m--;
      return text.slice(Math.max(0, m - 1), m + 1) === 'do' && !/[A-Za-z0-9_]/.test(text[m - 2] ?? ' ');
    }
  }
  return false;
}

const WORD_CHAR = /[A-Za-z0-9_]/;

/**
 * Whether `text` has `word` as a whole word (no regular expression: the word may be any text).
 * With `notField`, an occurrence right after `.` or `->` (a struct field's name) does not count.
 */
export function hasWord(text: string, word: string, notField = false): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    const before = i > 0 ? text[i - 1] : ' ';
    const after = text[i + word.length] ?? ' ';
    if (WORD_CHAR.test(before) || WORD_CHAR.test(after)) continue;
    if (notField && (before === '.' || (before === '>' && text[i - 2] === '-'))) continue;
    return true;
  }
  return false;
}
