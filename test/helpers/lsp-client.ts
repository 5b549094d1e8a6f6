/**
 * A small LSP client for tests: spawns the built server (dist/server.js) over
 * stdio and speaks JSON-RPC with Content-Length framing, as editors do. It
 * answers the server's own requests (configuration, progress tokens, refresh)
 * and records every notification, so tests can assert on progress, status
 * and published diagnostics. It can also send raw bytes, for bad-input tests.
 */
import { type ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const SERVER = path.join(REPO, 'dist', 'server.js');

export interface Message {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string };
}

export interface ClientOptions {
  rootPath?: string;
  /** Returned for workspace/configuration requests (the `kernelLockLens` section). */
  settings?: Record<string, unknown>;
  /** Client capabilities to announce (defaults: progress, configuration, inlay hint refresh). */
  capabilities?: Record<string, unknown>;
  cacheDir?: string;
  folders?: string[];
}

export function uriOf(p: string): string {
  return pathToFileURL(p).toString();
}

export class LspClient {
  readonly proc: ChildProcess;
  readonly notifications: Message[] = [];
  readonly serverRequests: Message[] = [];
  readonly stderr: string[] = [];
  settings: Record<string, unknown>;
  private nextId = 1;
  private buf = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (m: Message) => void; method: string }>();
  private readonly waiters: Array<{ pred: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  exited: Promise<number | null>;

  constructor(readonly options: ClientOptions = {}) {
    this.settings = options.settings ?? {};
    const env = { ...process.env, KERNEL_LOCK_LENS_CACHE: options.cacheDir ?? '' };
    this.proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  static async start(options: ClientOptions = {}): Promise<LspClient> {
    if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run node scripts/build.js`);
    const c = new LspClient(options);
    const folders = options.folders ?? (options.rootPath ? [options.rootPath] : []);
    const init = await c.request('initialize', {
      processId: process.pid,
      rootUri: folders[0] ? uriOf(folders[0]) : null,
      workspaceFolders: folders.map((f) => ({ uri: uriOf(f), name: path.basename(f) })),
      capabilities: options.capabilities ?? {
        window: { workDoneProgress: true },
        workspace: { configuration: true, inlayHint: { refreshSupport: true }, workspaceFolders: true },
        textDocument: { hover: { contentFormat: ['markdown'] }, inlayHint: {}, publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true } },
      },
    });
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    c.notify('initialized', {});
    return c;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const headerEnd = this.buf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buf.subarray(0, headerEnd).toString();
      const m = /Content-Length: (\d+)/i.exec(header);
      if (!m) throw new Error(`bad header from server: ${header}`);
      const len = Number(m[1]);
      if (this.buf.length < headerEnd + 4 + len) return;
      const body = this.buf.subarray(headerEnd + 4, headerEnd + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(headerEnd + 4 + len);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(msg: Message): void {
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.pending.get(msg.id as number);
      this.pending.delete(msg.id as number);
      p?.resolve(msg);
      return;
    }
    if (msg.method && msg.id !== undefined) {
      this.serverRequests.push(msg);
      let result: unknown = null;
      if (msg.method === 'workspace/configuration') result = (msg.params?.items ?? []).map(() => this.settings);
      this.write({ jsonrpc: '2.0', id: msg.id, result });
    } else if (msg.method) this.notifications.push(msg);
    for (const w of [...this.waiters]) {
      if (w.pred(msg)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  }

  write(msg: unknown): void {
    this.writeRaw(JSON.stringify(msg));
  }

  /** Sends a body with a correct header (the body may be anything, e.g. invalid JSON). */
  writeRaw(body: string): void {
    const bytes = Buffer.from(body, 'utf8');
    this.proc.stdin!.write(`Content-Length: ${bytes.length}\r\n\r\n`);
    this.proc.stdin!.write(bytes);
  }

  request(method: string, params: unknown, timeoutMs = 120_000): Promise<Message> {
    const id = this.nextId++;
    return this.requestWithId(id, method, params, timeoutMs);
  }

  requestWithId(id: number, method: string, params: unknown, timeoutMs = 120_000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      this.write({ jsonrpc: '2.0', id, method, params });
    });
  }

  newId(): number {
    return this.nextId++;
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** The first notification (already received or coming) that satisfies `pred`. */
  waitFor(pred: (m: Message) => boolean, timeoutMs = 120_000, what = 'notification'): Promise<Message> {
    const have = [...this.notifications, ...this.serverRequests].find(pred);
    return have ? Promise.resolve(have) : this.waitForNext(pred, timeoutMs, what);
  }

  /** Waits for the next notification matching `pred` that arrives after now. */
  waitForNext(pred: (m: Message) => boolean, timeoutMs = 120_000, what = 'notification'): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Resolves when the server says it is ready (status notification), after indexing. */
  waitReady(timeoutMs = 300_000): Promise<Message> {
    return this.waitFor((m) => m.method === 'kernelLockLens/status' && m.params?.state === 'ready', timeoutMs, 'status ready');
  }

  open(file: string, text?: string, version = 1): string {
    const uri = uriOf(file);
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version, text: text ?? fs.readFileSync(file, 'utf8') } });
    return uri;
  }

  diagnosticsFor(uri: string): Message | undefined {
    return [...this.notifications].reverse().find((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uri);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    try {
      await this.request('shutdown', null, 10_000);
      this.notify('exit', null);
    } catch {
      /* already gone */
    }
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killer);
  }
}

/** 0-based LSP position of `needle` inside function `fn` of `text` (found by text, never by line number). */
export function positionIn(text: string, fn: string, needle: string): { line: number; character: number } {
  const start = findFunctionStart(text, fn);
  const i = text.indexOf(needle, start);
  if (i < 0) throw new Error(`${needle} not found in ${fn}`);
  const before = text.slice(0, i);
  const line = before.split('\n').length - 1;
  return { line, character: i - (before.lastIndexOf('\n') + 1) };
}

/**
 * Index of a function definition's name: `name(` whose balanced parameter
 * list is followed (after spaces, comments and `__attribute`-style words) by `{`.
 */
export function findFunctionStart(text: string, fn: string): number {
  const re = new RegExp(`\\b${fn}\\s*\\(`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 0;
    let i = m.index + m[0].length - 1;
    for (; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) break;
    }
    let rest = text.slice(i + 1, i + 400);
    rest = rest.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/\b__\w+(\([^)]*\))?/g, ' ');
    if (/^\s*\{/.test(rest)) return m.index;
  }
  throw new Error(`function ${fn} not found`);
}
