#!/usr/bin/env node
// Bundles the CLI, the parse worker (and, when present, the language server and client) with esbuild,
// and copies the two wasm files beside them so the bundle runs without node_modules.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
fs.mkdirSync(dist, { recursive: true });

/** Version of the package a resolved file belongs to (package.json may not be exported). */
function pkgVersion(file) {
  const dir = path.dirname(require.resolve(file));
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

const entries = {
  cli: 'server/src/cli/main.ts',
  'parse-worker': 'server/src/index/parse-worker.ts',
};
if (fs.existsSync(path.join(root, 'server/src/lsp/main.ts'))) entries.server = 'server/src/lsp/main.ts';
if (fs.existsSync(path.join(root, 'client/src/extension.ts'))) entries.client = 'client/src/extension.ts';

esbuild
  .build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, path.join(root, v)])),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outdir: dist,
    sourcemap: true,
    external: ['vscode'],
    // The CommonJS build of web-tree-sitter: its ESM build needs import.meta.url, which a CJS bundle lacks.
    alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
    logLevel: 'warning',
  })
  .then(() => {
    fs.copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), path.join(dist, 'tree-sitter.wasm'));
    fs.copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), path.join(dist, 'tree-sitter-c.wasm'));
    fs.writeFileSync(
      path.join(dist, 'WASM-PROVENANCE.txt'),
      `tree-sitter.wasm from web-tree-sitter ${pkgVersion('web-tree-sitter/tree-sitter.wasm')}\n` +
        `tree-sitter-c.wasm from tree-sitter-c ${pkgVersion('tree-sitter-c/tree-sitter-c.wasm')}\n`,
    );
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
