/**
 * A frozen tab must not stall its node: Chromium still runs a frozen page's BroadcastChannel
 * handlers but not the IndexedDB callbacks after them, so a catch-up begun there would keep a log
 * transaction open and block every other tab's commits (src/log/tabs.ts holds messages while frozen).
 */
import { expect, freezePage, openHarness, test, uniqueName } from './fixtures.js'

test('commits of the other tabs go on while a tab of the node is frozen', async ({ freezable }) => {
  test.setTimeout(120_000) // two freezable tabs: slow to start on a loaded machine
  const name = uniqueName('frozen')
  const a = await openHarness(await freezable.context.newPage())
  const b = await openHarness(await freezable.context.newPage())
  for (const p of [a, b]) await p.evaluate(async (name) => void (window.db = await webnesia.openDatabase({ name })), name)
  await a.evaluate(() => db.createTable('t', { attributes: ['k', 'v'] }))
  await b.evaluate(() => db.waitForTables(['t'], 10_000))
  const resume = await freezePage(a)
  const outcomes = await b.evaluate(async () => {
    const out: string[] = []
    for (let i = 0; i < 5; i++) {
      const commit = db.transaction(async (t) => {
        await t.read('t', 1, 'write')
        await t.write('t', { k: 1, v: i })
      })
      out.push(await Promise.race([commit.then(() => 'ok'), new Promise<string>((r) => setTimeout(() => r('blocked'), 4000))]))
    }
    return out
  })
  expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
  // Not evaluated in `a` after this: on resume Vite's client reloads the page (TESTING.md).
  await resume()
})
