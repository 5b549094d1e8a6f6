/** Finding the C files of a tree, and the cheap content test that picks the ones that matter. */
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

/** Short substrings one of which every token contains: three scans reject most files instead of eight. */
const PREFIXES = ['mmap_', 'vm_op', 'lock_mm_and'];

export function makePrefilter(extra: readonly string[] = []): (bytes: Buffer) => boolean {
  const tokens = [...PREFILTER_TOKENS, ...extra].map((t) => Buffer.from(t));
  const prefixes = [...PREFIXES, ...extra].map((t) => Buffer.from(t));
  return (bytes) => prefixes.some((p) => bytes.includes(p)) && tokens.some((t) => bytes.includes(t));
}

/** Reads a whole file into `scratch` when it fits (no allocation per file), else into a new buffer. */
export function readInto(abs: string, scratch: Buffer): Buffer {
  const fd = fs.openSync(abs, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = size <= scratch.length ? scratch : Buffer.alloc(size);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = fs.readSync(fd, buf, n, buf.length - n, n);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}
