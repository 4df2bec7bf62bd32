/**
 * No tab can stall the node (DESIGN.md decision 7). Tab B is frozen (CDP lifecycle `frozen`, in a
 * freezable browser) in the middle of its own work — a loop of commits, its catch-ups of A's
 * commits, its housekeeping — so it is frozen with IndexedDB transactions open. Before the fix, such
 * a transaction held the log store until B ran again and A's next commit waited for it (30 s and
 * more). Now B aborts its open transactions on `freeze` and opens none until `resume`: A's 200
 * commits are all acknowledged promptly, and B, resumed, has every one of them and finishes its own.
 */
import { expect, freezePage, openHarness, test, uniqueName } from './fixtures.js'

test('200 commits in tab A while tab B is frozen mid-commit are all acknowledged promptly', async ({ freezable }) => {
  test.setTimeout(120_000)
  const name = uniqueName('frozen')
  const a = await openHarness(await freezable.context.newPage())
  const b = await openHarness(await freezable.context.newPage())
  for (const p of [a, b]) await p.evaluate((name) => webnesia.openDatabase({ name }).then((h) => void (window.db = h)), name)
  await a.evaluate(() => db.createTable('t', { attributes: ['k', 'v'] }))
  await a.evaluate(() => db.createTable('b', { attributes: ['k', 'v'] }))
  // B commits in a loop (and catches up with A's commits) until it has written 300 records.
  await b.evaluate(() => {
    void (async () => {
      for (let i = 0; i < 300; i++) await db.transaction((t) => t.write('b', { k: i, v: 'b' }))
    })()
  })
  await expect.poll(() => b.evaluate(() => db.tableInfo('b', 'size'))).toBeGreaterThan(5)
  const resume = await freezePage(b)
  const times = await a.evaluate(async () => {
    const out: number[] = []
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now()
      await db.transaction((t) => t.write('t', { k: i, v: 'a' }))
      out.push(performance.now() - t0)
    }
    return out
  })
  const worst = Math.max(...times)
  test.info().annotations.push({ type: 'worst commit while B is frozen', description: `${worst.toFixed(0)} ms` })
  expect(worst).toBeLessThan(2_000)
  await resume()
  await expect.poll(() => b.evaluate(() => db.tableInfo('t', 'size')), { timeout: 20_000 }).toBe(200)
  await expect.poll(() => a.evaluate(() => db.tableInfo('b', 'size')), { timeout: 20_000 }).toBe(300)
})
