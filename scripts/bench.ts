/**
 * npm run bench: the performance figures on Debian's 6.12 tree.
 * Prints one table; every figure is measured here, none is estimated.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LockEngine } from '../server/src/engine/engine';
import { annotateFunction } from '../server/src/engine/annotate';
import { Program } from '../server/src/interproc/program';
import { parseFileText } from '../server/src/parse/parse-file';
import { getCParser } from '../server/src/parse/parser-loader';
import { IncrementalParser } from '../server/src/parse/incremental-parse';
import { lspFigures } from './bench-lsp';

const repo = path.resolve(__dirname, '..', '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const root = execFileSync('bash', [path.join(repo, 'scripts', 'fetch-kernel.sh'), '6.12'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  const rows: Array<[string, string, string]> = [];
  const files = ['mm/mmap.c', 'include/linux/mm.h'];
  const texts = files.map((f) => fs.readFileSync(path.join(root, f), 'utf8'));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

  // 1. The engine's whole job on mmap.c + mm.h (parse, IR, summaries, entry states, annotating
  //    every function of mmap.c) against a bare tree-sitter parse of the same bytes.
  const parser = await getCParser();
  const bare: number[] = [];
  const eng: number[] = [];
  for (let i = 0; i < 7; i++) {
    let t = performance.now();
    for (const text of texts) parser.parse(text)!.delete();
    bare.push(performance.now() - t);
    t = performance.now();
    const program = new Program();
    for (let k = 0; k < files.length; k++) program.table.addFile(await parseFileText(files[k], texts[k]));
    program.analyse();
    for (const ref of program.table.byFile.get('mm/mmap.c') ?? []) annotateFunction(program, ref);
    eng.push(performance.now() - t);
  }
  const b = median(bare);
  const e = median(eng);
  rows.push(['engine, mm/mmap.c + mm.h (parse, analysis, annotate mmap.c)', `${e.toFixed(1)} ms`, `${(bytes / 1024).toFixed(0)} KiB`]);
  rows.push(['bare tree-sitter parse, same bytes', `${b.toFixed(1)} ms`, '']);
  rows.push(['ratio engine / bare parse', `${(e / b).toFixed(2)}x`, 'goal <= 2x']);

  // 2. Whole-tree check, cold (empty cache) and warm, each in a fresh process.
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kll-bench-'));
  const child = path.join(__dirname, 'bench-check.js');
  const run = () => JSON.parse(execFileSync(process.execPath, [child, root, cache], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!);
  const cold = run();
  const warm = run();
  rows.push(['whole-tree check, cold', `${(cold.ms / 1000).toFixed(2)} s`, `goal <= 15 s; ${cold.files} files of ${cold.index.discovered}, ${cold.index.threads} parse threads`]);
  rows.push(['whole-tree check, warm', `${(warm.ms / 1000).toFixed(2)} s`, `goal <= 3 s; analysis ${warm.analyseMs} ms of it`]);
  rows.push(['peak RSS, cold / warm', `${cold.maxRssMB.toFixed(0)} / ${warm.maxRssMB.toFixed(0)} MB`, 'goal <= 400 MB']);

  // 3. A one-line edit in mm/mmap.c, re-analysed in an open engine.
  const engine = await LockEngine.open({ root, cacheRoot: cache });
  let mmap = texts[0];
  const edits: number[] = [];
  const parses: number[] = [];
  let last = { changed: 0, reanalysed: 0, entriesRecomputed: false };
  for (let i = 0; i < 5; i++) {
    // Each edit adds one more line inside exit_mmap, as typing would.
    const at = mmap.indexOf('\n', mmap.indexOf('void exit_mmap(struct mm_struct *mm)') + 40);
    mmap = mmap.slice(0, at + 1) + `\tnr_accounted += 0; /* edit ${i} */\n` + mmap.slice(at + 1);
    let t = performance.now();
    await parseFileText('mm/mmap.c', mmap);
    parses.push(performance.now() - t);
    t = performance.now();
    last = await engine.updateFile('mm/mmap.c', mmap);
    edits.push(performance.now() - t);
  }
  rows.push(['one-line edit in mm/mmap.c: full parse + re-analysis', `${median(edits).toFixed(0)} ms`, `goal <= 30 ms; parse alone ${median(parses).toFixed(0)} ms; ${last.changed} function(s) changed, entries ${last.entriesRecomputed ? 'recomputed' : 'kept'}`]);

  // 3b. The same edits as the language server makes them: tree-sitter reuses the old tree.
  const inc = new IncrementalParser('mm/mmap.c');
  await inc.parse(mmap);
  const incEdits: number[] = [];
  const incParse: number[] = [];
  const incBuild: number[] = [];
  for (let i = 0; i < 9; i++) {
    const at = mmap.indexOf('\n', mmap.indexOf('void exit_mmap(struct mm_struct *mm)') + 40);
    mmap = mmap.slice(0, at + 1) + `\tnr_accounted += 0; /* inc ${i} */\n` + mmap.slice(at + 1);
    const t = performance.now();
    const r = await inc.parse(mmap);
    last = engine.updateFileIR(r.ir);
    incEdits.push(performance.now() - t);
    incParse.push(r.parseMs);
    incBuild.push(r.buildMs);
  }
  inc.dispose();
  rows.push(['one-line edit in mm/mmap.c: incremental parse + re-analysis', `${median(incEdits).toFixed(0)} ms`, `goal <= 30 ms; tree-sitter ${median(incParse).toFixed(1)} ms, IR ${median(incBuild).toFixed(1)} ms`]);
  fs.rmSync(cache, { recursive: true, force: true });

  // 4. The language server over stdio, as an editor drives it.
  rows.push(...(await lspFigures(root)));

  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`Kernel Lock Lens bench on ${root} (${os.cpus().length} cores, node ${process.version})`);
  for (const [k, v, note] of rows) console.log(`${k.padEnd(w)}  ${v.padStart(12)}  ${note}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
