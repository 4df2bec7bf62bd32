/**
 * Hostile remote input (issue 14, item 4), the short run of `npm test`: 900 generated malformed
 * frames and updates (remote-fuzz.ts; the 10,000-case run is remote-fuzz.soak.test.ts). Each is
 * rejected (link closed, nothing changed) or, a mutation that stayed valid, accepted; the victim's
 * disc equals its memory afterwards and a valid peer still converges with it.
 */
import { expect, it } from 'vitest'
import { fuzzRemote, fuzzReport, GENERATORS } from './remote-fuzz.js'

it('900 malformed remote inputs: rejected in bounded time, nothing changed, the valid peer converges', async () => {
  const stats = await fuzzRemote(900, Number(process.env['FUZZ_SEED'] ?? 14))
  console.log(fuzzReport(stats))
  for (const g of GENERATORS) expect((stats.get(g.name)?.rejected ?? 0), g.name).toBeGreaterThan(0)
}, 120_000)
