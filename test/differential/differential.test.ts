/**
 * Differential test against real Mnesia (OTP): seeded operation sequences run on both systems,
 * compared op by op; a difference is shrunk to a minimal sequence and printed. The long run is
 * `differential.soak.test.ts` (`npm run test:soak`); see README.md here.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { compareAll, runDifferential, shrink } from './compare.js'
import { ensureErlang } from './erlang-env.js'
import { generate } from './generator.js'
import type { Op, Sequence } from './ops.js'

const SEEDS = Number(process.env.DIFF_SEEDS ?? 60)
const OPS = Number(process.env.DIFF_OPS ?? 60)
const FIRST = Number(process.env.DIFF_FIRST_SEED ?? 1)
const SHRINK = Number(process.env.DIFF_SHRINK ?? 3)

let escript = ''
beforeAll(() => {
  escript = ensureErlang()
}, 900_000)

describe('webnesia agrees with Mnesia', () => {
  it(`${String(SEEDS)} seeded sequences of ${String(OPS)} ops`, async () => {
    const seqs = Array.from({ length: SEEDS }, (_, i) => generate(FIRST + i, OPS))
    const report = await runDifferential(escript, seqs, SHRINK)
    console.log(`differential: ${String(report.sequences)} sequences, ${String(report.ops)} ops, ${String(report.differences.length)} differing`)
    expect(report.differences.join('\n\n')).toBe('')
  }, Math.max(120_000, SEEDS * OPS * 100 + SHRINK * 120_000))

  it('a planted difference is found and shrunk to the two ops that show it', async () => {
    // Erlang's 4 / 2 is the float 2.0, not =:= 2; JS has one number type (a difference of the
    // mapping itself, which the generator never produces). It shows once the table has a record.
    const base = generate(77, 12)
    const tab = (base.tables[0] as Sequence['tables'][number]).name
    const planted: Op = { op: 'select', tab, spec: [['_', [], [['=:=', ['/', 4, 2], 2]]]] }
    const write: Op = { op: 'write', tab, rec: base.tables[0]?.doms.map((d) => (d === 'pair' ? [1, 'a'] : 1)) ?? [] }
    const seq: Sequence = { ...base, ops: [...base.ops.slice(0, 4), write, ...base.ops.slice(4, 8), planted, ...base.ops.slice(8)] }
    const [diff] = await compareAll(escript, [seq])
    expect(diff?.op).toEqual(planted)
    const small = await shrink(escript, seq, diff as NonNullable<typeof diff>)
    expect(small.seq.ops).toHaveLength(2)
    expect(small.seq.ops[1]).toEqual(planted)
    expect(small.diff.mnesia).toEqual({ r: [false] })
    expect(small.diff.webnesia).toEqual({ r: [true] })
  }, 300_000)
})
