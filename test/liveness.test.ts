/**
 * Where names die (server/src/lockflow/liveness.ts): facts about a local are dropped where no later
 * node can read it, never inside a loop that reads it again, never for a parameter.
 */
import * as assert from 'assert';
import { describe, it } from 'node:test';
import { buildCfg, type Cfg } from '../server/src/cfg/cfg';
import { dyingNames, factDies } from '../server/src/lockflow/liveness';
import { parseFileText } from '../server/src/parse/parse-file';

const SOURCE = `
int lv_shape(struct mm_struct *mm, int flag)
{
	int err = lv_step(mm);
	int i = 0;

	if (err)
		lv_note(mm);
	lv_done(mm);
	while (i < 10)
		i = lv_next(i);
	lv_after(mm);
	if (flag)
		return 1;
	return 0;
}
`;

async function shape(): Promise<{ cfg: Cfg; dying: Array<readonly string[] | undefined> }> {
  const ir = await parseFileText('mm/lv_shape.c', SOURCE);
  const fn = ir.functions.find((f) => f.name === 'lv_shape')!;
  const cfg = buildCfg(fn);
  return { cfg, dying: dyingNames(cfg, new Set(fn.params)) };
}

/** The CFG node of the statement that calls `callee` (directly, or as what it assigns). */
function nodeCalling(cfg: Cfg, callee: string): number {
  const n = cfg.nodes.find((x) => {
    const e = x.e?.k === 'assign' ? x.e.rhs : x.e;
    return e?.k === 'call' && e.f === callee;
  });
  assert.ok(n, `no node calls ${callee}`);
  return n.id;
}

describe('liveness', () => {
  it('a local dies after its last test, on the edges out of it', async () => {
    const { cfg, dying } = await shape();
    const test = cfg.nodes.find((n) => n.kind === 'branch' && n.ct === 'err')!;
    assert.ok(test, 'the if (err) branch');
    for (const s of test.succ) assert.ok(dying[s]?.includes('err'), `err dies entering node ${s}`);
  });

  it('a name the loop reads again stays alive inside the loop', async () => {
    const { cfg, dying } = await shape();
    const body = nodeCalling(cfg, 'lv_next');
    const head = cfg.nodes.find((n) => n.kind === 'branch' && n.ct === 'i < 10')!;
    assert.ok(head, 'the loop test');
    assert.ok(!dying[body]?.includes('i') && !dying[head.id]?.includes('i'));
    // ...and dies past it.
    assert.ok(dying[nodeCalling(cfg, 'lv_after')]?.includes('i'));
  });

  it('parameters and plain callee names never die', async () => {
    const { dying } = await shape();
    for (const d of dying) for (const name of ['flag', 'mm', 'lv_step', 'lv_done']) assert.ok(!d?.includes(name), `${name} died`);
  });

  it('a fact dies with its leading name, or with any name of a remembered condition', () => {
    assert.ok(factDies('v:vmf->flags=B+FAULT_FLAG_WRITE', ['vmf']));
    assert.ok(factDies('v:*locked=z', ['locked']));
    assert.ok(!factDies('v:vmfx=z', ['vmf']));
    assert.ok(!factDies('v:flags=z', ['vmf']));
    assert.ok(factDies('c:vms->unlock=t', ['unlock']));
    assert.ok(!factDies('c:vms->unlocked=t', ['unlock']));
    assert.ok(!factDies('x:deadlock=1', ['deadlock']));
  });
});
