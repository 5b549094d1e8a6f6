/**
 * What LL004 reports where, on the fixture tree: the function where the paths part is flagged
 * and says which callers inherit it; a function's comment counts when it stands before the
 * `#ifdef` around it and names it; "takes the lock itself" looks at the lock each call names.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LockEngine } from '../server/src/engine/engine';
import type { FnRef } from '../server/src/interproc/function-table';
import { takesLockItself } from '../server/src/interproc/program';
import { parseFileText } from '../server/src/parse/parse-file';
import type { Diagnostic } from '../server/src/rules/diagnostic';
import { FIXTURE_TREE } from './helpers/trees';

describe('LL004 on the fixture tree', () => {
  let diags: Diagnostic[];
  before(async () => {
    const engine = await LockEngine.open({ root: FIXTURE_TREE, noCache: true, include: ['include/linux/mm_fixture.h'] });
    diags = engine.check(['mm/rules.c']);
  });

  it('the origin names the callers that inherit its differing exits, which are not flagged', () => {
    const origin = diags.find((d) => d.code === 'LL004' && d.function === 'region_probe');
    assert.ok(origin, 'region_probe() is flagged');
    assert.match(origin.message, /; 1 function up the call chain returns in differing modes through it and is not flagged \(region_probe_all\(\)\)$/);
    assert.equal(diags.some((d) => d.code === 'LL004' && d.function === 'region_probe_all'), false);
    assert.ok(origin.related.some((r) => r.file === 'mm/rules.c' && /^region_probe_all\(\) returns in differing modes through region_probe\(\)/.test(r.message)), 'the inheritor is a related location');
  });

  it('a function with no inheritors says nothing of them', () => {
    const own = diags.find((d) => d.code === 'LL004' && d.function === 'leak_on_error_path');
    assert.ok(own);
    assert.doesNotMatch(own.message, /up the call chain/);
  });
});

describe('a comment before #ifdef', () => {
  it('is the first function\'s comment when it names it, under #ifdef or #if defined()', async () => {
    const ir = await parseFileText('x.c', [
      '/**', ' * f() - called with mmap_lock held.', ' */', '#ifdef CONFIG_X', 'int f(void)', '{', '\treturn 0;', '}', '#endif',
      '/**', ' * g() - called with mmap_lock held.', ' */', '#if defined(CONFIG_Y)', 'int g(void)', '{', '\treturn 0;', '}', '#endif',
      '/* Helpers for CONFIG_Z. */', '#ifdef CONFIG_Z', 'int h(void)', '{', '\treturn 0;', '}', '#endif',
    ].join('\n'));
    const doc = (name: string) => ir.functions.find((f) => f.name === name)?.doc;
    assert.match(doc('f') ?? '', /f\(\) - called/);
    assert.match(doc('g') ?? '', /g\(\) - called/);
    assert.equal(doc('h'), undefined, 'a comment about the block does not name h()');
  });
});

describe('takesLockItself', () => {
  const ref = (sites: Array<{ f: string; a: string[] }>) => ({ sites: sites.map((s) => ({ ...s, at: [1, 0, 1, 1] })) }) as unknown as FnRef;
  it('counts mmap_lock acquires and guards only', () => {
    assert.equal(takesLockItself(ref([{ f: 'mmap_read_lock', a: ['mm'] }])), true);
    assert.equal(takesLockItself(ref([{ f: 'guard', a: ['mmap_read_lock', 'mm'] }])), true);
    assert.equal(takesLockItself(ref([{ f: 'guard', a: ['mutex', '&lock'] }])), false);
    assert.equal(takesLockItself(ref([{ f: 'down_read', a: ['&mapping->i_mmap_rwsem'] }])), false);
    assert.equal(takesLockItself(ref([{ f: 'mmap_read_unlock', a: ['mm'] }])), false);
  });
});
