/**
 * One node, several tabs: counters atomic across tabs, schema seen everywhere, version upgrades
 * that never hang an older tab.
 */
import { expect, openHarness, test } from './fixtures.js'
import { openIn } from './helpers.js'

test('3 tabs × 300 dirtyUpdateCounter increments end at exactly 900 everywhere and on disc', async ({ harness, context, dbName }) => {
  const tabs = [harness, await openHarness(await context.newPage()), await openHarness(await context.newPage())]
  await openIn(harness, dbName)
  await harness.evaluate(() => db.createTable('counter', { attributes: ['name', 'n'] }))
  for (const t of tabs.slice(1)) await openIn(t, dbName)
  for (const t of tabs) await t.evaluate(() => db.waitForTables(['counter'], 10_000))

  const returned = await Promise.all(
    tabs.map((t) =>
      t.evaluate(async () => {
        const values: number[] = []
        const pending: Promise<void>[] = []
        for (let i = 0; i < 300; i++) {
          pending.push(db.dirtyUpdateCounter('counter', 'hits', 1).then((v) => void values.push(v)))
          if (i % 30 === 29) await Promise.all(pending.splice(0))
        }
        await Promise.all(pending)
        return values
      }),
    ),
  )
  // Every increment got its own value: no two increments saw the same counter.
  const all = returned.flat().sort((a, b) => a - b)
  expect(all).toEqual(Array.from({ length: 900 }, (_, i) => i + 1))
  for (const t of tabs) {
    await expect.poll(() => t.evaluate(async () => (await db.dirtyRead('counter', 'hits'))[0]?.['n'])).toBe(900)
  }
  // On disc: a tab opened after every other tab closed loads the table from IndexedDB.
  for (const t of tabs) await t.evaluate(() => db.close())
  const fresh = await openHarness(await context.newPage())
  const onDisc = await fresh.evaluate(async (name) => {
    const d = await webnesia.openDatabase({ name })
    return (await d.dirtyRead('counter', 'hits'))[0]?.['n']
  }, dbName)
  expect(onDisc).toBe(900)
})

test('a table created in tab A is written in tab B and read in tab C', async ({ harness, context, dbName }) => {
  const [a, b, c] = [harness, await openHarness(await context.newPage()), await openHarness(await context.newPage())]
  for (const t of [a, b, c]) await openIn(t, dbName)
  await a.evaluate(() => db.createTable('emp', { attributes: ['id', 'name'], index: ['name'], type: 'ordered_set' }))
  await b.evaluate(async () => {
    await db.waitForTables(['emp'], 10_000)
    await db.transaction(async (t) => {
      await t.write('emp', { id: 1, name: 'ann' })
      await t.write('emp', { id: 2, name: 'bob' })
    })
  })
  await c.evaluate(() => db.waitForTables(['emp'], 10_000))
  await expect.poll(() => c.evaluate(() => db.dirtyIndexRead('emp', 'bob', 'name'))).toEqual([{ id: 2, name: 'bob' }])
  expect(await c.evaluate(() => db.transaction((t) => t.allKeys('emp')))).toEqual([1, 2])
})

test('a versionchange from a newer tab never hangs an older one', async ({ harness, context, dbName }) => {
  const a = harness
  const b = await openHarness(await context.newPage())
  await openIn(a, dbName)
  await a.evaluate(() => db.createTable('kv', { attributes: ['k', 'v'] }))
  await openIn(b, dbName)
  // A keeps transactions committing while B upgrades the database twice (two new object stores).
  const busy = a.evaluate(async () => {
    for (let i = 0; i < 100; i++) await db.transaction((t) => t.write('kv', { k: i % 5, v: i }))
    return 'done'
  })
  await b.evaluate(async () => {
    await db.createTable('late1', { attributes: ['k', 'v'] })
    await db.createTable('late2', { attributes: ['k', 'v'], storage: 'disc_only_copies' })
  })
  expect(await busy).toBe('done')
  // The older tab sees the new tables and writes to them.
  await a.evaluate(async () => {
    await db.waitForTables(['late1', 'late2'], 10_000)
    await db.dirtyWrite('late2', { k: 'x', v: 1 })
  })
  await expect.poll(() => b.evaluate(() => db.dirtyRead('late2', 'x'))).toEqual([{ k: 'x', v: 1 }])
})
