/**
 * The result cache of `check`: a second run over an unchanged tree answers from it without
 * analysing, an edit or other options miss it, a damaged cache file is survived, `--no-cache`
 * neither reads nor writes it, and an engine answered from it still analyses on first need.
 * Each test works on its own copy of the fixture tree and its own cache folder.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, describe, it } from 'node:test';
import { main } from '../server/src/cli/main';
import { LockEngine } from '../server/src/engine/engine';
import { MAX_RESULT_FILES, ResultCache, stableText } from '../server/src/engine/result-cache';
import type { Diagnostic } from '../server/src/rules/diagnostic';
import { IR_VERSION } from '../server/src/index/ir-cache';
import { FIXTURE_TREE } from './helpers/trees';

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

/** A fresh copy of the fixture tree and an empty cache folder. */
function sandbox(): { root: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-results-'));
  temps.push(dir);
  const root = path.join(dir, 'tree');
  fs.cpSync(FIXTURE_TREE, root, { recursive: true });
  const cache = path.join(dir, 'cache');
  return { root, cache };
}

const INCLUDE = ['include/linux/mm_fixture.h'];

async function open(root: string, cache: string, extra: Record<string, unknown> = {}): Promise<LockEngine> {
  return LockEngine.open({ root, cacheRoot: cache, include: INCLUDE, ...extra });
}

function resultFiles(cache: string): string[] {
  const dir = path.join(cache, 'results');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)) : [];
}

/** Diagnostics as plain JSON (what is printed), in order. */
const plain = (ds: Diagnostic[]) => JSON.parse(JSON.stringify(ds)) as unknown;

/** A function with an acquire while the lock is already held: LL002 whatever else changes. */
const DOUBLE_LOCK = `
void kll_result_cache_double(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	mmap_read_lock(mm);
	mmap_read_unlock(mm);
	mmap_read_unlock(mm);
}
`;

describe('result cache', () => {
  it('a second run over the unchanged tree answers from the cache, without analysing, with the same diagnostics', async () => {
    const { root, cache } = sandbox();
    const first = await open(root, cache);
    const d1 = first.check();
    assert.strictEqual(first.resultCache, 'miss');
    assert.strictEqual(first.analyses, 1);
    assert.ok(d1.length > 0, 'the fixture tree has diagnostics');
    assert.strictEqual(resultFiles(cache).length, 1, 'one result stored');

    const second = await open(root, cache);
    const d2 = second.check();
    assert.strictEqual(second.resultCache, 'hit');
    assert.strictEqual(second.analyses, 0, 'a hit runs no analysis');
    assert.strictEqual(second.indexStats!.parsed, 0, 'nothing parsed on a warm run');
    assert.deepStrictEqual(plain(d2), plain(d1));
    assert.deepStrictEqual(second.figures(), first.figures(), 'the run figures come back with the result');

    // Anything else asked of it analyses then, and answers as an engine that analysed at once.
    const a = second.annotate('mm/rules.c');
    assert.strictEqual(second.analyses, 1);
    assert.deepStrictEqual(a, first.annotate('mm/rules.c'));
    assert.deepStrictEqual(plain(second.check()), plain(d1));
  });

  it('a scope is its own entry: check of one directory is cached apart from the whole tree', async () => {
    const { root, cache } = sandbox();
    const whole = (await open(root, cache)).check();
    const e = await open(root, cache);
    const mm = e.check(['mm']);
    assert.strictEqual(e.resultCache, 'miss');
    const again = await open(root, cache);
    assert.deepStrictEqual(plain(again.check(['mm/'])), plain(mm));
    assert.strictEqual(again.resultCache, 'hit');
    assert.ok(mm.length < whole.length || whole.every((d) => d.file.startsWith('mm/')), 'the scope limited the result');
    assert.ok(mm.every((d) => d.file.startsWith('mm/')));
  });

  it('an edit to one file misses, and the new diagnostics reflect the edit', async () => {
    const { root, cache } = sandbox();
    const before = (await open(root, cache)).check();
    assert.ok(!before.some((d) => d.function === 'kll_result_cache_double'));
    fs.appendFileSync(path.join(root, 'mm', 'rules.c'), DOUBLE_LOCK);
    const e = await open(root, cache);
    const d = e.check();
    assert.strictEqual(e.resultCache, 'miss');
    assert.strictEqual(e.indexStats!.parsed, 1, 'only the edited file is parsed again');
    assert.ok(d.some((x) => x.function === 'kll_result_cache_double' && x.code === 'LL002'), 'the edit shows');
    const fresh = await LockEngine.open({ root, noCache: true, include: INCLUDE });
    assert.deepStrictEqual(plain(d), plain(fresh.check()), 'the same as a run without caches');
    // The edited tree's result is stored too; the old one stays for a revert.
    const again = await open(root, cache);
    assert.deepStrictEqual(plain(again.check()), plain(d));
    assert.strictEqual(again.resultCache, 'hit');
    assert.strictEqual(resultFiles(cache).length, 2);
  });

  it('other options miss: assumeNoEffect, prefer, extra primitives', async () => {
    const { root, cache } = sandbox();
    (await open(root, cache)).check();
    for (const extra of [{ assumeNoEffect: ['fixture_teardown'] }, { prefer: ['mm/nommu.c'] }, { extraPrimitives: new Map([['my_lock', { kind: 'acquire', mode: 'write' }]]) }]) {
      const e = await open(root, cache, extra);
      e.check();
      assert.strictEqual(e.resultCache, 'miss', JSON.stringify(extra));
      const again = await open(root, cache, extra);
      again.check();
      assert.strictEqual(again.resultCache, 'hit', `${JSON.stringify(extra)} again`);
    }
    assert.strictEqual(resultFiles(cache).length, 4);
  });

  it('a truncated, garbled or foreign result file is ignored and replaced', async () => {
    const { root, cache } = sandbox();
    const good = (await open(root, cache)).check();
    const [file] = resultFiles(cache);
    const text = fs.readFileSync(file, 'utf8');
    const stored = JSON.parse(text);
    const damaged = [
      text.slice(0, Math.floor(text.length / 2)),
      '',
      '\u0000\u0001garbage',
      'null',
      JSON.stringify({ ...stored, key: 'another' }),
      JSON.stringify({ ...stored, diagnostics: [{ file: 'mm/rules.c' }] }),
      JSON.stringify({ ...stored, figures: undefined }),
    ];
    for (const bad of damaged) {
      fs.writeFileSync(file, bad);
      const e = await open(root, cache);
      assert.deepStrictEqual(plain(e.check()), plain(good), `damaged: ${bad.slice(0, 40)}`);
      assert.strictEqual(e.resultCache, 'miss', `damaged: ${bad.slice(0, 40)}`);
      assert.strictEqual(e.analyses, 1);
      // Rewritten whole by that run: the next one hits.
      const next = await open(root, cache);
      next.check();
      assert.strictEqual(next.resultCache, 'hit', `after damage: ${bad.slice(0, 40)}`);
    }
    assert.ok(!fs.readdirSync(path.join(cache, 'results')).some((f) => f.endsWith('.tmp')), 'no temporary files left');
  });

  it('a cached parse that is damaged by the time it is needed is parsed again (after a hit)', async () => {
    const { root, cache } = sandbox();
    const first = await open(root, cache);
    const d1 = first.check();
    const e = await open(root, cache);
    assert.deepStrictEqual(plain(e.check()), plain(d1));
    assert.strictEqual(e.resultCache, 'hit');
    // The parses were left in the cache by the hit; damage them all before anything needs them.
    const irDir = path.join(cache, IR_VERSION, 'ir');
    for (const f of fs.readdirSync(irDir)) fs.writeFileSync(path.join(irDir, f), '{"trunc');
    assert.deepStrictEqual(e.annotate('mm/teardown.c'), first.annotate('mm/teardown.c'));
    assert.strictEqual(e.files.size, first.files.size);
  });

  it('an engine changed after it was opened neither reads nor writes results', async () => {
    const { root, cache } = sandbox();
    (await open(root, cache)).check();
    const e = await open(root, cache);
    await e.updateFile('mm/rules.c', fs.readFileSync(path.join(root, 'mm', 'rules.c'), 'utf8') + DOUBLE_LOCK);
    const d = e.check();
    assert.strictEqual(e.resultCache, 'off');
    assert.ok(d.some((x) => x.function === 'kll_result_cache_double'), 'the edit is seen, not the stored result');
    assert.strictEqual(resultFiles(cache).length, 1);
  });

  it('the folder keeps only the newest results, reading one keeps it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-results-'));
    temps.push(dir);
    const rc = new ResultCache(dir);
    const figures = { files: 1, functions: 1, analysed: 1, parseFailures: 0 };
    const keys = Array.from({ length: MAX_RESULT_FILES + 5 }, (_, i) => ResultCache.key([String(i)]));
    const past = Date.now() / 1000 - 1000;
    keys.forEach((k, i) => {
      rc.store(k, { figures, diagnostics: [] });
      // Older files first, whatever the file system's time resolution.
      const f = resultFiles(dir).find((p) => path.basename(p).startsWith(k.slice(0, 40)))!;
      fs.utimesSync(f, past + i, past + i);
    });
    assert.strictEqual(resultFiles(dir).length, MAX_RESULT_FILES);
    assert.strictEqual(rc.load(keys[0]), undefined, 'the oldest went');
    assert.ok(rc.load(keys[keys.length - 1]), 'the newest stayed');
    // A read makes the oldest entry recent: the next trim drops the one after it instead.
    const oldest = keys.length - MAX_RESULT_FILES;
    assert.ok(rc.load(keys[oldest]));
    rc.store(ResultCache.key(['one more']), { figures, diagnostics: [] });
    assert.strictEqual(resultFiles(dir).length, MAX_RESULT_FILES);
    assert.ok(rc.load(keys[oldest]), 'a recently read entry is kept');
    assert.strictEqual(rc.load(keys[oldest + 1]), undefined, 'the least recently used went');
    assert.ok(rc.load(keys[oldest + 2]));
  });

  it('option text is stable: key order, Map order and undefined do not matter; functions make no key', () => {
    assert.strictEqual(stableText({ a: 1, b: [1, 'x'], c: undefined }), stableText({ b: [1, 'x'], a: 1 }));
    assert.strictEqual(stableText(new Map([['x', 1], ['y', 2]])), stableText(new Map([['y', 2], ['x', 1]])));
    assert.notStrictEqual(stableText({ a: [1, 2] }), stableText({ a: [2, 1] }));
    assert.strictEqual(stableText({ filter: () => true }), undefined);
  });
});

describe('result cache through the CLI', () => {
  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
    return { code, json: JSON.parse(out.join('\n')), stderr: err.join('\n') };
  }
  const withoutTimes = (j: { stats: Record<string, unknown> }) => {
    const { ms: _ms, analyseMs: _a, parsed: _p, fromCache: _f, resultCache: _r, ...stats } = j.stats;
    return { ...j, stats };
  };

  it('the second check prints the same from the cache; --no-cache neither reads nor writes it', async () => {
    const { root, cache } = sandbox();
    const args = ['check', '--root', root, '--cache-dir', cache, '--json', '--quiet'];
    const cold = await run(...args);
    assert.strictEqual(cold.code, 1, cold.stderr);
    assert.strictEqual(cold.json.stats.resultCache, 'miss');
    const warm = await run(...args);
    assert.strictEqual(warm.code, 1);
    assert.strictEqual(warm.json.stats.resultCache, 'hit');
    assert.deepStrictEqual(withoutTimes(warm.json), withoutTimes(cold.json));

    const stored = resultFiles(cache);
    const mtimes = stored.map((f) => fs.statSync(f).mtimeMs);
    const bypass = await run(...args, '--no-cache');
    assert.strictEqual(bypass.json.stats.resultCache, 'off');
    assert.deepStrictEqual(withoutTimes(bypass.json), withoutTimes(cold.json));
    assert.deepStrictEqual(resultFiles(cache), stored, 'nothing written');
    assert.deepStrictEqual(stored.map((f) => fs.statSync(f).mtimeMs), mtimes, 'nothing read (a read touches the file)');

    // --no-cache on a tree that was never checked leaves no cache folder at all.
    const other = sandbox();
    await run('check', '--root', other.root, '--cache-dir', other.cache, '--json', '--quiet', '--no-cache');
    assert.ok(!fs.existsSync(other.cache), 'no cache folder made');
  });
});
