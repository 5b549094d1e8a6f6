/** Finding the C files of a tree, and the cheap content test that picks the ones that matter. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface FoundFile {
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

/** Directories that hold no kernel C the analysis could reach. */
const SKIP_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules', 'Documentation', 'tools', 'scripts', 'samples', 'LICENSES', '.pc', 'debian']);

/** Every .c and .h file below root, relative paths with forward slashes, sorted. */
export function discoverFiles(root: string, onError?: (msg: string) => void): FoundFile[] {
  const out: FoundFile[] = [];
  const walk = (dir: string, rel: string, depth: number) => {
    if (depth > 40) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      onError?.(`cannot read directory ${rel || '.'}: ${(err as Error).message}`);
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const a = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(a, r, depth + 1);
      } else if (e.isFile() && (e.name.endsWith('.c') || e.name.endsWith('.h'))) {
        try {
          const st = fs.statSync(a);
          out.push({ rel: r, abs: a, size: st.size, mtimeMs: st.mtimeMs });
        } catch (err) {
          onError?.(`cannot stat ${r}: ${(err as Error).message}`);
        }
      }
    }
  };
  walk(root, '', 0);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Substrings that make a file worth parsing: the lock API, its legacy name, callbacks that run under it. */
export const PREFILTER_TOKENS = ['mmap_lock', 'mmap_sem', 'mmap_read_', 'mmap_write_', 'mmap_assert', 'vm_operations_struct', 'vm_ops->', 'lock_mm_and_find_vma'];

/**
 * Short substrings one of which every token contains: three scans reject most files instead of
 * eight. Each is at most 7 bytes (node searches those with memchr on the first byte, faster than
 * its Boyer-Moore-Horspool for longer needles) and starts with a byte rarer than `l`:
 * 'k_mm_an' scans the 1.2 GB of 6.12 in ~0.15 s where 'lock_mm_and' took ~0.75 s.
 */
export const PREFIXES = ['mmap_', 'vm_op', 'k_mm_an'];

export interface Prefilter {
  /** Whether these bytes hold a token. */
  (bytes: Buffer): boolean;
  /** Bytes of the longest token: a chunked scan carries this many minus one from chunk to chunk. */
  readonly longest: number;
}

export function makePrefilter(extra: readonly string[] = []): Prefilter {
  // Every token contains a prefix, so the prefixes only reject early: the verdict is "a token is there".
  const tokens = [...PREFILTER_TOKENS, ...extra].map((t) => Buffer.from(t));
  const prefixes = [...PREFIXES, ...extra].map((t) => Buffer.from(t));
  const test = (bytes: Buffer) => prefixes.some((p) => bytes.includes(p)) && tokens.some((t) => bytes.includes(t));
  return Object.assign(test, { longest: Math.max(...tokens.map((t) => t.length)) });
}

/** What scanning one file found: its bytes when they fitted the scratch buffer (else undefined), and whether the prefilter picked it. */
export interface ScannedBytes {
  /** The whole file, a view into the scratch buffer (valid until the next scan); undefined for a file larger than the scratch. */
  bytes?: Buffer;
  hit: boolean;
}

/**
 * Reads one file through `scratch` and runs the prefilter. A file that fits is read whole (its bytes
 * come back for hashing). A larger one (the tree has about a hundred generated headers of 1-24 MB)
 * is read in scratch-sized chunks, each overlapping the last by the longest token, and the read
 * stops at the first token: no buffer is allocated per file, so the C heap does not grow to the
 * size of the largest files (it used to keep ~60 MB after the scan).
 */
export function scanFileBytes(abs: string, scratch: Buffer, prefilter: Prefilter): ScannedBytes {
  const fd = fs.openSync(abs, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= scratch.length) {
      const bytes = readWhole(fd, size, scratch);
      return { bytes, hit: prefilter(bytes) };
    }
    const keep = Math.max(0, prefilter.longest - 1);
    let pos = 0;
    let carried = 0;
    for (;;) {
      let n = 0;
      for (let r = 1; r > 0 && carried + n < scratch.length; n += r) r = fs.readSync(fd, scratch, carried + n, scratch.length - carried - n, pos + n);
      if (n === 0) return { hit: false };
      pos += n;
      const view = scratch.subarray(0, carried + n);
      if (prefilter(view)) return { hit: true };
      carried = Math.min(keep, view.length);
      scratch.copyWithin(0, view.length - carried, view.length);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole file of `size` bytes (at most the scratch's length) into `scratch`. */
function readWhole(fd: number, size: number, scratch: Buffer): Buffer {
  const buf = scratch.subarray(0, size);
  let n = 0;
  for (let r = 1; r > 0 && n < buf.length; n += r) r = fs.readSync(fd, buf, n, buf.length - n, n);
  return buf.subarray(0, n);
}

/** The same hash as `contentHash` in ir-cache.ts (sha1, hex) of a file read in scratch-sized pieces. */
export function hashFile(abs: string, scratch: Buffer): string {
  const fd = fs.openSync(abs, 'r');
  try {
    const h = crypto.createHash('sha1');
    let pos = 0;
    for (let n = 1; n > 0; pos += n) {
      n = fs.readSync(fd, scratch, 0, scratch.length, pos);
      if (n > 0) h.update(scratch.subarray(0, n));
    }
    return h.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}
