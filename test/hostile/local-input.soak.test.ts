/**
 * Hostile local input at scale (issue 14, item 3): at least 10,000 malformed calls over every
 * public entry point (`npm run test:soak`). Each is a typed WebnesiaError within 5 s, and memory
 * (after each call) and the IndexedDB stores (after each batch) are unchanged. The counts per
 * entry point and the slowest refusal are printed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { hostileRun, openFixture, report, type Fixture, type Stats } from './harness.js'

let f: Fixture
beforeAll(async () => {
  f = await openFixture()
})
afterAll(() => f.close())

it('10,000 malformed inputs at every entry point: typed errors, nothing changed', async () => {
  const stats: Stats = new Map()
  await hostileRun(f, { runs: 2000, batch: 10, seed: Number(process.env['HOSTILE_SEED'] ?? 2026) }, stats)
  console.log(report(stats))
  expect([...stats.values()].reduce((n, s) => n + s.n, 0)).toBeGreaterThanOrEqual(10_000)
})
