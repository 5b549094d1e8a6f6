/**
 * The .vsix users install: built here with vsce from the esbuild bundles (`npm test` builds dist/ first),
 * then read back: small, self-contained (bundles, wasm, grammar; no node_modules, sources or kernel code),
 * and its manifest contributes every setting and command the protocol declares.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import { builtinModules } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { before, describe, it } from 'node:test';
import { Commands, DEFAULT_SETTINGS } from '../server/src/lsp/protocol';
import { REPO } from './helpers/trees';
import { readZipFile } from './helpers/zip';

const MAX_BYTES = 5 * 1024 * 1024;
const BUNDLES = ['client.js', 'server.js', 'parse-worker.js'];

/** Setting keys of DEFAULT_SETTINGS: nested objects are sections, empty objects (name -> value maps) and arrays are settings. */
function settingKeys(obj: object, prefix = 'kernelLockLens'): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj)) {
    const key = `${prefix}.${k}`;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [kk, vv] of settingKeys(v, key)) out.set(kk, vv);
    } else out.set(key, v);
  }
  return out;
}

describe('the .vsix package', () => {
  let vsix = '';
  let zip: ReturnType<typeof readZipFile>;
  let names: string[] = [];
  let manifest: any;

  before(() => {
    for (const b of BUNDLES) assert.ok(fs.existsSync(path.join(REPO, 'dist', b)), `dist/${b} is missing: run node scripts/build.js first`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-vsix-'));
    vsix = path.join(dir, 'kernel-lock-lens.vsix');
    const vscePkg = require.resolve('@vscode/vsce/package.json', { paths: [REPO] });
    const vsceBin = path.join(path.dirname(vscePkg), JSON.parse(fs.readFileSync(vscePkg, 'utf8')).bin.vsce);
    execFileSync(process.execPath, [vsceBin, 'package', '--no-dependencies', '-o', vsix], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    zip = readZipFile(vsix);
    names = zip.entries.map((e) => e.name);
    manifest = JSON.parse(zip.read('extension/package.json').toString('utf8'));
  });

  it('is under 5 MB', () => {
    const size = fs.statSync(vsix).size;
    assert.ok(size < MAX_BYTES, `${vsix} is ${size} bytes`);
    assert.ok(size > 100_000, `${size} bytes is too small to hold the bundles`);
  });

  it('holds the bundles, both wasm files with their provenance, the grammar, the manifest, README and licence', () => {
    for (const f of [
      ...BUNDLES.map((b) => `extension/dist/${b}`),
      'extension/dist/tree-sitter.wasm',
      'extension/dist/tree-sitter-c.wasm',
      'extension/dist/WASM-PROVENANCE.txt',
      'extension/syntaxes/mmap-lock.injection.tmLanguage.json',
      'extension/package.json',
      'extension/docs/rules.md',
    ]) {
      assert.ok(names.includes(f), `${f} missing; the package holds:\n${names.join('\n')}`);
    }
    assert.ok(names.some((n) => /^extension\/readme\.md$/i.test(n)), 'README missing');
    assert.ok(names.some((n) => /^extension\/LICENSE(\.txt)?$/i.test(n)), 'LICENSE missing');
    for (const wasm of ['tree-sitter.wasm', 'tree-sitter-c.wasm']) {
      const bytes = zip.read(`extension/dist/${wasm}`);
      assert.deepStrictEqual([...bytes.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], `${wasm} is not WebAssembly`);
    }
  });

  it('holds nothing else: no node_modules, tests, scratch, sources, source maps or C', () => {
    const bad = names.filter(
      (n) =>
        /(^|\/)node_modules\//.test(n) ||
        /^extension\/(test|scratch|server|client|out|examples|scripts|bin|test-artifacts)\//.test(n) ||
        /\.(ts|map|c|h|vsix)$/.test(n),
    );
    assert.deepStrictEqual(bad, []);
    const allowed = /^(\[Content_Types\]\.xml|extension\.vsixmanifest|extension\/(package\.json|readme\.md|LICENSE\.txt|changelog\.md|dist\/[\w.-]+\.(js|wasm|txt)|syntaxes\/[\w.-]+\.json|docs\/rules\.md))$/i;
    assert.deepStrictEqual(names.filter((n) => !allowed.test(n)), []);
  });

  it('bundles need nothing at run time but Node built-ins, vscode and each other', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    for (const b of BUNDLES) {
      const js = zip.read(`extension/dist/${b}`).toString('utf8');
      const required = new Set([...js.matchAll(/\brequire\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]));
      const foreign = [...required].filter((r) => !builtins.has(r) && r !== 'vscode' && !r.startsWith('./'));
      assert.deepStrictEqual(foreign, [], `${b} requires packages that the .vsix does not hold`);
    }
    const client = zip.read('extension/dist/client.js').toString('utf8');
    assert.match(client, /require\("vscode"\)/, 'the client bundle should load vscode from the host');
    assert.match(client, /kernelLockLens\/simulate/, 'the client bundle should carry the protocol');
  });

  it('points main at the client bundle and activates on C', () => {
    assert.strictEqual(manifest.main, './dist/client.js');
    assert.ok(names.includes('extension/dist/client.js'));
    assert.ok(manifest.activationEvents.includes('onLanguage:c'));
    assert.match(manifest.engines.vscode, /^\^1\.(9[1-9]|\d{3,})\./, 'vscode-languageclient 11 needs VS Code 1.91 or later');
  });

  it('contributes every setting of KernelLockLensSettings, with its default, and trace.server', () => {
    const props = manifest.contributes.configuration.properties as Record<string, { default: unknown; type: string; enum?: string[] }>;
    const keys = settingKeys(DEFAULT_SETTINGS);
    assert.ok(keys.size >= 7, `only ${keys.size} setting keys found in DEFAULT_SETTINGS`);
    for (const [key, value] of keys) {
      assert.ok(props[key], `setting ${key} is not contributed`);
      assert.deepStrictEqual(props[key].default, value, `default of ${key}`);
    }
    assert.deepStrictEqual(props['kernelLockLens.trace.server']?.enum, ['off', 'messages', 'verbose']);
    assert.deepStrictEqual(props['kernelLockLens.inlayHints.mode']?.enum, ['transitions', 'every-line', 'off']);
    const unknown = Object.keys(props).filter((k) => !keys.has(k) && k !== 'kernelLockLens.trace.server');
    assert.deepStrictEqual(unknown, [], 'settings the server does not read');
  });

  it('contributes every command in Commands, in the Kernel Lock Lens category, with menus and a keybinding', () => {
    const cmds = manifest.contributes.commands as Array<{ command: string; title: string; category: string }>;
    for (const id of Object.values(Commands)) {
      const c = cmds.find((x) => x.command === id);
      assert.ok(c, `command ${id} is not contributed`);
      assert.strictEqual(c.category, 'Kernel Lock Lens');
      assert.ok(c.title.length > 3);
    }
    const context = (manifest.contributes.menus['editor/context'] as Array<{ command: string; when: string }>).map((m) => m.command);
    assert.ok(context.includes(Commands.simulate) && context.includes(Commands.summary));
    const kb = (manifest.contributes.keybindings as Array<{ command: string; when: string }>).find((k) => k.command === Commands.simulate);
    assert.ok(kb && /editorLangId == c/.test(kb.when));
  });

  it('contributes the injection grammar into source.c', () => {
    const g = manifest.contributes.grammars as Array<{ scopeName: string; path: string; injectTo: string[] }>;
    assert.strictEqual(g.length, 1);
    assert.deepStrictEqual(g[0].injectTo, ['source.c']);
    const file = `extension/${g[0].path.replace(/^\.\//, '')}`;
    const grammar = JSON.parse(zip.read(file).toString('utf8'));
    assert.strictEqual(grammar.scopeName, g[0].scopeName);
  });
});
