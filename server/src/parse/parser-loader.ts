/**
 * Loads web-tree-sitter and the C grammar's wasm once per thread.
 *
 * The wasm files are looked up beside this module first (the esbuild bundle in
 * dist/ ships copies there, see scripts/build.js) and then in node_modules, so
 * the same code runs from the bundle, from tsc output and in worker threads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Language, Parser } from 'web-tree-sitter';

let loading: Promise<Parser> | undefined;

function locate(file: string, pkg: string): string {
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  return require.resolve(`${pkg}/${file}`);
}

/** One parser for this thread, set to C. Rejects with a clear message if a wasm file is missing. */
export function getCParser(): Promise<Parser> {
  loading ??= (async () => {
    const runtime = locate('tree-sitter.wasm', 'web-tree-sitter');
    await Parser.init({ locateFile: () => runtime });
    const grammar = await Language.load(locate('tree-sitter-c.wasm', 'tree-sitter-c'));
    const parser = new Parser();
    parser.setLanguage(grammar);
    return parser;
  })();
  return loading;
}
