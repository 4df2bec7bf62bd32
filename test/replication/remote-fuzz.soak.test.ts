/**
 * Hostile remote input at scale (issue 14, item 4; `npm run test:soak`): 10,000 generated
 * malformed frames and updates over the simulated network (remote-fuzz.ts). Prints, per
 * generator, the cases, rejections, accepted mutations and the slowest rejection.
 */
import { expect, it } from 'vitest'
import { fuzzRemote, fuzzReport } from './remote-fuzz.js'

it('10,000 malformed remote inputs: rejected in bounded time, nothing changed, the valid peer converges', async () => {
  const stats = await fuzzRemote(10_000, Number(process.env['FUZZ_SEED'] ?? 687))
  console.log(fuzzReport(stats))
  expect([...stats.values()].reduce((n, s) => n + s.n, 0)).toBe(10_000)
})
