/**
 * A select inside a transaction sees the transaction's own writes and deletes, and an insert
 * into the selected range by another tab makes the transaction run again.
 */
import { expect, openHarness, test } from './fixtures.js'
import { openIn } from './helpers.js'

test('a select in a transaction sees own writes; a concurrent insert in its range from another tab forces a rerun', async ({ harness, context, dbName }) => {
  const other = await openHarness(await context.newPage())
  await openIn(harness, dbName)
  await harness.evaluate(async () => {
    await db.createTable('ev', { attributes: ['id', 'kind'], type: 'ordered_set' })
    await db.transaction(async (t) => {
      for (let day = 1; day <= 3; day++) for (let n = 0; n < 3; n++) await t.write('ev', { id: [day, n], kind: 'old' })
    })
  })
  await openIn(other, dbName)
  await other.evaluate(() => db.waitForTables(['ev'], 10_000))

  // The transaction pauses after its select until the test says go; meanwhile the other tab inserts.
  await harness.evaluate(() => {
    const w = window as unknown as { go: () => void; selected: Promise<void>; result: Promise<unknown> }
    let go!: () => void
    const gate = new Promise<void>((r) => (go = r))
    let selectedOnce!: () => void
    w.selected = new Promise<void>((r) => (selectedOnce = r))
    w.go = go
    let runs = 0
    w.result = db.transaction(async (t) => {
      runs++
      await t.write('ev', { id: [2, 9], kind: 'mine' })
      await t.delete('ev', [2, 0])
      const day2 = await t.select('ev', [[{ id: [2, '$1'], kind: '$2' }, [], [['$1', '$2']]]])
      if (runs === 1) {
        selectedOnce()
        await gate
      }
      await t.write('ev', { id: [9, 0], kind: `saw ${String(day2.length)}` })
      return { runs, day2 }
    })
  })
  await harness.evaluate(() => (window as unknown as { selected: Promise<void> }).selected)
  await other.evaluate(() => db.dirtyWrite('ev', { id: [2, 5], kind: 'theirs' }))
  await harness.evaluate(() => (window as unknown as { go: () => void }).go())
  const result = await harness.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)
  expect(result).toEqual({
    runs: 2,
    day2: [
      [1, 'old'],
      [2, 'old'],
      [5, 'theirs'],
      [9, 'mine'],
    ],
  })
  await expect.poll(() => other.evaluate(() => db.dirtyRead('ev', [9, 0]))).toEqual([{ id: [9, 0], kind: 'saw 4' }])
})
