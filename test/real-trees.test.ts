/**
 * The engine on Debian's real kernel trees (downloaded at test time by
 * scripts/fetch-kernel.sh, cached in the user's cache folder). Code is found
 * by function name and statement text, never by line number.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { LockEngine } from '../server/src/engine/engine';
import { formatState } from '../server/src/engine/lock-state-json';
import { entryChain } from '../server/src/interproc/provenance';
import { fnIn, lineOf } from './helpers/find';
import { kernelTree, REPO } from './helpers/trees';

/** An assertion on mmap_lock inside a body: a call statement whose arguments span no brace (a definition's header would). */
const ASSERT_CALL = /\b(mmap_assert_write_locked|mmap_assert_locked|lockdep_assert_held_write|lockdep_assert_held_read|lockdep_assert_held)\s*\(([^;{}]*mmap_(?:lock|sem)[^;{}]*|[^;&{}]*)\)\s*;/g;

for (const ver of ['6.12', '6.1'] as const) {
  describe(`linux ${ver}`, () => {
    let root: string;
    let engine: LockEngine;
    let cache: string;
    before(async () => {
      root = kernelTree(ver);
      cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-cache-'));
      engine = await LockEngine.open({ root, cacheRoot: cache });
    });
    after(() => fs.rmSync(cache, { recursive: true, force: true }));

    it('exit_mmap: read around unmap_vmas, write at free_pgtables and remove_vma', () => {
      const a = engine.annotate('mm/mmap.c');
      const fn = fnIn(a, 'exit_mmap');
      const at = (needle: string) => {
        const line = lineOf(root, 'mm/mmap.c', fn, needle);
        return { before: formatState(fn.lines.find((l) => l.line === line)!.before), after: formatState(fn.lines.find((l) => l.line === line)!.after) };
      };
      assert.strictEqual(at('unmap_vmas(').before, 'read');
      assert.strictEqual(at('free_pgtables(').before, 'write');
      assert.strictEqual(at('remove_vma(').before, 'write');
    });

    it("remove_vma's entry includes write from exit_mmap", () => {
      const ref = engine.findFunction('remove_vma')!;
      assert.ok(ref, 'remove_vma not found');
      const a = engine.annotate(ref.file);
      const fn = a.functions.find((f) => f.name === 'remove_vma')!;
      assert.ok(fn.entry.mmap_lock.includes('write'), formatState(fn.entry));
      assert.ok(fn.callers.some((c) => c.name === 'exit_mmap' && c.state.mmap_lock.includes('write')), JSON.stringify(fn.callers));
    });

    it('every vm_operations_struct.close implementation enters with the lock held', (t) => {
      const p = engine.program;
      const closes = p.table.all().filter((r) => p.registeredAs.get(r.id)?.some((x) => x.struct === 'vm_operations_struct' && x.member === 'close'));
      assert.ok(closes.length >= 10, `only ${closes.length} close implementations found`);
      const withoutLock = closes.filter((r) => !p.entryModes(r).some((m) => m !== 'none'));
      assert.deepStrictEqual(withoutLock.map((r) => `${r.file}:${r.fn.name}`), []);
      // Where 'none' is also possible, name the path that brings it (for review; see README "What does not work yet").
      for (const r of closes.filter((r) => p.entryModes(r).includes('none'))) {
        const chain = entryChain(p, r, 'none', 6).map((x) => `${x.file}:${x.at[0]} ${x.message}`).join(' <- ');
        t.diagnostic(`close ${r.fn.name} (${r.file}) may also enter with none: ${chain}`);
      }
      t.diagnostic(`${closes.length} close implementations; ${closes.filter((r) => p.entryModes(r).includes('none')).length} may also enter with none`);
      // 6.12: the fault-retry and GUP protocols no longer bring `none` into munmap/mremap paths (uprobe_mmap -> GUP).
      // 6.1's tegra drm_gem_vm_close() came with none from tegra_drm_mmap(), an mmap handler whose
      // file_operations table is in a file the prefilter skips; it is now entered as one (write).
      assert.ok(closes.filter((r) => p.entryModes(r).includes('none')).length <= 1, 'close callbacks entered with none again (flag protocols, or mmap handlers taken for entry points)');
    });

    it('every prefiltered file analyses without a crash or a timeout', () => {
      const bad = [...engine.files.values()].filter((f) => f.notes.some((n) => /internal error|parse cut|could not be analysed/.test(n)));
      assert.deepStrictEqual(bad.map((f) => `${f.file}: ${f.notes.join('; ')}`), []);
      assert.ok(engine.files.size > 300, `only ${engine.files.size} files indexed`);
      for (const ref of engine.program.table.all()) engine.program.flow(ref);
    });

    it('with mmap_lock assertions blanked, the asserted mode is still inferred (regression floor; goal 90%)', async (t) => {
      const sites: Array<{ file: string; line: number; write: boolean }> = [];
      const texts = new Map<string, string>();
      for (const rel of engine.files.keys()) {
        const text = fs.readFileSync(path.join(root, rel), 'utf8');
        let changed = false;
        const blanked = text.replace(ASSERT_CALL, (m, name: string, arg: string, offset: number) => {
          if (name.startsWith('lockdep') && !/mm\s*\)?\s*(->|\.)mmap_(lock|sem)/.test(arg)) return m;
          const line = text.slice(0, offset).split('\n').length;
          sites.push({ file: rel, line, write: /write/.test(name) });
          changed = true;
          // The call goes, its `;` stays: an empty statement keeps the site's own state (the last
          // statement of an `else` would otherwise be read off the function's exit).
          return m.replace(/[^\n]/g, ' ').slice(0, -1) + ';';
        });
        if (changed) texts.set(rel, blanked);
      }
      await engine.replaceTexts(texts);
      let ok = 0;
      let counted = 0;
      for (const s of sites) {
        const a = engine.annotate(s.file);
        const fn = a.functions.find((f) => f.line <= s.line && s.line <= f.endLine);
        if (!fn) continue;
        counted++;
        // The state where the assertion stood: the next statement's state before it, or the exit state when it was the last.
        const next = fn.lines.find((l) => l.line >= s.line);
        const state = next ? next.before : fn.exit;
        const modes = state.mmap_lock ?? Object.values(state)[0] ?? [];
        const good = modes.length > 0 && (s.write ? modes.every((m) => m === 'write') : modes.every((m) => m !== 'none'));
        if (good) ok++;
      }
      const pct = counted ? (100 * ok) / counted : 0;
      t.diagnostic(`asserted mode inferred at ${ok}/${counted} assertion sites (${pct.toFixed(1)}%)`);
      fs.mkdirSync(path.join(REPO, 'test-artifacts'), { recursive: true });
      fs.writeFileSync(path.join(REPO, 'test-artifacts', `assert-inference-${ver}.txt`), `${ok}/${counted} ${pct.toFixed(1)}%\n`);
      assert.ok(counted >= 20, `only ${counted} assertion sites found`);
      assert.ok(pct >= ASSERT_FLOOR[ver], `asserted mode inferred at only ${pct.toFixed(1)}% of sites (floor ${ASSERT_FLOOR[ver]}%)`);
    });
  });
}

/**
 * The measured figures less a margin that no lost site fits in, to raise as the engine improves.
 * 6.12: 42/44, 95.5% (the goal, 90%, is met; 41/44 after session 11, when __get_user_pages_locked()'s
 * "(*locked == 1) means that the mmap_lock has already been acquired" stopped being read as a
 * requirement: its `else mmap_assert_locked()` is now reached with what its callers bring, and
 * callers that pass *locked == 0 without the lock reach it too once their contexts merge; session
 * 12 won find_vma() back: the bpf task_vma iterator's `info->task`, and mempolicy's walk ops chosen
 * through a local, which no longer reach walk_page_mapping()'s unlocked walk);
 * 6.1: 28/31, 90.3% (the goal is met since session 12, when the bpf task_vma iterator's
 * `info->task` was read as saying whether it holds the lock, so find_vma() is no longer entered
 * without it; two of the three misses are a real 6.1 problem, unapply_uprobe() reaching
 * collapse_pte_mapped_thp() with only the read lock).
 */
const ASSERT_FLOOR: Record<string, number> = { '6.12': 95, '6.1': 90 };

describe('linux 6.12 mm/ baseline', () => {
  it('the diagnostics on mm/ are exactly the reviewed baseline (npm run baseline after a deliberate change)', async (t) => {
    const { BASELINE, currentKeys, readBaseline } = await import('../scripts/baseline.js');
    const baseline = readBaseline(BASELINE);
    const now = await currentKeys(kernelTree('6.12'));
    const added = now.filter((k) => !baseline.has(k));
    const gone = [...baseline.keys()].filter((k) => !now.includes(k));
    const verdicts = [...baseline.values()];
    t.diagnostic(`${now.length} diagnostics; ${verdicts.filter((v) => v !== 'unreviewed').length} with a verdict (${verdicts.filter((v) => v.startsWith('false positive')).length} false positives, ${verdicts.filter((v) => v.startsWith('real')).length} real, ${verdicts.filter((v) => v.startsWith('cause')).length} causes to check), ${verdicts.filter((v) => v === 'unreviewed').length} unreviewed`);
    assert.deepStrictEqual({ added, gone }, { added: [], gone: [] });
  });
});
