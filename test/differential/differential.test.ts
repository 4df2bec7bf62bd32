/**
 * Differential test against real Mnesia (OTP): seeded operation sequences run on both systems,
 * compared op by op; a difference is shrunk to a minimal sequence and printed. The long run is
 * `differential.soak.test.ts` (`npm run test:soak`).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runDifferential } from './compare.js'
import { ensureErlang } from './erlang-env.js'
import { generate } from './generator.js'

const SEEDS = Number(process.env.DIFF_SEEDS ?? 60)
const OPS = Number(process.env.DIFF_OPS ?? 60)
const FIRST = Number(process.env.DIFF_FIRST_SEED ?? 1)

let escript = ''
beforeAll(() => {
  escript = ensureErlang()
}, 900_000)

describe('webnesia agrees with Mnesia', () => {
  it(`${String(SEEDS)} seeded sequences of ${String(OPS)} ops`, async () => {
    const seqs = Array.from({ length: SEEDS }, (_, i) => generate(FIRST + i, OPS))
    const report = await runDifferential(escript, seqs, Number(process.env.DIFF_SHRINK ?? 3))
    console.log(`differential: ${String(report.sequences)} sequences, ${String(report.ops)} ops, ${String(report.differences.length)} differing`)
    expect(report.differences.join('\n\n')).toBe('')
  }, Math.max(120_000, SEEDS * OPS * 100 + Number(process.env.DIFF_SHRINK ?? 3) * 120_000))
})
