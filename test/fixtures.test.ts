/**
 * The fixtures are the specification: every `mode:`, `entry:` and `expect:`
 * comment in test/fixtures/tree must hold, and no diagnostic may appear
 * where none is expected.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { before, describe, it } from 'node:test';
import { LockEngine } from '../server/src/engine/engine';
import { formatState } from '../server/src/engine/lock-state-json';
import { type Expectation, readExpectations } from './helpers/expectations';
import { FIXTURE_TREE } from './helpers/trees';

/** Every fixture with expectations beside its code (mm/nommu.c is only the other configuration's twin). */
const files = fs
  .readdirSync(path.join(FIXTURE_TREE, 'mm'))
  .filter((f) => f.endsWith('.c') && f !== 'nommu.c')
  .sort()
  .map((f) => `mm/${f}`);

describe('fixture expectations', () => {
  let engine: LockEngine;
  before(async () => {
    engine = await LockEngine.open({ root: FIXTURE_TREE, noCache: true, include: ['include/linux/mm_fixture.h'] });
  });

  for (const file of files) {
    it(`${file}: modes, entries and diagnostics are as written beside the code`, () => {
      const exps = readExpectations(path.join(FIXTURE_TREE, file), file);
      assert.ok(exps.length > 0, `${file} has no expectations`);
      const ann = engine.annotate(file);
      const diags = engine.check([file]).filter((d) => d.file === file);
      const problems: string[] = [];
      for (const e of exps) {
        const fn = ann.functions.find((f) => f.line <= e.line && e.line <= f.endLine);
        if (e.kind === 'expect') {
          if (!diags.some((d) => d.at[0] === e.line && d.code === e.value)) problems.push(`${file}:${e.line}: expected ${e.value}, got ${diags.filter((d) => d.at[0] === e.line).map((d) => d.code).join(',') || 'nothing'}: ${e.text}`);
          continue;
        }
        if (!fn) {
          problems.push(`${file}:${e.line}: not inside a function: ${e.text}`);
          continue;
        }
        if (e.kind === 'entry') {
          const got = formatState(fn.entry);
          if (got !== e.value) problems.push(`${file}:${e.line}: ${fn.name} entry ${got}, expected ${e.value}`);
          continue;
        }
        const l = fn.lines.find((x) => x.line === e.line);
        const got = l ? formatState(e.kind === 'mode' ? l.after : l.before) : 'no statement';
        if (got !== e.value) problems.push(`${file}:${e.line}: ${e.kind} ${got}, expected ${e.value}: ${e.text}`);
      }
      const expected = new Set(exps.filter((e: Expectation) => e.kind === 'expect').map((e) => `${e.line}:${e.value}`));
      for (const d of diags) {
        if (!expected.has(`${d.at[0]}:${d.code}`)) problems.push(`${file}:${d.at[0]}: unexpected ${d.code}: ${d.message}`);
      }
      assert.deepStrictEqual(problems, []);
    });
  }

  it('every diagnostic names the path that leads to it', () => {
    const diags = engine.check();
    assert.ok(diags.length >= 9, `expected the fixture diagnostics, got ${diags.length}`);
    for (const d of diags) assert.ok(d.related.length > 0, `${d.file}:${d.at[0]} ${d.code} has no related locations`);
  });

  it('the close callbacks enter with write from the exit path, through ->close', () => {
    const ann = engine.annotate('mm/callbacks.c');
    const good = ann.functions.find((f) => f.name === 'good_close')!;
    assert.deepStrictEqual(good.entry, { mmap_lock: ['write'] });
    assert.ok(good.callers.some((c) => c.name === 'fixture_vma_close' && c.via === 'vm_operations_struct.close'), JSON.stringify(good.callers));
    const lens = engine.check(['mm/callbacks.c']).find((d) => d.function === 'bad_close')!;
    assert.match(lens.message, /vm_operations_struct\.close callback/);
    assert.match(lens.message, /fixture_exit_mmap/);
  });

  it('a name defined in mm/nommu.c and elsewhere resolves to the MMU definition', () => {
    const ann = engine.annotate('mm/teardown.c');
    const t = ann.functions.find((f) => f.name === 'fixture_teardown')!;
    assert.ok(t.otherDefinitions?.some((d) => d.startsWith('mm/nommu.c:')), JSON.stringify(t.otherDefinitions));
    const ref = engine.program.table.resolve('fixture_teardown', 'mm/teardown.c')!;
    assert.strictEqual(ref.file, 'mm/teardown.c');
    const fromOther = engine.program.table.resolve('fixture_teardown', 'mm/deviant.c')!;
    assert.strictEqual(fromOther.file, 'mm/teardown.c');
  });

  it('summaries split by return value come from bodies', () => {
    const ref = engine.findFunction('fixture_lock_and_find')!;
    const s = engine.program.summary(ref);
    const none = s.trans.none.map((p) => p.join(':')).sort();
    assert.deepStrictEqual(none, ['none:z', 'read:nz']);
    const munmap = engine.program.summary(engine.findFunction('fixture_do_munmap')!);
    assert.deepStrictEqual(munmap.trans.write.map((p) => p.join(':')).sort(), ['read:n1', 'write:z']);
  });

  it('simulate lists the paths of a function with their steps', () => {
    const r = engine.simulate('killable_direct');
    assert.strictEqual(r.entry, 'none');
    assert.strictEqual(r.paths.length, 2);
    const exits = r.paths.map((p) => formatState(p.exit)).sort();
    assert.deepStrictEqual(exits, ['none', 'none']);
    const taken = r.paths.find((p) => p.steps.some((s) => s.text.includes('touch_vmas')))!;
    const lockStep = taken.steps.find((s) => s.event === 'acquire')!;
    assert.deepStrictEqual(lockStep.after, { mmap_lock: ['write'] });
  });

  it('fixture C carries no kernel license header (it is ours)', () => {
    for (const f of files) assert.ok(!fs.readFileSync(path.join(FIXTURE_TREE, f), 'utf8').includes('SPDX-License-Identifier'));
  });
});
