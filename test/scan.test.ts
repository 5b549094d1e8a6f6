/**
 * The scan that picks files to parse: large files are read in chunks through one buffer, and a
 * token that straddles two chunks is still found; the content hash is the same either way.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { after, before, describe, it } from 'node:test';
import { makePrefilter, PREFILTER_TOKENS, PREFIXES, scanFileBytes } from '../server/src/index/discover';
import { contentHash, IR_VERSION, IrCache } from '../server/src/index/ir-cache';
import { scanTree } from '../server/src/index/workspace-index';

const MB = 1024 * 1024;

describe('prefilter scan', () => {
  let tmp = '';
  const files = new Map<string, Buffer>();

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-scan-'));
    const filler = (n: number) => Buffer.alloc(n, '/* filler */\n');
    // The token starts 5 bytes before the 1 MiB boundary (the scan's buffer size).
    files.set('include/straddle.h', Buffer.concat([filler(MB - 5), Buffer.from('mmap_read_lock(mm);\n'), filler(MB)]));
    // The token is the very last bytes of a 3 MiB file.
    files.set('include/tail.h', Buffer.concat([filler(3 * MB), Buffer.from('vm_operations_struct')]));
    // Large, and only a prefix of a token ('mmap_' without what follows it) near each boundary.
    files.set('include/none.h', Buffer.concat([filler(MB - 3), Buffer.from('mmap_'), filler(MB - 2), Buffer.from('mmap_rea'), filler(100)]));
    files.set('mm/small.c', Buffer.from('void f(struct mm_struct *mm) { mmap_write_lock(mm); }\n'));
    files.set('mm/other.c', Buffer.from('void g(void) { }\n'));
    for (const [rel, bytes] of files) {
      fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), bytes);
    }
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('every token contains one of the prefixes (they only reject early; the verdict is the tokens)', () => {
    for (const t of PREFILTER_TOKENS) assert.ok(PREFIXES.some((p) => t.includes(p)), t);
  });

  it('finds tokens across chunk boundaries and at the end, and nothing in files without them', () => {
    const scratch = Buffer.alloc(MB);
    const prefilter = makePrefilter();
    const hit = (rel: string) => scanFileBytes(path.join(tmp, rel), scratch, prefilter).hit;
    assert.strictEqual(hit('include/straddle.h'), true);
    assert.strictEqual(hit('include/tail.h'), true);
    assert.strictEqual(hit('include/none.h'), false);
    assert.strictEqual(hit('mm/small.c'), true);
    assert.strictEqual(hit('mm/other.c'), false);
  });

  it('selects the same files, with the hash of their whole content, however large they are', async () => {
    const scan = await scanTree({ root: tmp, noCache: true });
    const got = scan.files.map((f) => [f.rel, f.hash]);
    const want = ['include/straddle.h', 'include/tail.h', 'mm/small.c'].map((rel) => [rel, contentHash(files.get(rel)!)]);
    assert.deepStrictEqual(got, want);
  });
});

describe('parse cache folders', () => {
  it('a cache opened by this version removes the folders of older versions, and leaves newer ones and other files', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-cache-'));
    try {
      const n = Number(IR_VERSION.slice(3));
      for (const d of [`ir-${n - 1}`, 'ir-1', `ir-${n + 1}`, 'results', 'trees']) fs.mkdirSync(path.join(root, d, 'ir'), { recursive: true });
      fs.writeFileSync(path.join(root, 'ir-1', 'ir', 'x.json'), '{}');
      const cache = new IrCache(root, root, '');
      assert.ok(cache.usable);
      assert.deepStrictEqual(fs.readdirSync(root).sort(), [IR_VERSION, `ir-${n + 1}`, 'results', 'trees'].sort());
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
