/**
 * The long differential run against real Mnesia (`npm run test:soak`): by default 1,000 seeded
 * sequences of 100 ops (seeds 10,000 and up, disjoint from the short run's), in batches of 100
 * sequences per escript run. `DIFF_SEEDS`, `DIFF_OPS`, `DIFF_FIRST_SEED` override.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runDifferential } from './compare.js'
import { ensureErlang } from './erlang-env.js'
import { generate } from './generator.js'

const SEEDS = Number(process.env.DIFF_SEEDS ?? 1000)
const OPS = Number(process.env.DIFF_OPS ?? 100)
const FIRST = Number(process.env.DIFF_FIRST_SEED ?? 10_000)
const BATCH = 100

let escript = ''
beforeAll(() => {
  escript = ensureErlang()
}, 900_000)

describe('webnesia agrees with Mnesia (soak)', () => {
  it(`${String(SEEDS)} seeded sequences of ${String(OPS)} ops`, async () => {
    const differences: string[] = []
    let ops = 0
    for (let b = 0; b < SEEDS; b += BATCH) {
      const seqs = Array.from({ length: Math.min(BATCH, SEEDS - b) }, (_, i) => generate(FIRST + b + i, OPS))
      const report = await runDifferential(escript, seqs, Math.max(0, 5 - differences.length))
      ops += report.ops
      differences.push(...report.differences)
      console.log(`differential soak: seeds ${String(FIRST + b)}..${String(FIRST + b + seqs.length - 1)}, ${String(ops)} ops so far, ${String(differences.length)} differing`)
    }
    expect(differences.join('\n\n')).toBe('')
  }, 24 * 3_600_000)
})
