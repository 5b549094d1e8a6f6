/**
 * The injection grammar that gives the mmap_lock API its own scopes in C. Its regexes are compiled as
 * JavaScript RegExps (close enough to Oniguruma for these patterns) and run over lines of C written here,
 * with a small scanner that does what a TextMate tokenizer does with one flat list of match rules.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { describe, it } from 'node:test';
import { REPO } from './helpers/trees';

interface Rule {
  match?: string;
  name?: string;
  captures?: Record<string, { name: string }>;
  include?: string;
  begin?: string;
}

const GRAMMAR_FILE = path.join(REPO, 'syntaxes', 'mmap-lock.injection.tmLanguage.json');
const grammar = JSON.parse(fs.readFileSync(GRAMMAR_FILE, 'utf8')) as {
  scopeName: string;
  injectionSelector: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
};

function flatten(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => {
    if (r.include) {
      assert.ok(r.include.startsWith('#'), `only repository includes are expected, got ${r.include}`);
      const target = grammar.repository[r.include.slice(1)];
      assert.ok(target, `include ${r.include} points at nothing`);
      return flatten([target]);
    }
    return [r];
  });
}

const RULES = flatten(grammar.patterns).map((r) => ({ rule: r, re: new RegExp(r.match!, 'dg') }));

interface Token {
  text: string;
  scope: string;
}

/** The scoped tokens a line gets: at each position the earliest match wins, ties go to the first rule. */
function tokenize(line: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  while (pos < line.length) {
    let best: { rule: Rule; m: RegExpExecArray } | undefined;
    for (const { rule, re } of RULES) {
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && m[0].length > 0 && (!best || m.index < best.m.index)) best = { rule, m };
    }
    if (!best) break;
    const { rule, m } = best;
    if (rule.name) out.push({ text: m[0], scope: rule.name });
    for (const [group, cap] of Object.entries(rule.captures ?? {})) {
      const span = m.indices![Number(group)];
      if (span) out.push({ text: line.slice(span[0], span[1]), scope: cap.name });
    }
    pos = m.index + m[0].length;
  }
  return out;
}

/** The category a scope names: keyword.control.lock.acquire.mmap-lock.c -> acquire. */
function category(scope: string): string {
  const m = /\.lock\.(acquire|release|downgrade|assert|guard)\.mmap-lock\./.exec(scope);
  return m ? m[1] : `(no category in ${scope})`;
}

// Each line with the lock API name in it and the category it must get.
const CASES: Array<[line: string, name: string, cat: string]> = [
  ['\tmmap_read_lock(mm);', 'mmap_read_lock', 'acquire'],
  ['\tmmap_write_lock(mm);', 'mmap_write_lock', 'acquire'],
  ['\tif (mmap_read_lock_killable(mm))', 'mmap_read_lock_killable', 'acquire'],
  ['\tif (mmap_write_lock_killable(mm))\n\t\treturn -EINTR;', 'mmap_write_lock_killable', 'acquire'],
  ['\tif (!mmap_read_trylock(mm))', 'mmap_read_trylock', 'acquire'],
  ['\tif (unlikely(!mmap_write_trylock (mm)))', 'mmap_write_trylock', 'acquire'],
  ['\tmmap_write_lock_nested(mm, SINGLE_DEPTH_NESTING);', 'mmap_write_lock_nested', 'acquire'],
  ['\tdown_read(&mm->mmap_sem);', 'down_read', 'acquire'],
  ['\tdown_write(&current->mm->mmap_sem);', 'down_write', 'acquire'],
  ['\tif (!down_read_trylock(&mm->mmap_sem))', 'down_read_trylock', 'acquire'],
  ['\tif (down_write_killable(&mm->mmap_sem))', 'down_write_killable', 'acquire'],
  ['\tdown_write_nested(&mm->mmap_sem, SINGLE_DEPTH_NESTING);', 'down_write_nested', 'acquire'],
  ['\tdown_read(&vma->vm_mm->mmap_lock);', 'down_read', 'acquire'],
  ['\tguard(mmap_read_lock)(mm);', 'mmap_read_lock', 'acquire'],
  ['\tguard(mmap_read_lock)(mm);', 'guard', 'guard'],
  ['\tscoped_guard(mmap_write_lock, mm) {', 'mmap_write_lock', 'acquire'],
  ['\tscoped_guard(mmap_write_lock, mm) {', 'scoped_guard', 'guard'],
  ['\tscoped_guard(mmap_read_lock_try, mm) {', 'mmap_read_lock_try', 'acquire'],
  ['\tmmap_read_unlock(mm);', 'mmap_read_unlock', 'release'],
  ['\tmmap_write_unlock(mm);', 'mmap_write_unlock', 'release'],
  ['\tmmap_read_unlock_non_owner(mm);', 'mmap_read_unlock_non_owner', 'release'],
  ['\tup_read(&mm->mmap_sem);', 'up_read', 'release'],
  ['\tup_write(&mm->mmap_sem);', 'up_write', 'release'],
  ['\tup_read_non_owner(&mm->mmap_sem);', 'up_read_non_owner', 'release'],
  ['\tmmap_write_downgrade(mm);', 'mmap_write_downgrade', 'downgrade'],
  ['\tdowngrade_write(&mm->mmap_sem);', 'downgrade_write', 'downgrade'],
  ['\tmmap_assert_locked(vma->vm_mm);', 'mmap_assert_locked', 'assert'],
  ['\tmmap_assert_write_locked(mm);', 'mmap_assert_write_locked', 'assert'],
  ['\tlockdep_assert_held(&mm->mmap_lock);', 'lockdep_assert_held', 'assert'],
  ['\tlockdep_assert_held_write(&mm->mmap_lock);', 'lockdep_assert_held_write', 'assert'],
  ['\tlockdep_assert_held_read(&mm->mmap_lock);', 'lockdep_assert_held_read', 'assert'],
  ['\tlockdep_assert_held_once(&mm->mmap_lock);', 'lockdep_assert_held_once', 'assert'],
  ['\trwsem_assert_held_write(&mm->mmap_lock);', 'rwsem_assert_held_write', 'assert'],
];

// Lines with names that look like the API and are not it.
const LOOK_ALIKES = [
  '\tmy_mmap_read_lock_helper(mm);',
  '\tmmap_read_lock_foo(mm);',
  '\txmmap_write_lock(mm);',
  '\tmmap_write_lock_killable_slow(mm);',
  '\t__mmap_write_unlock(mm);',
  '\tmmap_write_downgrade_all(mm);',
  '\tmmap_assert_locked_by_me(mm);',
  '\tstruct rw_semaphore mmap_lock;',
  '\tint mmap_read_lock = 0;',
  'DEFINE_GUARD(mmap_read_lock, struct mm_struct *, lock_it(_T), unlock_it(_T))',
  '\tguard(mutex)(&mm->mmap_lock_mutex);',
  '\tdown_read(&inode->i_rwsem);',
  '\tup_write(&sb->s_umount);',
  '\tdown_write(&mapping->i_mmap_rwsem);',
  '\tlockdep_assert_held(&mapping->i_mmap_rwsem);',
  '\tlockdep_assert_held(&mm->my_mmap_lock);',
  '\tdowngrade_write(&sb->s_umount);',
  '\tmmap_lock_is_contended(mm);',
];

describe('the mmap_lock injection grammar', () => {
  it('is an injection into C outside comments and strings, with the documented scope name', () => {
    assert.strictEqual(grammar.scopeName, 'kernel-lock-lens.mmap-lock.injection');
    assert.strictEqual(grammar.injectionSelector, 'L:source.c -comment -string');
    const contributed = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).contributes.grammars;
    assert.deepStrictEqual(contributed, [
      { scopeName: grammar.scopeName, path: './syntaxes/mmap-lock.injection.tmLanguage.json', injectTo: ['source.c'] },
    ]);
  });

  it('has only single-line match rules that compile, each scoped in one of the five categories', () => {
    assert.ok(RULES.length >= 5, `${RULES.length} rules`);
    for (const { rule } of RULES) {
      assert.ok(rule.match && !rule.begin, 'begin/end rules are not expected here');
      const scopes = [rule.name, ...Object.values(rule.captures ?? {}).map((c) => c.name)].filter((s): s is string => !!s);
      const categorised = scopes.filter((s) => !s.startsWith('punctuation.'));
      assert.ok(categorised.length > 0, `rule ${rule.match} names no scope`);
      for (const s of categorised) {
        assert.match(s, /^(keyword\.control|support\.function)\.lock\.(acquire|release|downgrade|assert|guard)\.mmap-lock\.c$/);
      }
    }
    // Every rule in the repository is reachable from the top-level patterns.
    const reachable = new Set(grammar.patterns.map((p) => p.include));
    for (const key of Object.keys(grammar.repository)) assert.ok(reachable.has(`#${key}`), `#${key} is never included`);
  });

  for (const [line, name, cat] of CASES) {
    it(`scopes ${name} as ${cat} in \`${line.trim().split('\n')[0]}\``, () => {
      const toks = tokenize(line).filter((t) => t.text === name);
      assert.strictEqual(toks.length, 1, `expected one token ${name}, got ${JSON.stringify(tokenize(line))}`);
      assert.strictEqual(category(toks[0].scope), cat, toks[0].scope);
    });
  }

  it('scopes every lock call on a line, not just the first', () => {
    const toks = tokenize('\tif (mmap_write_lock_killable(mm)) { mmap_write_downgrade(mm); mmap_read_unlock(mm); }');
    assert.deepStrictEqual(
      toks.map((t) => [t.text, category(t.scope)]),
      [
        ['mmap_write_lock_killable', 'acquire'],
        ['mmap_write_downgrade', 'downgrade'],
        ['mmap_read_unlock', 'release'],
      ],
    );
  });

  for (const line of LOOK_ALIKES) {
    it(`leaves the look-alike \`${line.trim()}\` alone`, () => {
      assert.deepStrictEqual(tokenize(line), []);
    });
  }
});
