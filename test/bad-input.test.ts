/**
 * Bad input never crashes the engine or the CLI: a binary file, invalid
 * UTF-8, a 5 MB header, an unterminated comment, absurd nesting and
 * half-typed code each give a clear note and whatever could be analysed,
 * and the good files beside them are analysed as usual.
 *
 * Every input is generated here, in a temporary tree that is deleted after.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { main } from '../server/src/cli/main';
import type { FunctionAnnotation } from '../server/src/engine/annotate';
import { type FileAnnotation, LockEngine } from '../server/src/engine/engine';
import { formatState } from '../server/src/engine/lock-state-json';

const MB = 1024 * 1024;

/** The generated tree: relative path -> contents. */
function inputs(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const text = (rel: string, s: string) => files.set(rel, Buffer.from(s, 'utf8'));

  // Binary: an ELF-like header with NUL bytes, and the lock API's name so the prefilter picks it.
  files.set('mm/blob.c', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]), Buffer.from('\0mmap_read_lock\0void f(void) { mmap_read_lock(mm); }\0'), Buffer.alloc(256)]));

  // Invalid UTF-8 (0xff 0xfe) in a comment; the function after it is fine.
  files.set(
    'mm/latin1.c',
    Buffer.concat([
      Buffer.from('/* Author: Fran'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('ois, caf'),
      Buffer.from([0xe9]),
      Buffer.from(' */\n\nvoid latin_reader(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\twalk_vmas(mm);\n\tmmap_read_unlock(mm);\n}\n'),
    ]),
  );

  // A 5 MB header of #defines, with one small inline function at the end.
  const defs: string[] = [];
  let size = 0;
  for (let i = 0; size < 5 * MB; i++) {
    const l = `#define FOO_${i} ${i}\n`;
    defs.push(l);
    size += l.length;
  }
  text('include/linux/big_header.h', `${defs.join('')}\nstatic inline void big_header_writer(struct mm_struct *mm)\n{\n\tmmap_write_lock(mm);\n\tchange_vmas(mm);\n\tmmap_write_unlock(mm);\n}\n`);

  // A complete function, then a comment that never ends.
  text('mm/unterminated.c', 'void before_comment(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\twalk_vmas(mm);\n\tmmap_read_unlock(mm);\n}\n\n/* This comment never ends.\n * mmap_write_lock(mm);\n');

  // 10,000 opening braces inside a function body, never closed.
  text('mm/deep_open.c', `void deep_open(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n${'{'.repeat(10_000)}\n\twalk_vmas(mm);\n\tmmap_read_unlock(mm);\n}\n`);

  // 10,000 nested blocks, balanced.
  text('mm/deep_nested.c', `void deep_nested(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n${'{'.repeat(10_000)}\n\twalk_vmas(mm);\n${'}'.repeat(10_000)}\n\tmmap_read_unlock(mm);\n}\n`);

  // Half-typed code: the file ends in the middle of a condition.
  text('mm/half.c', 'void f(struct mm_struct *mm) { mmap_read_lock(mm); if (');

  // Half-typed, as an editor shows it mid-edit: a finished function, then one still being written.
  text('mm/half_lines.c', 'void finished(struct mm_struct *mm)\n{\n\tmmap_write_lock(mm);\n\tchange_vmas(mm);\n\tmmap_write_unlock(mm);\n}\n\nvoid being_typed(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\twalk_vmas(mm);\n');

  // The good file beside them.
  text('mm/good.c', 'void good_reader(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\twalk_vmas(mm);\n\tmmap_read_unlock(mm);\n}\n');
  return files;
}

let tmp = '';
let engine: LockEngine;
let openMs = 0;

/** 1-based line of the first line of `rel` (within fn when given) that contains `needle`. */
function lineOf(rel: string, needle: string, fn?: FunctionAnnotation): number {
  const lines = fs.readFileSync(path.join(tmp, rel)).toString('latin1').split('\n');
  const from = fn ? fn.line : 1;
  const to = fn ? fn.endLine : lines.length;
  for (let l = from; l <= to; l++) if (lines[l - 1]?.includes(needle)) return l;
  assert.fail(`"${needle}" not found in ${rel}${fn ? ` (${fn.name}, lines ${fn.line}-${fn.endLine})` : ''}`);
}

function annotation(rel: string): FileAnnotation {
  assert.ok(engine.files.has(rel), `${rel} is not in the index (have ${[...engine.files.keys()].join(', ')})`);
  return engine.annotate(rel);
}

function fnIn(a: FileAnnotation, name: string): FunctionAnnotation {
  const f = a.functions.find((x) => x.name === name);
  assert.ok(f, `function ${name} not found in ${a.file} (have ${a.functions.map((x) => x.name).join(', ') || 'none'}; notes: ${JSON.stringify(a.notes)})`);
  return f!;
}

/** The mode after the statement on the first line of fn containing `needle`. */
function modeAfter(rel: string, fn: FunctionAnnotation, needle: string): string {
  const line = lineOf(rel, needle, fn);
  const l = fn.lines.find((x) => x.line === line);
  assert.ok(l, `${fn.name}: no statement on line ${line} (${needle}); lines: ${fn.lines.map((x) => x.line).join(',')}`);
  return formatState(l!.after);
}

/** Every note about a file: the file's own and its functions'. */
function allNotes(a: FileAnnotation): string[] {
  return [...a.notes, ...a.functions.flatMap((f) => f.notes ?? [])];
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('bad input', () => {
  before(
    async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-bad-input-'));
      for (const [rel, bytes] of inputs()) {
        fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
        fs.writeFileSync(path.join(tmp, rel), bytes);
      }
      const t = Date.now();
      engine = await LockEngine.open({ root: tmp, noCache: true, include: [] });
      openMs = Date.now() - t;
    },
    { timeout: 120_000 },
  );

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the engine opens the tree, every generated file is indexed, and the good file is analysed', () => {
    for (const rel of inputs().keys()) assert.ok(engine.files.has(rel), `${rel} not indexed; problems: ${JSON.stringify(engine.problems)}`);
    const a = annotation('mm/good.c');
    assert.deepStrictEqual(a.notes, []);
    const fn = fnIn(a, 'good_reader');
    assert.strictEqual(fn.notes, undefined);
    assert.strictEqual(modeAfter('mm/good.c', fn, 'mmap_read_lock'), 'read');
    assert.strictEqual(modeAfter('mm/good.c', fn, 'walk_vmas'), 'read');
    assert.strictEqual(modeAfter('mm/good.c', fn, 'mmap_read_unlock'), 'none');
  });

  it('a binary file (NUL bytes) is skipped with a note that says binary', () => {
    const a = annotation('mm/blob.c');
    assert.ok(a.notes.some((n) => /binary/i.test(n)), JSON.stringify(a.notes));
    assert.deepStrictEqual(a.functions, []);
    assert.doesNotThrow(() => engine.check(['mm/blob.c']));
  });

  it('invalid UTF-8 in a comment: a note that says UTF-8, and the function is still analysed', () => {
    const a = annotation('mm/latin1.c');
    assert.ok(a.notes.some((n) => /UTF-8/.test(n)), JSON.stringify(a.notes));
    const fn = fnIn(a, 'latin_reader');
    assert.strictEqual(modeAfter('mm/latin1.c', fn, 'mmap_read_lock'), 'read');
    assert.strictEqual(modeAfter('mm/latin1.c', fn, 'walk_vmas'), 'read');
    assert.strictEqual(modeAfter('mm/latin1.c', fn, 'mmap_read_unlock'), 'none');
    // Line numbers are those of the file: the function starts on the line that declares it.
    assert.strictEqual(fn.line, lineOf('mm/latin1.c', 'void latin_reader('));
  });

  it('a 5 MB header opens in reasonable time and its inline function is found', () => {
    const rel = 'include/linux/big_header.h';
    assert.ok(fs.statSync(path.join(tmp, rel)).size >= 5 * MB);
    assert.ok(openMs < 60_000, `opening the tree took ${openMs} ms`);
    const fn = fnIn(annotation(rel), 'big_header_writer');
    assert.strictEqual(fn.line, lineOf(rel, 'static inline void big_header_writer('));
    assert.strictEqual(modeAfter(rel, fn, 'mmap_write_lock'), 'write');
    assert.strictEqual(modeAfter(rel, fn, 'change_vmas'), 'write');
    assert.strictEqual(modeAfter(rel, fn, 'mmap_write_unlock'), 'none');
  });

  it('an unterminated comment: a note, and the function before it is analysed normally', () => {
    const a = annotation('mm/unterminated.c');
    assert.ok(allNotes(a).length > 0, 'expected a note about the unterminated comment');
    const fn = fnIn(a, 'before_comment');
    assert.strictEqual(modeAfter('mm/unterminated.c', fn, 'mmap_read_lock'), 'read');
    assert.strictEqual(modeAfter('mm/unterminated.c', fn, 'mmap_read_unlock'), 'none');
    assert.doesNotThrow(() => engine.check(['mm/unterminated.c']));
  });

  it('10,000 unclosed braces in a function body: no crash, a note', () => {
    const a = annotation('mm/deep_open.c');
    assert.ok(allNotes(a).length > 0, 'expected a note about the unparsable region');
    assert.doesNotThrow(() => engine.check(['mm/deep_open.c']));
  });

  it('10,000 nested blocks: the function is found, noted as partly analysed, and the lock around the nest is tracked', () => {
    const a = annotation('mm/deep_nested.c');
    const fn = fnIn(a, 'deep_nested');
    assert.ok(allNotes(a).length > 0, 'expected a note that the nesting was not analysed in full');
    assert.strictEqual(modeAfter('mm/deep_nested.c', fn, 'mmap_read_lock'), 'read');
    assert.strictEqual(modeAfter('mm/deep_nested.c', fn, 'mmap_read_unlock'), 'none');
    const sim = engine.simulate('deep_nested');
    assert.ok(sim.paths.length >= 1);
    assert.doesNotThrow(() => engine.check(['mm/deep_nested.c']));
  });

  it('half-typed code: no crash; the file is in the index with a note saying what failed', () => {
    const a = annotation('mm/half.c');
    assert.ok(a.notes.some((n) => /parse/.test(n)), JSON.stringify(a.notes));
    assert.doesNotThrow(() => engine.check(['mm/half.c']));
  });

  // The one function of the file is being typed; a partial result keeps it and the lock it has taken so far.
  it('half-typed code: the function being typed is still listed, with read after its mmap_read_lock', () => {
    const a = annotation('mm/half.c');
    const fn = fnIn(a, 'f');
    assert.strictEqual(modeAfter('mm/half.c', fn, 'mmap_read_lock'), 'read');
  });

  it('half-typed code after a finished function: both functions are analysed as far as they go', () => {
    const a = annotation('mm/half_lines.c');
    const done = fnIn(a, 'finished');
    assert.strictEqual(modeAfter('mm/half_lines.c', done, 'change_vmas'), 'write');
    assert.strictEqual(modeAfter('mm/half_lines.c', done, 'mmap_write_unlock'), 'none');
    const typing = fnIn(a, 'being_typed');
    assert.ok(allNotes(a).length > 0, 'expected a note about the unfinished function');
    assert.strictEqual(modeAfter('mm/half_lines.c', typing, 'walk_vmas'), 'read');
  });

  it('check over the whole bad tree does not throw, and its diagnostics are well-formed', () => {
    const diags = engine.check();
    for (const d of diags) {
      assert.ok(engine.files.has(d.file), d.file);
      assert.ok(d.at[0] >= 1 && d.message.length > 0, JSON.stringify(d));
    }
  });

  it('cli check --json on the bad tree: exit 0 or 1 (never 2) and valid JSON', async () => {
    const r = await cli('check', '--root', tmp, '--no-cache', '--quiet', '--json');
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}; stderr: ${r.stderr.slice(0, 2000)}`);
    assert.doesNotMatch(r.stderr, /internal error/);
    const j = JSON.parse(r.stdout);
    assert.ok(Array.isArray(j.diagnostics));
    assert.strictEqual(r.code, j.diagnostics.length ? 1 : 0);
    assert.strictEqual(j.stats.files, inputs().size);
    assert.ok(j.stats.parseFailures >= 1, `parseFailures: ${j.stats.parseFailures}`);
  });

  it('cli check (text) on the bad tree: exit 0 or 1, no internal error', async () => {
    const r = await cli('check', '--root', tmp, '--no-cache', '--quiet');
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}; stderr: ${r.stderr.slice(0, 2000)}`);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  it('cli annotate of every bad file at once, JSON and text: exit 0, every file and its notes shown', async () => {
    const rels = [...inputs().keys()];
    const j = await cli('annotate', ...rels, '--root', tmp, '--no-cache', '--quiet', '--json');
    assert.strictEqual(j.code, 0, `exit ${j.code}; ${j.stderr.slice(0, 1000)}`);
    const parsed = JSON.parse(j.stdout);
    assert.deepStrictEqual(parsed.files.map((f: { file: string }) => f.file), rels);
    for (const f of parsed.files) assert.deepStrictEqual(f.notes, engine.annotate(f.file).notes, f.file);
    const t = await cli('annotate', ...rels, '--root', tmp, '--no-cache', '--quiet');
    assert.strictEqual(t.code, 0, `text: exit ${t.code}; ${t.stderr.slice(0, 1000)}`);
    for (const rel of rels) for (const n of engine.annotate(rel).notes) assert.ok(t.stdout.includes(`note: ${rel}: ${n}`), `${rel}: note not printed: ${n}`);
  });
});
