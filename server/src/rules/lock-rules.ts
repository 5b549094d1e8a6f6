/**
 * The rules LL001-LL007 (LOCKING.md section 5), read off the program's flows,
 * summaries and entry states. Each diagnostic names the path that leads to it.
 *
 * Who is blamed: a problem that exists only because of what a caller holds
 * is reported at the caller that took (or failed to take) the lock, once,
 * not again in every function down the chain. A state "touched" on a path
 * is one this function's own lock operations produced.
 */
import { callbackHoldsLock } from '../interproc/callbacks';
import { documentedLockDrop } from '../interproc/documented-context';
import type { FnRef } from '../interproc/function-table';
import type { Program } from '../interproc/program';
import { chainNames, entryChain, hasRealSource } from '../interproc/provenance';
import { IDENT } from '../lockflow/argument-facts';
import { setsProtocolBit } from '../lockflow/bits';
import { DEADLOCK, type FlowEvent, type FlowResult } from '../lockflow/dataflow';
import { lockExpr } from '../lockflow/instances';
import { type AbsState, formatModes, type Mode, MODES, modeOf, sortModes } from '../lockflow/modes';
import { describeTrans } from '../lockflow/summary';
import type { Span } from '../parse/ir';
import { type Diagnostic, type RelatedLocation, RULES, type RuleCode } from './diagnostic';

const held = (m: Mode) => m !== 'none';
const touched = (s: Pick<AbsState, 'touched'>, inst: number) => (s.touched & (1 << inst)) !== 0;

export interface RuleOptions {
  /** Only these files (relative paths) get diagnostics; all when undefined. */
  files?: Set<string>;
}

export function runRules(p: Program, opts: RuleOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const judge = new ExitJudge(p);
  for (const ref of p.table.all()) {
    if (opts.files && !opts.files.has(ref.file)) continue;
    const flow = p.flows.get(ref.id);
    if (!flow) continue;
    const entry = new Set(p.entryModes(ref));
    const before = out.length;
    runOn(new FnCtx(p, ref, flow, entry, out, judge));
    if (out.length > before) confirmInContexts(p, ref, out, before, judge);
  }
  deviantCallers(p, opts, out);
  return dedupe(out);
}

function runOn(ctx: FnCtx): void {
  ctx.lockOps();
  ctx.calls();
  ctx.returns();
}

/**
 * Keeps what the function's plain flow found (`out` from `from` on) only where a flow its lines
 * are read from finds it too. A function entered with argument facts (fixup_user_fault() with
 * its callers' fault flags, none of which has FAULT_FLAG_RETRY_NOWAIT) is analysed under each of
 * them for hovers; its plain flow knows none, and takes paths no caller sends it down.
 */
function confirmInContexts(p: Program, ref: FnRef, out: Diagnostic[], from: number, judge: ExitJudge): void {
  const flows = p.lineFlows(ref);
  if (!flows.some((f) => f.facts)) return;
  const found: Diagnostic[] = [];
  // LL004 is judged from summaries, not flows (below): only the per-path rules run again.
  for (const f of flows) {
    const ctx = new FnCtx(p, ref, f.flow, new Set(f.modes), found, judge);
    ctx.lockOps();
    ctx.calls();
  }
  const seen = new Set(found.map((d) => `${d.code}:${d.at[0]}:${d.at[1]}`));
  // LL004 reads the function's summary; its differing exits must show in one of these flows too.
  const differs = flows.some((f) => f.modes.some((m) => new Set(f.flow.exits.filter((x) => x.entry === m && !x.facts.includes(DEADLOCK)).map((x) => x.modes[0])).size > 1));
  const kept = out.slice(from).filter((d) => (d.code === 'LL004' ? differs : seen.has(`${d.code}:${d.at[0]}:${d.at[1]}`)));
  out.length = from;
  out.push(...kept);
}

class FnCtx {
  constructor(
    readonly p: Program,
    readonly ref: FnRef,
    readonly flow: FlowResult,
    readonly entry: Set<Mode>,
    readonly out: Diagnostic[],
    private readonly judge: ExitJudge,
  ) {}

  get name(): string {
    return this.ref.fn.name;
  }

  /** Events of a node grouped, keeping only states reachable under the inferred entry modes. */
  private grouped(filter: (ev: FlowEvent) => boolean): Map<string, FlowEvent[]> {
    const m = new Map<string, FlowEvent[]>();
    for (const ev of this.flow.events) {
      if (!this.entry.has(ev.before.entry) || ev.before.deadlock || !filter(ev)) continue;
      const key = `${ev.node}:${ev.at[0]}:${ev.at[1]}:${ev.callee}`;
      const list = m.get(key);
      if (list) list.push(ev);
      else m.set(key, [ev]);
    }
    return m;
  }

  report(code: RuleCode, at: Span, message: string, related: RelatedLocation[], severity = RULES[code].severity): void {
    this.out.push({ file: this.ref.file, at, severity, code, message, function: this.name, related });
  }

  /** Callback membership that makes this function run with mmap_lock held. */
  private heldCallback(): { struct: string; member: string } | undefined {
    return this.p.registeredAs.get(this.ref.id)?.find((r) => callbackHoldsLock(r.struct, r.member));
  }

  /**
   * The bad states this function answers for: those its own lock operations
   * produced, or all of them in a syscall (nobody above it to blame). Untouched
   * bad states elsewhere become the function's requirement and are reported
   * at its callers (LL005).
   */
  private blamedHere(bad: FlowEvent[], inst: number): FlowEvent[] {
    return this.ref.fn.syscall !== undefined ? bad : bad.filter((e) => touched(e.before, inst));
  }

  private entryRelated(modes: Mode[]): RelatedLocation[] {
    const m = modes.find(held) ?? modes[0];
    return m ? entryChain(this.p, this.ref, m) : [];
  }

  lockOps(): void {
    const inst = this.flow.inst;
    for (const evs of this.grouped((ev) => ev.kind !== 'call' && ev.kind !== 'query').values()) {
      const ev = evs[0];
      const lock = inst.name(ev.inst);
      const call = ev.guard ? `guard(${ev.guard})` : `${ev.callee}(${lockExpr(ev.args[0] ?? '')})`;
      if (ev.kind === 'acquire' && !ev.prim?.taken) {
        const own = evs.filter((e) => held(modeOf(e.before, ev.inst)) && touched(e.before, ev.inst));
        const fromEntry = evs.filter((e) => held(modeOf(e.before, ev.inst)) && !touched(e.before, ev.inst));
        if (own.length) {
          const modes = formatModes(own.map((e) => modeOf(e.before, ev.inst)));
          this.report('LL002', ev.at, `${call} while ${lock} may already be held (${modes}) on this path: self-deadlock`, this.acquireSites(ev));
        }
        if (fromEntry.length) {
          const modes = sortModes(fromEntry.map((e) => modeOf(e.before, ev.inst)));
          const cb = this.heldCallback();
          if (cb) {
            this.report('LL001', ev.at, `${this.name}() is a ${cb.struct}.${cb.member} callback, called with mmap_lock held (${formatModes(modes)}${this.chainText(modes)}), and ${call} takes it again: deadlock`, this.entryRelated(modes));
          } else if (!modes.some((m) => hasRealSource(this.p, this.ref, m))) {
            this.report('LL002', ev.at, `${call} while ${lock} may already be held on entry (${formatModes(modes)}): self-deadlock`, this.entryRelated(modes));
          }
        }
      } else if (ev.kind === 'release' || ev.kind === 'downgrade') {
        if (ev.callee === 'guard-release') continue;
        const expected = ev.prim!.mode;
        const bad = evs.filter((e) => modeOf(e.before, ev.inst) !== expected);
        // This function takes the lock on some paths: then a path where it is not held is its own bug too.
        const ownsLock = evs.some((e) => touched(e.before, ev.inst) && modeOf(e.before, ev.inst) === expected);
        const list = ownsLock ? bad : this.blamedHere(bad, ev.inst);
        if (!list.length) continue;
        const modes = sortModes(list.map((e) => modeOf(e.before, ev.inst)));
        const what = modes.includes('none')
          ? `${call} on a path where ${lock} may not be held (${formatModes(modes)})`
          : `${call} while ${lock} is held for ${formatModes(modes)}: unlock in the wrong mode`;
        const severity = list.length === evs.length ? 'error' : 'warning';
        this.report('LL003', ev.at, what, this.acquireSites(ev), severity);
      } else if (ev.kind === 'assert') {
        const accepts = ev.prim!.accepts!;
        const list = this.blamedHere(evs.filter((e) => !accepts.includes(modeOf(e.before, ev.inst))), ev.inst);
        if (!list.length) continue;
        const modes = formatModes(list.map((e) => modeOf(e.before, ev.inst)));
        this.report('LL006', ev.at, `${call} can fail: ${lock} may be ${modes} here`, this.acquireSites(ev));
      }
    }
  }

  calls(): void {
    const cb = this.heldCallback();
    for (const evs of this.grouped((ev) => ev.kind === 'call' && !!ev.summary).values()) {
      const ev = evs[0];
      const s = ev.summary!;
      const lock = this.flow.inst.name(ev.inst);
      if (s.acquires) {
        const heldHere = evs.filter((e) => held(modeOf(e.before, ev.inst)));
        const own = heldHere.filter((e) => touched(e.before, ev.inst));
        const fromEntry = heldHere.filter((e) => !touched(e.before, ev.inst));
        const path = [ev.callee, ...s.acquires.via.slice(1)].join('() -> ') + '()';
        const related: RelatedLocation[] = [{ file: s.acquires.file, at: s.acquires.at, message: `${s.acquires.callee} takes mmap_lock here` }];
        if (own.length) {
          this.report('LL002', ev.at, `calls ${path}, which takes mmap_lock (${s.acquires.callee}), while ${lock} is held (${formatModes(own.map((e) => modeOf(e.before, ev.inst)))}): deadlock`, [...related, ...this.acquireSites(ev)]);
        } else if (fromEntry.length && cb) {
          const modes = sortModes(fromEntry.map((e) => modeOf(e.before, ev.inst)));
          this.report('LL001', ev.at, `${this.name}() is a ${cb.struct}.${cb.member} callback, called with mmap_lock held (${formatModes(modes)}${this.chainText(modes)}), and calls ${path}, which takes mmap_lock (${s.acquires.callee}): deadlock`, [...related, ...this.entryRelated(modes)]);
        }
      }
      if (s.requires) {
        const list = this.blamedHere(evs.filter((e) => !s.requires!.modes.includes(modeOf(e.before, ev.inst))), ev.inst);
        if (!list.length) continue;
        const modes = formatModes(list.map((e) => modeOf(e.before, ev.inst)));
        const related: RelatedLocation[] = [];
        if (s.requires.file && s.requires.at) related.push({ file: s.requires.file, at: s.requires.at, message: `${ev.callee}() ${s.requires.why}` });
        related.push(...this.acquireSites(ev));
        this.report('LL005', ev.at, `calls ${ev.callee}() with ${lock} ${modes}, but ${ev.callee}() needs ${formatModes(s.requires.modes)}: it ${s.requires.why}`, related, list.length === evs.length ? 'error' : 'warning');
      }
    }
  }

  returns(): void {
    for (const e of this.entry) {
      const modes = this.judge.unexplainedExits(this.ref, e);
      // Only a callee's exits differ, and that callee is flagged for it (or inherits it in turn):
      // the report stays where the paths part, not on every caller up the chain.
      if (!modes || !this.judge.flaggedUnder(this.ref, e)) continue;
      const related = this.returnSites(e);
      const summary = this.p.summary(this.ref);
      const { heirs, capped } = this.judge.heirsOf(this.ref);
      const distinct = [...new Set(heirs.map((h) => h.fn.name + '()'))];
      const names = distinct.slice(0, 3).join(', ') + (distinct.length > 3 ? ', ...' : '');
      const count = `${capped ? 'at least ' : ''}${heirs.length} function${heirs.length > 1 ? 's' : ''}`;
      const inherited = heirs.length ? `; ${count} up the call chain return${heirs.length > 1 ? '' : 's'} in differing modes through it and ${heirs.length > 1 ? 'are' : 'is'} not flagged (${names})` : '';
      // The nearest callers that inherit it, after the return sites: where else the same paths show.
      for (const h of heirs.slice(0, 3)) related.push({ file: h.file, at: h.fn.nameAt, message: `${h.fn.name}() returns in differing modes through ${this.name}() (not flagged itself)` });
      this.report('LL004', this.ref.fn.nameAt, `${this.name}() returns with ${this.flow.inst.name(0)} ${modes.join(' on one path and ')} on another (entered with ${e}); ${this.ref.fn.doc ? 'neither its name nor its comment says' : 'its name does not say'} it locks or unlocks (${describeTrans(summary, e)})${inherited}`, related);
      return;
    }
  }

  private chainText(modes: Mode[]): string {
    const m = modes.find(held);
    const chain = m ? chainNames(this.p, this.ref, m) : '';
    return chain ? ` from ${chain}` : '';
  }

  /** Where the lock held at an event was taken, in this function (for related locations). */
  private acquireSites(ev: FlowEvent): RelatedLocation[] {
    const out: RelatedLocation[] = [];
    for (const other of this.flow.events) {
      if (other.inst !== ev.inst || other.node === ev.node || other.at[0] > ev.at[0]) continue;
      if (other.kind === 'acquire' || other.kind === 'release' || other.kind === 'downgrade') {
        if (!out.some((o) => o.at[0] === other.at[0])) out.push({ file: this.ref.file, at: other.at, message: `${other.guard ? `guard(${other.guard})` : other.callee}: ${formatModes([modeOf(other.before, other.inst)])} -> ${formatModes(other.after.map((s) => modeOf(s, other.inst)))}` });
      }
    }
    if (!out.length) out.push(...this.entryRelated([...this.entry]));
    return out.slice(-4);
  }

  /** Return statements by the mode they leave the lock in. */
  private returnSites(entry: Mode): RelatedLocation[] {
    const out: RelatedLocation[] = [];
    for (const n of this.flow.cfg().nodes) {
      if (n.kind !== 'return' || !n.at) continue;
      const modes = this.flow.modesAt(n.id, 'out', [entry], 0);
      if (modes.length) out.push({ file: this.ref.file, at: n.at, message: `returns with mmap_lock ${formatModes(modes)}` });
    }
    const fallOff = this.flow.exits.filter((s) => s.entry === entry && s.ret === undefined);
    if (fallOff.length && !out.length) out.push({ file: this.ref.file, at: [this.ref.fn.at[2], 0, this.ref.fn.at[2], 1], message: `falls off the end with mmap_lock ${formatModes(fallOff.map((s) => modeOf(s, 0)))}` });
    return out.slice(0, 6);
  }
}

/** `compute()` once per key (undefined answers too, kept as null). */
function remembered<T>(memo: Map<string, T | null>, key: string, compute: () => T | undefined): T | undefined {
  let known = memo.get(key);
  if (known === undefined) memo.set(key, (known = compute() ?? null));
  return known ?? undefined;
}

/** A name that says the function locks, unlocks or hands a lock over: its exits may differ. */
const LOCKING_NAME = /lock|unlock|acquire|release|drop|upgrade|downgrade|get_mmap|begin|end|start|stop|finish|enter|exit_|_get$|_put$|mmap_(read|write)/i;

/**
 * LL004's judgement of functions' exits, for one run of the rules (answers are remembered: they
 * follow the program, which a run does not change, and callers up a chain ask of the same callees).
 */
class ExitJudge {
  private readonly unexplained = new Map<string, Mode[] | null>();
  private readonly inherited = new Map<string, FnRef[] | null>();
  private readonly flaggedMemo = new Map<string, boolean>();

  constructor(private readonly p: Program) {}

  /**
   * The modes a function returns with, entered with `e`, when they differ and nothing explains it:
   * not its name, a return-value or out-parameter contract, a deciding parameter, or a comment
   * saying it drops the lock. Undefined when they agree or are explained.
   */
  unexplainedExits(ref: FnRef, e: Mode): Mode[] | undefined {
    return remembered(this.unexplained, `${ref.id}|${e}`, () => this.judge(ref, e));
  }

  private judge(ref: FnRef, e: Mode): Mode[] | undefined {
    const flow = this.p.flows.get(ref.id);
    if (!flow || LOCKING_NAME.test(ref.fn.name)) return undefined;
    const exits = flow.exits.filter((s) => s.entry === e);
    const modes = sortModes(exits.map((s) => modeOf(s, 0)));
    if (modes.length < 2) return undefined;
    if (isLockContract(exits, ref.fn.returns)) return undefined;
    // `@unlock: set to true to drop the mmap_lock` (do_vmi_munmap): the caller chooses, by argument.
    if (this.p.decidingParameter(ref, e)) return undefined;
    // Its comment says it drops the lock (expand_stack(): "returns NULL and has dropped the lock").
    if (documentedLockDrop(ref.fn.doc)) return undefined;
    return modes;
  }

  /**
   * The callees a function's differing exits (entered with `e`) all come from, when each is a
   * callee whose own exits differ unexplained: the function takes, drops or downgrades no lock
   * itself, and every call that changes the lock's mode goes to such a callee. Undefined otherwise.
   * A callee whose name or comment says it drops the lock does not count: handling that is the
   * caller's job, and the caller is flagged.
   */
  inheritsExits(ref: FnRef, e: Mode): FnRef[] | undefined {
    return remembered(this.inherited, `${ref.id}|${e}`, () => this.calleesInherited(ref, e));
  }

  private calleesInherited(ref: FnRef, e: Mode): FnRef[] | undefined {
    const flow = this.p.flows.get(ref.id);
    if (!flow) return undefined;
    const from: FnRef[] = [];
    for (const ev of flow.events) {
      if (ev.before.entry !== e || ev.inst !== 0) continue;
      if (ev.kind === 'acquire' || ev.kind === 'release' || ev.kind === 'downgrade') return undefined;
      if (ev.kind !== 'call') continue;
      const before = ev.before.modes[0];
      if (ev.after.every((a) => a.modes[0] === before)) continue;
      const callee = IDENT.test(ev.callee) ? this.p.table.resolve(ev.callee, ref.file) : undefined;
      if (!callee || callee === ref || !this.unexplainedExits(callee, modeOf(ev.before, 0))) return undefined;
      if (!from.includes(callee)) from.push(callee);
    }
    return from.length ? from : undefined;
  }

  /** Whether LL004 flags `ref`, under some entry mode the program infers for it. */
  flagged(ref: FnRef): boolean {
    let v = this.flaggedMemo.get(ref.id);
    if (v !== undefined) return v;
    // A cycle asks again while the answer is being worked out: not flagged, so far.
    this.flaggedMemo.set(ref.id, false);
    v = this.p.entryModes(ref).some((e) => this.flaggedUnder(ref, e));
    this.flaggedMemo.set(ref.id, v);
    return v;
  }

  /**
   * Whether LL004 flags `ref` entered with `e`: its exits differ unexplained, and they are its own,
   * or the callees it inherits them from lead to no flagged function (a chain that only inherits
   * from itself, or a callee entered here in a mode its own entry states leave out).
   */
  flaggedUnder(ref: FnRef, e: Mode): boolean {
    if (!this.unexplainedExits(ref, e)) return false;
    const from = this.inheritsExits(ref, e);
    if (!from) return true;
    const seen = new Set<FnRef>([ref]);
    const stack = [...from];
    while (stack.length) {
      const c = stack.pop()!;
      if (seen.has(c)) continue;
      seen.add(c);
      if (this.flagged(c)) return false;
      for (const m of MODES) stack.push(...(this.inheritsExits(c, m) ?? []));
    }
    return true;
  }

  /**
   * Functions up the call chain whose differing exits come through `origin` (inheritsExits,
   * transitively) and that are therefore not flagged; at most `cap` (`capped` says so).
   */
  heirsOf(origin: FnRef, cap = 200): { heirs: FnRef[]; capped: boolean } {
    const out: FnRef[] = [];
    const seen = new Set<FnRef>([origin]);
    for (let i = -1; i < out.length; i++) {
      const g = i < 0 ? origin : out[i];
      for (const f of this.p.callersOfName(g.fn.name)) {
        if (seen.has(f) || this.p.table.resolve(g.fn.name, f.file) !== g) continue;
        if (!MODES.some((e) => this.inheritsExits(f, e)?.some((c) => seen.has(c))) || this.flagged(f)) continue;
        if (out.length >= cap) return { heirs: out, capped: true };
        seen.add(f);
        out.push(f);
      }
    }
    return { heirs: out, capped: false };
  }
}

/**
 * Exit states told apart by the return value the way kernel lock helpers do
 * it: held when it returns 0 and an error when not (killable style), held
 * when it returns true/non-NULL and 0/NULL when not (trylock and
 * lock_mm_and_find_vma style), or two held modes told apart (5.x
 * __do_munmap's downgrade result). "Held only on the error path" is a leak.
 */
function isLockContract(exits: AbsState[], returns: string | undefined): boolean {
  // Fault-retry style: every path that lost the lock returns a protocol bit (VM_FAULT_RETRY) the caller must test.
  if (exits.every((s) => held(modeOf(s, 0)) || setsProtocolBit(s.ret))) return true;
  // GUP style: every path that lost the lock says so through an out-parameter (`*locked = 0`). (A held path may
  // show `*locked == 0` too: the caller passed 0 while holding the lock, which the protocol rules out.)
  const free = exits.filter((s) => !held(modeOf(s, 0)));
  const said = free.length ? free[0].facts.filter((f) => f.startsWith('v:*') && f.endsWith('=z')) : [];
  if (said.some((f) => free.every((s) => s.facts.includes(f)))) return true;
  const byClass = new Map<string, Set<Mode>>();
  for (const s of exits) {
    // `if (!vma) ... return vma;`: non-zero is a valid pointer (or true), but an error code for an int.
    const c = s.ret === 'nz' ? (returns === 'ptr' || returns === 'bool' ? 'p' : 'e') : s.ret ?? 'u';
    byClass.set(c, (byClass.get(c) ?? new Set()).add(modeOf(s, 0)));
  }
  if ([...byClass].some(([c, ms]) => c === 'u' || ms.size > 1)) return false;
  const heldClasses = [...byClass].filter(([, ms]) => [...ms].some(held)).map(([c]) => c);
  const freeClasses = [...byClass].filter(([, ms]) => ms.has('none')).map(([c]) => c);
  if (!freeClasses.length) return true;
  const killable = heldClasses.every((c) => c === 'z') && freeClasses.every((c) => c === 'e' || c === 'nz');
  const trylock = heldClasses.every((c) => c === 'p' || /^n\d+$/.test(c)) && freeClasses.every((c) => c === 'z' || c === 'e');
  return killable || trylock;
}

/** LL007: a callee that almost every caller calls with mmap_lock held, called without it here. */
function deviantCallers(p: Program, opts: RuleOptions, out: Diagnostic[]): void {
  type Site = { caller: FnRef; at: Span; modes: Set<Mode>; perVma: boolean };
  const byCallee = new Map<string, Site[]>();
  // Checking a few files (an editor's edit): only callees called from them can get LL007 there,
  // and their call sites come from the callers index instead of a walk over the whole program.
  let callers: Iterable<FnRef> = p.table.all();
  let targets: Set<string> | undefined;
  if (opts.files) {
    targets = new Set();
    const set = new Set<FnRef>();
    for (const f of opts.files) {
      for (const r of p.table.byFile.get(f) ?? []) {
        for (const s of r.sites) {
          const t = /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.f) ? p.table.resolve(s.f, r.file) : undefined;
          if (!t || targets.has(t.id)) continue;
          targets.add(t.id);
          for (const c of p.callersOfName(t.fn.name)) set.add(c);
        }
      }
    }
    // In program order, so messages list call sites as a whole-tree check does.
    callers = [...p.table.all()].filter((c) => set.has(c));
  }
  for (const caller of callers) {
    if (p.table.notBuiltReason(caller)) continue;
    const entry = p.entryModes(caller);
    for (const s of p.sites.get(caller.id) ?? []) {
      const target = /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.site.f) ? p.table.resolve(s.site.f, caller.file) : undefined;
      if (!target || target === caller || (targets && !targets.has(target.id))) continue;
      const modes = new Set<Mode>();
      for (const e of entry) for (const m of s.byEntry[e]) modes.add(m);
      const list = byCallee.get(target.id) ?? [];
      // `handle_mm_fault(vma, address, flags | FAULT_FLAG_VMA_LOCK, regs)`: under the VMA's own lock, by design without mmap_lock.
      list.push({ caller, at: s.site.at, modes, perVma: s.site.a.some((a) => /\bFAULT_FLAG_VMA_LOCK\b/.test(a)) });
      byCallee.set(target.id, list);
    }
  }
  for (const [id, all] of byCallee) {
    const isBare = (s: Site) => s.modes.size === 1 && s.modes.has('none');
    // Only a caller that takes or drops mmap_lock itself can deviate: one that never touches it runs
    // under another guarantee (the per-VMA lock of a fault, an mm no one else can see yet), and
    // is left out of the count.
    const sites = all.filter((s) => !s.perVma && (!isBare(s) || managesLock(p, s.caller)));
    const heldSites = sites.filter((s) => s.modes.size && [...s.modes].every(held));
    const bare = sites.filter(isBare);
    // Deviant means: at least three and three quarters of the call sites hold it, a few do not.
    if (heldSites.length < 3 || !bare.length || heldSites.length * 4 < sites.length * 3) continue;
    const target = p.table.byId.get(id)!;
    if (p.summary(target).requires) continue;
    const heldCallers = [...new Set(heldSites.map((s) => s.caller.fn.name))];
    for (const s of bare) {
      if (opts.files && !opts.files.has(s.caller.file)) continue;
      out.push({
        file: s.caller.file,
        at: s.at,
        severity: RULES.LL007.severity,
        code: 'LL007',
        function: s.caller.fn.name,
        message: `${target.fn.name}() is called here without mmap_lock, but ${heldSites.length} of its ${sites.length} call sites hold it (${heldCallers.slice(0, 3).join(', ')}${heldCallers.length > 3 ? ', ...' : ''})`,
        related: heldSites.slice(0, 3).map((h) => ({ file: h.caller.file, at: h.at, message: `${h.caller.fn.name}() calls it with mmap_lock ${formatModes(h.modes)}` })),
      });
    }
  }
}

function managesLock(p: Program, r: FnRef): boolean {
  return !!p.flows.get(r.id)?.events.some((e) => e.kind === 'acquire' || e.kind === 'release' || e.kind === 'downgrade');
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.file}:${d.at[0]}:${d.at[1]}:${d.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
