/**
 * Hostile local input (issue 14, item 3), the short run of `npm test`: a few hundred malformed
 * calls over every public entry point, each a typed WebnesiaError, memory and disc unchanged.
 * The 10,000-input run is `local-input.soak.test.ts` (`npm run test:soak`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { hostileRun, openFixture, report, type Fixture, type Stats } from './harness.js'

let f: Fixture
beforeAll(async () => {
  f = await openFixture()
})
afterAll(() => f.close())

it('malformed input at every entry point is a typed error and changes nothing', async () => {
  const stats: Stats = new Map()
  await hostileRun(f, { runs: 120, batch: 10, seed: 14 }, stats)
  console.log(report(stats))
  expect([...stats.values()].reduce((n, s) => n + s.n, 0)).toBeGreaterThan(500)
}, 120_000)
