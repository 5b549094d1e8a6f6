/**
 * Content-addressed cache of parsed files (their IR), in the user's cache
 * folder, never inside the kernel tree (which may be read-only). A manifest
 * remembers size, mtime, content hash and the prefilter verdict per file, so
 * a warm run reads neither unchanged sources nor their syntax.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FileIR } from '../parse/ir';

/** Bump when the IR or the parser's output changes shape: old entries are then ignored. */
export const IR_VERSION = 'ir-20';

export interface ManifestEntry {
  size: number;
  mtimeMs: number;
  hash: string;
  /** Whether the prefilter picked the file. */
  hit: boolean;
}

export function defaultCacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kernel-lock-lens');
}

export function contentHash(bytes: Uint8Array): string {
  return crypto.createHash('sha1').update(bytes).digest('hex');
}

/** Parses stored by earlier versions of the tool are never read again: their folders go (best effort). */
function removeOlderVersions(cacheRoot: string): void {
  const current = Number(IR_VERSION.slice(3));
  let names: string[];
  try {
    names = fs.readdirSync(cacheRoot);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^ir-(\d+)$/.exec(name);
    if (!m || Number(m[1]) >= current) continue;
    try {
      fs.rmSync(path.join(cacheRoot, name), { recursive: true, force: true });
    } catch {
      // Another process may be using it, or it is not ours to remove: it stays.
    }
  }
}

export class IrCache {
  readonly dir: string;
  private manifest: Record<string, ManifestEntry> = {};
  private dirty = false;
  private disabled = false;

  constructor(cacheRoot: string, treeRoot: string, prefilterKey: string) {
    const treeKey = crypto.createHash('sha1').update(path.resolve(treeRoot) + '\0' + prefilterKey).digest('hex').slice(0, 16);
    this.dir = path.join(cacheRoot, IR_VERSION);
    removeOlderVersions(cacheRoot);
    try {
      fs.mkdirSync(path.join(this.dir, 'ir'), { recursive: true });
      const m = path.join(this.dir, `manifest-${treeKey}.json`);
      this.manifestPath = m;
      if (fs.existsSync(m)) this.manifest = JSON.parse(fs.readFileSync(m, 'utf8')) as Record<string, ManifestEntry>;
    } catch {
      this.disabled = true;
      this.manifestPath = '';
    }
  }

  private readonly manifestPath: string;

  get usable(): boolean {
    return !this.disabled;
  }

  lookup(rel: string, size: number, mtimeMs: number): ManifestEntry | undefined {
    const e = this.manifest[rel];
    return e && e.size === size && e.mtimeMs === mtimeMs ? e : undefined;
  }

  remember(rel: string, entry: ManifestEntry): void {
    if (this.closed) return;
    this.manifest[rel] = entry;
    this.dirty = true;
  }

  load(hash: string, rel: string): FileIR | undefined {
    if (this.disabled) return undefined;
    try {
      const ir = JSON.parse(fs.readFileSync(path.join(this.dir, 'ir', hash + '.json'), 'utf8')) as FileIR;
      ir.file = rel;
      return ir;
    } catch {
      return undefined;
    }
  }

  /** Whether the cache holds a parse for this content (without reading it). */
  has(hash: string): boolean {
    return !this.disabled && fs.existsSync(path.join(this.dir, 'ir', hash + '.json'));
  }

  store(hash: string, ir: FileIR): void {
    this.storeText(hash, JSON.stringify(ir));
  }

  /** Stores IR already serialised (as a parse worker sends it). */
  storeText(hash: string, json: string): void {
    if (this.disabled) return;
    try {
      const file = path.join(this.dir, 'ir', hash + '.json');
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, json);
      fs.renameSync(tmp, file);
    } catch {
      this.disabled = true;
    }
  }

  /**
   * Writes the manifest and lets it go (55k entries on a whole tree, not needed while a program is
   * analysed); the cache then only loads and stores parses.
   */
  closeManifest(): void {
    this.flush();
    this.manifest = {};
    this.dirty = false;
    this.closed = true;
  }

  private closed = false;

  flush(): void {
    if (this.disabled || this.closed || !this.dirty) return;
    try {
      const tmp = `${this.manifestPath}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.manifest));
      fs.renameSync(tmp, this.manifestPath);
      this.dirty = false;
    } catch {
      this.disabled = true;
    }
  }
}
