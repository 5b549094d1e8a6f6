/**
 * The command line contract, in-process: exit codes (0 clean, 1 problems,
 * 2 usage or I/O error), and the shapes of the text, JSON and SARIF output
 * that scripts and CI rely on. Line numbers are found from the fixture text,
 * never written here.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, it } from 'node:test';
import { main } from '../server/src/cli/main';
import { FIXTURE_TREE } from './helpers/trees';

interface Run {
  code: number;
  out: string[];
  err: string[];
  /** All of stdout as one string. */
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process; always without the user's parse cache and without progress output. */
async function run(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out, err, stdout: out.join('\n'), stderr: err.join('\n') };
}

const ROOT = ['--root', FIXTURE_TREE, '--no-cache', '--quiet'];

const DIAG_KEYS = ['code', 'column', 'endColumn', 'endLine', 'file', 'function', 'line', 'message', 'related', 'severity'];
const RELATED_KEYS = ['file', 'line', 'message'];

function parseJson(r: Run, what: string): any {
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    assert.fail(`${what}: stdout is not JSON (${(e as Error).message}); stderr: ${r.stderr.slice(0, 2000)}\nstdout: ${r.stdout.slice(0, 500)}`);
  }
}

/** 1-based line numbers of the fixture file's lines that contain `needle`, within [from, to]. */
function fixtureLines(file: string, needle: string, from = 1, to = Infinity): number[] {
  const lines = fs.readFileSync(path.join(FIXTURE_TREE, file), 'utf8').split('\n');
  const hits: number[] = [];
  lines.forEach((l, i) => {
    if (i + 1 >= from && i + 1 <= to && l.includes(needle)) hits.push(i + 1);
  });
  return hits;
}

describe('cli: check', () => {
  it('--json: exit 1, the documented diagnostic shape, stats, and the LL001 in bad_close', async () => {
    const r = await run('check', ...ROOT, '--json');
    assert.strictEqual(r.code, 1, r.stderr);
    const j = parseJson(r, 'check --json');
    assert.ok(Array.isArray(j.diagnostics), 'diagnostics is an array');
    assert.ok(j.diagnostics.length > 0, 'the fixture tree has diagnostics');
    assert.ok(j.stats && typeof j.stats === 'object' && !Array.isArray(j.stats), 'stats is an object');
    assert.strictEqual(j.stats.diagnostics, j.diagnostics.length);
    for (const d of j.diagnostics) {
      assert.deepStrictEqual(Object.keys(d).sort(), DIAG_KEYS, JSON.stringify(d));
      assert.match(d.code, /^LL00\d$/);
      assert.match(d.severity, /^(error|warning|info)$/);
      for (const k of ['line', 'column', 'endLine', 'endColumn']) assert.ok(Number.isInteger(d[k]) && d[k] >= 1, `${k} of ${JSON.stringify(d)}`);
      assert.ok(Array.isArray(d.related), 'related is an array');
      for (const rel of d.related) assert.deepStrictEqual(Object.keys(rel).sort(), RELATED_KEYS, JSON.stringify(rel));
    }
    const ll001 = j.diagnostics.find((d: any) => d.code === 'LL001' && d.file === 'mm/callbacks.c' && d.function === 'bad_close');
    assert.ok(ll001, `no LL001 in bad_close: ${JSON.stringify(j.diagnostics.map((d: any) => `${d.file}:${d.line} ${d.code} ${d.function}`))}`);
    // The fixture marks the offending line with `expect: LL001`; the first such line after bad_close's definition.
    const start = fixtureLines('mm/callbacks.c', 'static void bad_close(')[0];
    const marked = fixtureLines('mm/callbacks.c', 'expect: LL001', start)[0];
    assert.strictEqual(ll001.line, marked, `LL001 at line ${ll001.line}, marked at ${marked}`);
    assert.ok(ll001.related.length > 0, 'the LL001 names the path to it');
  });

  it('text: gcc-style head lines, note lines after them, a summary on stderr, exit 1', async () => {
    const r = await run('check', ...ROOT);
    assert.strictEqual(r.code, 1, r.stderr);
    assert.ok(r.out.length > 0);
    for (const chunk of r.out) {
      const [head, ...notes] = chunk.split('\n');
      assert.match(head, /^[^:]+:\d+:\d+: (error|warning|info): .* \[LL00\d\]$/);
      for (const n of notes) assert.match(n, /^[^:]+:\d+:\d+: note: /);
    }
    assert.ok(r.out.some((c) => /^mm\/callbacks\.c:\d+:\d+: error: .*bad_close.*\[LL001\]$/.test(c.split('\n')[0])), r.stdout);
    assert.match(r.stderr, /\d+ problem\(s\) in \d+ file\(s\)/);
  });

  it('--sarif: SARIF 2.1.0 from kernel-lock-lens, one result per diagnostic with ruleId and locations', async () => {
    const r = await run('check', ...ROOT, '--sarif');
    assert.strictEqual(r.code, 1, r.stderr);
    const s = parseJson(r, 'check --sarif');
    assert.strictEqual(s.version, '2.1.0');
    assert.strictEqual(s.runs[0].tool.driver.name, 'kernel-lock-lens');
    const results = s.runs[0].results;
    assert.ok(Array.isArray(results) && results.length > 0);
    const json = parseJson(await run('check', ...ROOT, '--json'), 'check --json');
    assert.strictEqual(results.length, json.diagnostics.length);
    for (const res of results) {
      assert.match(res.ruleId, /^LL00\d$/);
      assert.ok(Array.isArray(res.locations) && res.locations.length > 0, JSON.stringify(res));
      const p = res.locations[0].physicalLocation;
      assert.ok(typeof p.artifactLocation.uri === 'string' && p.artifactLocation.uri.length > 0);
      assert.ok(Number.isInteger(p.region.startLine) && p.region.startLine >= 1);
    }
    assert.ok(results.some((x: any) => x.ruleId === 'LL001' && x.locations[0].physicalLocation.artifactLocation.uri === 'mm/callbacks.c'));
  });

  for (const file of ['mm/conditional.c', 'mm/callbacks.c']) {
    it(`check ${file}: only that file's diagnostics, and the exit code says whether there were any`, async () => {
      const r = await run('check', file, ...ROOT, '--json');
      const j = parseJson(r, `check ${file}`);
      for (const d of j.diagnostics) assert.strictEqual(d.file, file, JSON.stringify(d));
      assert.strictEqual(r.code, j.diagnostics.length ? 1 : 0, `exit ${r.code} with ${j.diagnostics.length} diagnostic(s)`);
      const t = await run('check', file, ...ROOT);
      assert.strictEqual(t.code, t.out.length ? 1 : 0, `text: exit ${t.code} with ${t.out.length} diagnostic(s)`);
      for (const chunk of t.out) assert.ok(chunk.startsWith(`${file}:`), chunk);
      assert.strictEqual(t.out.length, j.diagnostics.length);
    });
  }

  // A mistyped PATH must not read as "clean": exit 0 would let CI pass without checking anything.
  it('check of a PATH that does not exist under --root: exit 2 and a message naming it', async () => {
    const r = await run('check', 'mm/no-such-file.c', ...ROOT, '--json');
    assert.strictEqual(r.code, 2, `exit ${r.code}; stdout ${r.stdout.slice(0, 200)}; stderr ${r.stderr.slice(0, 300)}`);
    assert.match(r.stderr, /no-such-file\.c/);
  });

  it('check mm/callbacks.c finds the LL001 (a path restriction does not lose diagnostics)', async () => {
    const r = await run('check', 'mm/callbacks.c', ...ROOT, '--json');
    const j = parseJson(r, 'check mm/callbacks.c');
    assert.ok(j.diagnostics.some((d: any) => d.code === 'LL001' && d.function === 'bad_close'), JSON.stringify(j.diagnostics));
  });
});

describe('cli: annotate', () => {
  const file = 'mm/conditional.c';

  it('--json: files[].functions[].lines[] shape; touch_vmas in killable_direct is under write', async () => {
    const r = await run('annotate', file, ...ROOT, '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = parseJson(r, 'annotate --json');
    assert.ok(Array.isArray(j.files) && j.files.length === 1, JSON.stringify(Object.keys(j)));
    const f = j.files[0];
    assert.strictEqual(f.file, file);
    assert.ok(Array.isArray(f.functions) && f.functions.length > 0);
    for (const fn of f.functions) {
      for (const k of ['name', 'line', 'endLine', 'entry', 'exit', 'callers', 'lines']) assert.ok(k in fn, `${fn.name} has no ${k}`);
      assert.ok(Array.isArray(fn.callers) && Array.isArray(fn.lines));
      assert.ok(fn.line <= fn.endLine);
      for (const l of fn.lines) {
        assert.deepStrictEqual(Object.keys(l).sort(), ['after', 'before', 'line'], JSON.stringify(l));
        assert.ok(l.line >= fn.line && l.line <= fn.endLine, `${fn.name}: line ${l.line} outside ${fn.line}-${fn.endLine}`);
      }
    }
    const fn = f.functions.find((x: any) => x.name === 'killable_direct');
    assert.ok(fn, `killable_direct not in ${f.functions.map((x: any) => x.name).join(', ')}`);
    const touch = fixtureLines(file, 'touch_vmas', fn.line, fn.endLine);
    assert.strictEqual(touch.length, 1, `touch_vmas lines in killable_direct: ${touch}`);
    const l = fn.lines.find((x: any) => x.line === touch[0]);
    assert.ok(l, `no statement on line ${touch[0]}`);
    assert.deepStrictEqual(l.after, { mmap_lock: ['write'] });
  });

  it('text: every source line, with the mode beside it', async () => {
    const r = await run('annotate', file, ...ROOT);
    assert.strictEqual(r.code, 0, r.stderr);
    const src = fs.readFileSync(path.join(FIXTURE_TREE, file), 'utf8').split('\n');
    const start = fixtureLines(file, 'int killable_direct(')[0];
    const touch = fixtureLines(file, 'touch_vmas', start)[0];
    const text = r.out.join('\n').split('\n');
    const row = text.find((x) => x.endsWith(`| ${src[touch - 1]}`));
    assert.ok(row, `no output line shows ${JSON.stringify(src[touch - 1])}`);
    assert.match(row!, /^write\s+\| /);
    assert.ok(text.some((x) => /\/\/ killable_direct: entry none/.test(x)), 'a head line for killable_direct');
    for (const s of src.filter((x) => x.trim())) assert.ok(text.some((x) => x.endsWith(`| ${s}`)), `source line missing: ${s}`);
  });

  it('a file that is not under --root: exit 2 and a message naming it', async () => {
    const r = await run('annotate', 'mm/no-such-file.c', ...ROOT);
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /no-such-file\.c/);
  });
});

describe('cli: simulate', () => {
  it('--json: at least two paths, each step with line, text, event, before, after', async () => {
    const r = await run('simulate', 'killable_direct', ...ROOT, '--json');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = parseJson(r, 'simulate --json');
    assert.strictEqual(j.function, 'killable_direct');
    assert.strictEqual(j.file, 'mm/conditional.c');
    assert.strictEqual(j.entry, 'none');
    assert.ok(Array.isArray(j.paths) && j.paths.length >= 2, `paths: ${j.paths?.length}`);
    for (const p of j.paths) {
      assert.ok(Array.isArray(p.steps) && p.steps.length > 0);
      for (const s of p.steps) {
        for (const k of ['line', 'text', 'event', 'before', 'after']) assert.ok(k in s, `step without ${k}: ${JSON.stringify(s)}`);
        assert.deepStrictEqual(Object.keys(s).filter((k) => !['line', 'text', 'event', 'before', 'after', 'callee'].includes(k)), []);
        assert.ok(Number.isInteger(s.line) && typeof s.text === 'string' && typeof s.event === 'string');
      }
    }
    const touch = fixtureLines('mm/conditional.c', 'touch_vmas', j.line)[0];
    const step = j.paths.flatMap((p: any) => p.steps).find((s: any) => s.line === touch);
    assert.ok(step, 'some path runs touch_vmas');
    assert.deepStrictEqual(step.before, { mmap_lock: ['write'] });
  });

  it('--entry write: the simulation starts from write', async () => {
    const r = await run('simulate', 'killable_direct', ...ROOT, '--json', '--entry', 'write');
    assert.strictEqual(r.code, 0, r.stderr);
    const j = parseJson(r, 'simulate --entry write');
    assert.strictEqual(j.entry, 'write');
    for (const p of j.paths) assert.deepStrictEqual(p.steps[0].before, { mmap_lock: ['write'] });
  });

  it('text: names each path', async () => {
    const r = await run('simulate', 'killable_direct', ...ROOT);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.match(r.stdout, /path 1/);
    assert.match(r.stdout, /path 2/);
    assert.match(r.stdout, /killable_direct \(mm\/conditional\.c:\d+\)/);
  });
});

describe('cli: usage errors exit 2', () => {
  const missing = path.join(os.tmpdir(), `kll-no-such-root-${process.pid}-${Date.now()}`);

  const cases: Array<[string, string[], RegExp]> = [
    ['no command', [], /Usage/],
    ['no command, options only', ['--no-cache'], /Usage/],
    ['unknown command', ['frobnicate', ...ROOT], /unknown command frobnicate/],
    ['unknown option', ['check', ...ROOT, '--bogus-option'], /unknown option --bogus-option/],
    ['option without its value', ['check', '--no-cache', '--root'], /--root needs a value/],
    ['missing --root', ['check', '--no-cache'], /--root/],
    ['a --root that does not exist', ['check', '--root', missing, '--no-cache'], /does not exist/],
    ['a --root that is a file', ['check', '--root', path.join(FIXTURE_TREE, 'mm', 'conditional.c'), '--no-cache'], /not a directory/],
    ['annotate without a file', ['annotate', ...ROOT], /annotate needs/],
    ['simulate without a function', ['simulate', ...ROOT], /simulate needs/],
    ['simulate of a function that does not exist', ['simulate', 'no_such_function_anywhere', ...ROOT], /no function no_such_function_anywhere/],
    ['--entry bogus', ['simulate', 'killable_direct', ...ROOT, '--entry', 'bogus'], /--entry must be one of/],
    ['--max-paths 0', ['simulate', 'killable_direct', ...ROOT, '--max-paths', '0'], /--max-paths/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await run(...argv);
      assert.strictEqual(r.code, 2, `${argv.join(' ')}: exit ${r.code}; stdout ${r.stdout.slice(0, 300)}; stderr ${r.stderr.slice(0, 300)}`);
      assert.match(r.stdout + '\n' + r.stderr, message);
      assert.doesNotMatch(r.stderr, /internal error/);
    });
  }

  it('--help and -h exit 0 and print the usage', async () => {
    for (const argv of [['--help'], ['-h'], ['check', '--help']]) {
      const r = await run(...argv);
      assert.strictEqual(r.code, 0, argv.join(' '));
      assert.match(r.stdout, /Usage/);
      assert.strictEqual(r.err.length, 0);
    }
  });

  it('the missing root was never created', () => {
    assert.ok(!fs.existsSync(missing));
  });
});
