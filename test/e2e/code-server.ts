/**
 * A real VS Code for the end-to-end tests: code-server (VS Code 1.139 as a web app, the real Node extension host)
 * on the Node 24 that scripts/e2e/setup.sh installs, driven by Debian's Chromium through playwright-core.
 *
 * Every run gets its own temporary folder (XDG dirs, TMPDIR, user data, extensions), its own port, and its own
 * process group; stop() ends the group (SIGTERM, then SIGKILL) and any straggler that carries the run's marker
 * in its environment, and copies code-server's logs into test-artifacts/e2e/ before deleting the folder.
 */
import { spawn, execFile, execFileSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Browser, Page, launchChromium } from './playwright';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'e2e');

export interface E2eInstall {
  dir: string;
  node: string;
  codeServer: string;
  playwrightCore: string;
  chromium: string;
}

/** Where scripts/e2e/setup.sh installs (the same default as the script). */
export function e2eDir(): string {
  if (process.env.KLL_E2E_DIR) return path.resolve(process.env.KLL_E2E_DIR);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'kernel-lock-lens', 'e2e');
}

/** The installed tools, or an error that says how to install them. */
export function findInstall(): E2eInstall {
  const dir = e2eDir();
  const hint = `run \`bash scripts/e2e/setup.sh\` (CI's .ci/run does; it installs Chromium, Node 24, code-server and playwright-core into ${dir}, or into $KLL_E2E_DIR)`;
  const marker = path.join(dir, 'ready.json');
  // Like the kernel trees, the tools are fetched at test time on a fresh machine (idempotent; cached outside the repo).
  if (!fs.existsSync(marker) && !process.env.KLL_E2E_NO_SETUP) {
    console.log(`[e2e] ${marker} not found: running scripts/e2e/setup.sh (a few minutes, once)`);
    try {
      execFileSync('bash', [path.join(__dirname, '..', '..', '..', 'scripts', 'e2e', 'setup.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
    } catch (e) {
      throw new Error(`scripts/e2e/setup.sh failed (${(e as Error).message}); ${hint}`);
    }
  }
  if (!fs.existsSync(marker)) throw new Error(`The end-to-end setup is missing (${marker} not found): ${hint}`);
  const ready = JSON.parse(fs.readFileSync(marker, 'utf8')) as Partial<E2eInstall>;
  const install: E2eInstall = {
    dir,
    node: ready.node ?? '',
    codeServer: ready.codeServer ?? '',
    playwrightCore: ready.playwrightCore ?? '',
    chromium: ready.chromium ?? '/usr/bin/chromium',
  };
  for (const [what, p] of Object.entries(install)) {
    if (!p || !fs.existsSync(p)) throw new Error(`The end-to-end setup is incomplete (${what}: ${p || 'not recorded'} is missing): ${hint}`);
  }
  return install;
}

export type Log = (...parts: unknown[]) => void;

export function makeLog(prefix: string): Log {
  const t0 = Date.now();
  return (...parts) => console.log(`[${prefix} ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...parts);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Pids whose environment carries KLL_E2E_RUN=<id> (only processes this run started have it). */
function markedPids(id: string): number[] {
  const needle = Buffer.from(`KLL_E2E_RUN=${id}\0`);
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`).includes(needle)) out.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface CodeServerOptions {
  /** A short name for logs and artifacts. */
  name: string;
  /** User settings (settings.json), on top of the defaults below. */
  settings?: Record<string, unknown>;
  /** .vsix files to install before the server starts. */
  vsix?: string[];
  /** Extra environment for code-server and so for the extension host and language servers. */
  env?: Record<string, string>;
  log?: Log;
}

export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'editor.hover.delay': 100,
  'editor.inlayHints.enabled': 'on',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
};

/**
 * $1: the pid to outlive; $2: the run's folder, removed if that pid is gone; the rest: the command. Ends its
 * own process group when the command or that pid is gone.
 */
const WATCHDOG = `parent=$1; tmp=$2; shift 2
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1 & wait $!; done
if ! kill -0 "$parent" 2>/dev/null && [ -z "$KLL_E2E_KEEP" ]; then setsid bash -c 'sleep 2; rm -rf "$0"' "$tmp" </dev/null >/dev/null 2>&1 & sleep 0.5; fi
kill -KILL -$$ 2>/dev/null`;

const live = new Set<CodeServer>();
process.on('exit', () => {
  for (const cs of live) cs.killNow();
});
// A signal (the test runner's timeout, Ctrl+C, CI cancelling) ends the process without 'exit' handlers running.
for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
  process.once(sig, () => {
    for (const cs of live) cs.killNow();
    process.exit(128 + n);
  });
}

export class CodeServer {
  readonly id = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private proc: ChildProcess | undefined;
  private output = '';
  private stopped = false;
  port = 0;
  remoteAuthority = 'remote';
  readonly tmp: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly log: Log;

  private constructor(
    readonly install: E2eInstall,
    readonly options: CodeServerOptions,
  ) {
    this.log = options.log ?? makeLog(options.name);
    // os.tmpdir(): short paths (VS Code puts unix sockets in TMPDIR and the user data dir; they have a length limit).
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kll-e2e-${options.name}-`));
    this.userDataDir = path.join(this.tmp, 'ud');
    this.extensionsDir = path.join(this.tmp, 'exts');
    const dirs = ['config', 'data', 'cache', 't', 'ud/User', 'exts'].map((d) => path.join(this.tmp, d));
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    this.env = {
      ...process.env,
      ...options.env,
      KLL_E2E_RUN: this.id,
      XDG_CONFIG_HOME: path.join(this.tmp, 'config'),
      XDG_DATA_HOME: path.join(this.tmp, 'data'),
      XDG_CACHE_HOME: path.join(this.tmp, 'cache'),
      TMPDIR: path.join(this.tmp, 't'),
      // The tests' own npm/node settings must not leak into code-server's Node 24.
      NODE_OPTIONS: '',
    };
    delete this.env.VSCODE_IPC_HOOK_CLI;
    delete this.env.ELECTRON_RUN_AS_NODE;
    fs.writeFileSync(
      path.join(this.userDataDir, 'User', 'settings.json'),
      JSON.stringify({ ...DEFAULT_SETTINGS, ...options.settings }, null, 2),
    );
  }

  /** Installs the .vsix files, starts code-server and waits until it listens. Cleans up if anything fails. */
  static async start(install: E2eInstall, options: CodeServerOptions): Promise<CodeServer> {
    const cs = new CodeServer(install, options);
    live.add(cs);
    try {
      for (const vsix of options.vsix ?? []) await cs.installExtension(vsix);
      await cs.launch();
      return cs;
    } catch (e) {
      await cs.stop();
      throw e;
    }
  }

  private baseArgs(): string[] {
    return ['--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  async installExtension(vsix: string): Promise<void> {
    const t0 = Date.now();
    const out = await run(this.install.node, [this.install.codeServer, ...this.baseArgs(), '--install-extension', vsix], this.env, 120_000);
    if (!/successfully installed/i.test(out)) throw new Error(`installing ${vsix} did not report success:\n${out}`);
    this.log(`installed ${path.basename(vsix)} in ${Date.now() - t0} ms`);
  }

  /** The folder an installed extension was unpacked into (publisher.name-version). */
  installedExtensionDir(id: string): string {
    const hit = fs.readdirSync(this.extensionsDir).find((d) => d.toLowerCase().startsWith(id.toLowerCase() + '-'));
    if (!hit) throw new Error(`extension ${id} is not in ${this.extensionsDir}: ${fs.readdirSync(this.extensionsDir).join(', ')}`);
    return path.join(this.extensionsDir, hit);
  }

  private async launch(): Promise<void> {
    this.port = await freePort();
    const args = [
      this.install.codeServer,
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      ...this.baseArgs(),
      // extensionTestsPath payloads are ignored without it; harmless for the UI tests.
      '--vscode-option', 'enable-smoke-test-driver',
    ];
    // A watchdog shell leads the process group: it ends the whole group when code-server exits or when this
    // test process is gone, however it went (even SIGKILL, where no handler of ours runs).
    this.proc = spawn('bash', ['-c', WATCHDOG, 'kll-e2e-watchdog', String(process.pid), this.tmp, this.install.node, ...args], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const append = (d: Buffer) => {
      this.output += d.toString();
      if (process.env.KLL_E2E_VERBOSE) process.stdout.write(`[code-server ${this.options.name}] ${d}`);
    };
    this.proc.stdout!.on('data', append);
    this.proc.stderr!.on('data', append);
    const deadline = Date.now() + 60_000;
    while (!/HTTP server listening/.test(this.output)) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`code-server exited early:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`code-server did not listen within 60 s:\n${this.output}`);
      await sleep(100);
    }
    const html = await (await fetch(`${this.baseUrl}/`, { signal: AbortSignal.timeout(30_000) })).text();
    const m = html.match(/id="vscode-workbench-web-configuration" data-settings="([^"]*)"/);
    if (m) {
      const cfg = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
      if (typeof cfg.remoteAuthority === 'string') this.remoteAuthority = cfg.remoteAuthority;
    }
    this.log(`code-server listening on ${this.baseUrl} (process group ${this.proc.pid}, remoteAuthority ${this.remoteAuthority})`);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A workbench URL for a folder or a .code-workspace file, optionally with a smoke-test payload. */
  url(target: { folder?: string; workspace?: string }, payload?: Array<[string, string]>): string {
    const q: string[] = [];
    if (target.folder) q.push(`folder=${encodeURIComponent(target.folder)}`);
    if (target.workspace) q.push(`workspace=${encodeURIComponent(target.workspace)}`);
    if (payload) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    return `${this.baseUrl}/?${q.join('&')}`;
  }

  /** A path on the server as the workbench names it (vscode-remote://remote/...). */
  remoteUri(p: string): string {
    return `vscode-remote://${this.remoteAuthority}${p}`;
  }

  /** Writes a multi-root workspace file into the run's folder. */
  writeWorkspace(folders: string[], settings: Record<string, unknown> = {}): string {
    const file = path.join(this.tmp, 'e2e.code-workspace');
    fs.writeFileSync(file, JSON.stringify({ folders: folders.map((p) => ({ path: p })), settings }, null, 2));
    return file;
  }

  get logText(): string {
    return this.output;
  }

  /** SIGKILL the group and marked stragglers, synchronously (process exit). */
  killNow(): void {
    if (this.proc?.pid) {
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const pid of markedPids(this.id)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (!process.env.KLL_E2E_KEEP) fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  /** Ends everything this run started and removes its folder (set KLL_E2E_KEEP=1 to keep it). Never throws. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      const pgid = this.proc?.pid;
      if (pgid && groupAlive(pgid)) {
        try {
          process.kill(-pgid, 'SIGTERM');
        } catch {
          /* gone */
        }
        const deadline = Date.now() + 8_000;
        while (groupAlive(pgid) && Date.now() < deadline) await sleep(200);
        if (groupAlive(pgid)) {
          this.log('code-server group still alive after SIGTERM; SIGKILL');
          try {
            process.kill(-pgid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      // Anything that left the group (a detached child) but still carries our marker.
      const stragglers = markedPids(this.id);
      if (stragglers.length) {
        this.log(`killing ${stragglers.length} leftover process(es) of this run: ${stragglers.join(' ')}`);
        for (const pid of stragglers) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      this.saveLogs();
    } finally {
      live.delete(this);
      if (!process.env.KLL_E2E_KEEP) fs.rmSync(this.tmp, { recursive: true, force: true });
      else this.log(`kept ${this.tmp}`);
    }
  }

  /** code-server's output and VS Code's log folder (extension host, the extension's output channels). */
  private saveLogs(): void {
    try {
      const dest = path.join(ARTIFACTS, `logs-${this.options.name}`);
      fs.rmSync(dest, { recursive: true, force: true });
      fs.mkdirSync(dest, { recursive: true });
      fs.writeFileSync(path.join(dest, 'code-server.log'), this.output);
      const logs = path.join(this.userDataDir, 'logs');
      if (fs.existsSync(logs)) fs.cpSync(logs, path.join(dest, 'vscode'), { recursive: true });
      this.log(`logs in ${path.relative(REPO, dest)}`);
    } catch (e) {
      this.log('could not save logs:', e);
    }
  }
}

/** One Chromium for a test file; closed by the caller (browser.close()). */
export function launchBrowser(install: E2eInstall): Promise<Browser> {
  return launchChromium(install.playwrightCore, install.chromium);
}

/** Browser console lines that are expected here and say nothing about the extension (no internet, web-only limits). */
const NOISE = /open-vsx\.org|ERR_NAME_NOT_RESOLVED|status of 404|Long running operations during shutdown|^\s*at |AccountPolicyGate|AgentHost|connection token|Creating a socket|reconnection-grace-time|builtin extensions cache|Service Worker/;

export function isNoise(line: string): boolean {
  return NOISE.test(line);
}

export async function newWorkbenchPage(browser: Browser, log: Log): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (process.env.KLL_E2E_VERBOSE || (m.type() === 'error' && !isNoise(m.text()))) log(`[browser ${m.type()}]`, m.text().slice(0, 300));
  });
  page.on('pageerror', (e) => log('[page error]', String(e).slice(0, 300)));
  return page;
}

export interface ExtensionTestsResult {
  exitCode: number | 'timeout';
  output: string[];
}

/**
 * Runs an extension test module (exports `run(): Promise<void>`) inside the workbench's extension host, the way
 * VS Code's own smoke tests do: extensionDevelopmentPath + extensionTestsPath in the payload; VS Code reports
 * the outcome through window.codeAutomationExit.
 */
export async function runExtensionTests(
  cs: CodeServer,
  browser: Browser,
  opts: { extensionDevelopmentPath: string; extensionTestsPath: string; folder?: string; workspace?: string; timeoutMs: number; screenshot?: string },
  log: Log,
): Promise<ExtensionTestsResult> {
  const page = await newWorkbenchPage(browser, log);
  const output: string[] = [];
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationLog', (_type: unknown, args: unknown) => {
    const line = (Array.isArray(args) ? args : [args]).map(String).join(' ');
    output.push(line);
    if (process.env.KLL_E2E_VERBOSE || !isNoise(line)) log('[suite]', line.slice(0, 1000));
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
  const payload: Array<[string, string]> = [
    ['extensionDevelopmentPath', cs.remoteUri(opts.extensionDevelopmentPath)],
    ['extensionTestsPath', cs.remoteUri(opts.extensionTestsPath)],
    ['skipWelcome', 'true'],
  ];
  await page.goto(cs.url({ folder: opts.folder, workspace: opts.workspace }, payload), { timeout: 60_000 });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), opts.timeoutMs)));
  const exitCode = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (opts.screenshot) await page.screenshot({ path: opts.screenshot, timeout: 15_000 }).catch(() => undefined);
  await page.close().catch(() => undefined);
  return { exitCode, output };
}
