/**
 * The reviewed baseline of diagnostics on Debian's 6.12 `mm/`:
 *   npm run baseline            rewrite test/baselines/linux-6.12-mm.txt from the engine, keeping verdicts
 * One line per diagnostic, keyed without line numbers (the Debian patch level moves lines):
 *   LL004 mm/gup.c faultin_page: <message> || <verdict>
 * A verdict is "real: ..." or "false positive: ...", or "unreviewed" until someone reads the code.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LockEngine } from '../server/src/engine/engine';
import type { Diagnostic } from '../server/src/rules/diagnostic';

export const BASELINE = path.resolve(__dirname, '..', '..', 'test', 'baselines', 'linux-6.12-mm.txt');

/** The key of a diagnostic: code, file, function and message, with line numbers taken out. */
export function baselineKey(d: Diagnostic): string {
  return `${d.code} ${d.file} ${d.function}: ${d.message.replace(/:\d+/g, '')}`;
}

export function readBaseline(file = BASELINE): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' || ');
    out.set(at < 0 ? line : line.slice(0, at), at < 0 ? 'unreviewed' : line.slice(at + 4));
  }
  return out;
}

export async function currentKeys(root: string, assumeNoEffect?: string[]): Promise<string[]> {
  const engine = await LockEngine.open({ root, assumeNoEffect });
  return [...new Set(engine.check(['mm']).map(baselineKey))].sort();
}

/**
 * Causes established by ablation: the engine runs again with one function taken to have no lock
 * effect; a diagnostic that disappears is explained by what that function was thought to do.
 * Each was chosen after reading the kernel code named in the verdict.
 */
const ABLATIONS: Array<{ assume: string[]; verdict: string }> = [
  {
    assume: ['release_fault_lock'],
    verdict: 'false positive (ablation): the fault-retry protocol drops the lock only when the caller set FAULT_FLAG_ALLOW_RETRY and then says so by VM_FAULT_RETRY/COMPLETED (__folio_lock_or_retry -> release_fault_lock); the flag bits are tracked, but on this path they or the VM_FAULT_RETRY result are lost (unknown flags from a caller, a cut specialisation, or a return value built from several calls)',
  },
  {
    assume: ['release_fault_lock', '__get_user_pages_locked'],
    verdict: "cause (ablation), to check per caller: GUP's *locked protocol; __get_user_pages_locked() unlocks what it locked itself, or reports a drop through a non-NULL *locked; *locked and FOLL_UNLOCKABLE are tracked, but on this path the caller's flags or *locked are not known to the engine",
  },
];

async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..', '..');
  const root = execFileSync('bash', [path.join(repo, 'scripts', 'fetch-kernel.sh'), '6.12'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  const old = readBaseline();
  // Causes found by ablation are found again (the engine changed since); verdicts written by hand are kept.
  for (const [k, v] of old) if (/\(ablation\)/.test(v)) old.set(k, 'unreviewed');
  const keys = await currentKeys(root);
  // A reworded message is the same diagnostic: a hand-written verdict follows it when the code, file
  // and function name one gone entry and one new entry only.
  const prefix = (k: string) => k.slice(0, k.indexOf(': '));
  const gone = [...old.keys()].filter((k) => !keys.includes(k));
  const fresh = keys.filter((k) => !old.has(k));
  for (const k of fresh) {
    const was = gone.filter((g) => prefix(g) === prefix(k));
    if (was.length === 1 && fresh.filter((f) => prefix(f) === prefix(k)).length === 1) old.set(k, old.get(was[0])!);
  }
  for (const a of ABLATIONS) {
    const open = keys.filter((k) => (old.get(k) ?? 'unreviewed') === 'unreviewed');
    if (!open.length) continue;
    const still = new Set(await currentKeys(root, a.assume));
    for (const k of open) if (!still.has(k)) old.set(k, a.verdict);
  }
  const head = [
    '# Diagnostics of `kernel-lock-lens check mm` on Debian linux-source-6.12, with a verdict each.',
    '# Regenerate with `npm run baseline` (verdicts are kept); the test fails when this list and the engine disagree.',
    '# Format: CODE FILE FUNCTION: MESSAGE || VERDICT',
  ];
  // ' || ' separates key and verdict: a verdict quoting C (`if (ret || !unlock)`) says 'or' instead.
  const lines = keys.map((k) => `${k} || ${(old.get(k) ?? 'unreviewed').split(' || ').join(' or ')}`);
  fs.writeFileSync(BASELINE, [...head, ...lines, ''].join('\n'));
  const reviewed = lines.filter((l) => !l.endsWith('|| unreviewed')).length;
  console.log(`${keys.length} diagnostics written to ${path.relative(repo, BASELINE)}; ${reviewed} with a verdict; ${[...old.keys()].filter((k) => !keys.includes(k)).length} gone since last time`);
}

if (require.main === module) main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
