/**
 * Edits re-analyse only what they touch, and the result is the same as
 * analysing the edited tree from scratch.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { LockEngine } from '../server/src/engine/engine';
import { FIXTURE_TREE, kernelTree } from './helpers/trees';

function copyTree(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
}

describe('incremental re-analysis', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-incr-'));
    copyTree(FIXTURE_TREE, dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Annotations and diagnostics of an engine, for comparing two of them. */
  const snapshot = (e: LockEngine) => ({
    annotations: [...e.files.keys()].sort().map((f) => e.annotate(f)),
    diagnostics: e.check().map((d) => `${d.file}:${d.at[0]}:${d.at[1]} ${d.code} ${d.message} | ${d.related.map((r) => `${r.file}:${r.at[0]}`).join(',')}`).sort(),
  });

  const cases: Array<{ name: string; file: string; edit: (t: string) => string; expectRecompute: boolean }> = [
    { name: 'a comment line added above everything', file: 'mm/callbacks.c', edit: (t) => '/* a new first line */\n' + t, expectRecompute: false },
    { name: 'a statement with no lock effect added inside exit_mmap', file: 'mm/callbacks.c', edit: (t) => t.replace('\tunmap_all(mm);', '\tunmap_all(mm);\n\tcount_all(mm);'), expectRecompute: false },
    { name: 'the write lock removed from the exit path', file: 'mm/callbacks.c', edit: (t) => t.replace('\tmmap_write_lock(mm);\n\tvma = first_vma(mm);', '\tvma = first_vma(mm);'), expectRecompute: true },
    { name: 'an enumerator given another value', file: 'mm/pagewalk.c', edit: (t) => t.replace('\tPW_WRLOCK = 1,', '\tPW_WRLOCK = 0,'), expectRecompute: true },
    { name: "an ops table's .walk_lock changed", file: 'mm/pagewalk.c', edit: (t) => t.replace('\t.walk_lock = PW_WRLOCK,', '\t.walk_lock = PW_RDLOCK,'), expectRecompute: true },
    { name: 'a new close callback registered', file: 'mm/conditional.c', edit: (t) => t + '\nstatic void late_close(struct vm_area_struct *vma)\n{\n\tmmap_write_lock(vma->vm_mm);\n\tmmap_write_unlock(vma->vm_mm);\n}\n\nstatic const struct vm_operations_struct late_ops = {\n\t.close = late_close,\n};\n', expectRecompute: true },
  ];

  for (const c of cases) {
    it(`${c.name}: same result as a fresh analysis`, async () => {
      const engine = await LockEngine.open({ root: dir, noCache: true, include: ['include/linux/mm_fixture.h'] });
      const file = path.join(dir, c.file);
      const text = c.edit(fs.readFileSync(file, 'utf8'));
      assert.notStrictEqual(text, fs.readFileSync(file, 'utf8'), 'the edit changed nothing');
      const r = await engine.updateFile(c.file, text);
      assert.strictEqual(r.entriesRecomputed, c.expectRecompute);
      fs.writeFileSync(file, text);
      const fresh = await LockEngine.open({ root: dir, noCache: true, include: ['include/linux/mm_fixture.h'] });
      assert.deepStrictEqual(snapshot(engine), snapshot(fresh));
    });
  }

  it('a file the index did not have (an editor opens it): same result as a fresh analysis', async () => {
    const engine = await LockEngine.open({ root: dir, noCache: true, include: ['include/linux/mm_fixture.h'] });
    const rel = 'drivers/demo/opened_later.c';
    const text = 'static void later_close(struct vm_area_struct *vma)\n{\n\tmmap_read_lock(vma->vm_mm);\n\tmmap_read_unlock(vma->vm_mm);\n}\n\nstatic const struct vm_operations_struct later_ops = {\n\t.close = later_close,\n};\n\nvoid later_caller(struct mm_struct *mm)\n{\n\tmmap_write_lock(mm);\n\tteardown_caller(mm);\n\tmmap_write_unlock(mm);\n}\n';
    assert.ok(!engine.files.has(rel));
    await engine.updateFile(rel, text);
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
    const fresh = await LockEngine.open({ root: dir, noCache: true, include: ['include/linux/mm_fixture.h'] });
    // (Earlier cases removed the write lock from the fixture's exit path, so the close callback is not entered held here.)
    assert.ok(fresh.check().some((d) => d.code === 'LL002' && d.function === 'later_caller'), 'the new file\'s self-deadlock is not flagged');
    assert.deepStrictEqual(snapshot(engine), snapshot(fresh));
    fs.rmSync(path.join(dir, rel));
  });

  it('a line inserted above a function keeps its flow and moves its positions', async () => {
    const engine = await LockEngine.open({ root: dir, noCache: true, include: ['include/linux/mm_fixture.h'] });
    const ref = engine.findFunction('double_lock')!;
    const flowBefore = engine.program.flow(ref);
    const lineBefore = ref.fn.at[0];
    const text = '/* one more line */\n' + fs.readFileSync(path.join(dir, 'mm/rules.c'), 'utf8');
    const r = await engine.updateFile('mm/rules.c', text);
    assert.strictEqual(r.changed, 0);
    const after = engine.findFunction('double_lock')!;
    assert.strictEqual(engine.program.flow(after), flowBefore, 'the flow was recomputed');
    assert.strictEqual(after.fn.at[0], lineBefore + 1);
    const d = engine.check(['mm/rules.c']).find((x) => x.function === 'double_lock')!;
    assert.ok(text.split('\n')[d.at[0] - 1].includes('mmap_write_lock'), 'diagnostic points at the moved line');
  });

  it("a simulation quotes the edited text, not the file on disk (the IR keeps no statement texts)", async () => {
    const engine = await LockEngine.open({ root: dir, noCache: true, include: ['include/linux/mm_fixture.h'] });
    const quoted = (sim: ReturnType<LockEngine['simulate']>) => sim.paths.flatMap((p) => p.steps.map((s) => s.text));
    assert.ok(quoted(engine.simulate('fixture_exit_mmap')).includes('unmap_all(mm);'), 'read from disk');
    const text = fs.readFileSync(path.join(dir, 'mm/callbacks.c'), 'utf8').replace('\tunmap_all(mm);', '\tunmap_all(mm /* edited, not saved */);');
    await engine.updateFile('mm/callbacks.c', text);
    assert.ok(quoted(engine.simulate('fixture_exit_mmap')).includes('unmap_all(mm /* edited, not saved */);'));
  });
});

describe('checking some files gives what the whole check gives for them', () => {
  const key = (d: { file: string; at: number[]; code: string; message: string; related: unknown[] }) => `${d.file}:${d.at.join(',')} ${d.code} ${d.message} ${JSON.stringify(d.related)}`;
  for (const [name, root, under] of [
    ['fixtures', () => FIXTURE_TREE, ''],
    ['Debian 6.12 mm/', () => kernelTree('6.12'), 'mm/'],
  ] as const) {
    it(name, async () => {
      const e = await LockEngine.open({ root: root() });
      const all = e.check().map(key).sort();
      const files = [...e.files.keys()].filter((f) => f.startsWith(under));
      assert.ok(files.length > 5);
      let compared = 0;
      for (const f of files) {
        const one = e.check([f]).map(key).sort();
        assert.deepStrictEqual(one, all.filter((k) => k.startsWith(f + ':')), `check([${f}]) differs from the whole check`);
        compared += one.length;
      }
      assert.ok(compared > 0, 'no diagnostics compared');
    });
  }
});
