/**
 * Serializable transactions across real tabs: read-increment-write on hot keys loses nothing, and
 * read-only transactions always see a consistent bank.
 */
import { expect, openHarness, test } from './fixtures.js'
import { openIn } from './helpers.js'

const TABS = 4

test('4 tabs × 500 read-increment-write transactions over 10 hot keys: 0 lost updates', async ({ harness, context, dbName }) => {
  test.setTimeout(120_000)
  const tabs = [harness]
  for (let i = 1; i < TABS; i++) tabs.push(await openHarness(await context.newPage()))
  await openIn(harness, dbName)
  await harness.evaluate(async () => {
    await db.createTable('hot', { attributes: ['k', 'n'] })
    await db.transaction(async (t) => {
      for (let k = 0; k < 10; k++) await t.write('hot', { k, n: 0 })
    })
  })
  for (const t of tabs.slice(1)) await openIn(t, dbName)
  const counts = await Promise.all(
    tabs.map((t, ti) =>
      t.evaluate(async (seed) => {
        await db.waitForTables(['hot'], 10_000)
        const mine = Array.from({ length: 10 }, () => 0)
        let x = seed + 1
        const rand = (): number => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648)
        const worker = async (jobs: number): Promise<void> => {
          for (let i = 0; i < jobs; i++) {
            const k = Math.floor(rand() * 10)
            await db.transaction(async (t) => {
              const [r] = await t.read('hot', k)
              await t.write('hot', { k, n: (r?.['n'] as number) + 1 })
            })
            mine[k] = (mine[k] ?? 0) + 1
          }
        }
        // 5 concurrent workers per tab: contention inside the tab and across tabs.
        await Promise.all(Array.from({ length: 5 }, () => worker(100)))
        return mine
      }, ti),
    ),
  )
  const expected = Array.from({ length: 10 }, (_, k) => counts.reduce((s, c) => s + (c[k] ?? 0), 0))
  expect(expected.reduce((a, b) => a + b, 0)).toBe(TABS * 500)
  for (const t of tabs) {
    await expect
      .poll(() => t.evaluate(() => db.transaction((tx) => tx.select<number>('hot', [[{ k: '_', n: '$1' }, [], ['$1']]]))))
      .toEqual(expected)
  }
})

test('a bank of 10 accounts: transfers from 4 tabs, every read-only transaction sees the constant total', async ({ harness, context, dbName }) => {
  test.setTimeout(120_000)
  const tabs = [harness]
  for (let i = 1; i < TABS; i++) tabs.push(await openHarness(await context.newPage()))
  await openIn(harness, dbName)
  await harness.evaluate(async () => {
    await db.createTable('account', { attributes: ['id', 'balance'], type: 'ordered_set' })
    await db.transaction(async (t) => {
      for (let id = 0; id < 10; id++) await t.write('account', { id, balance: 100 })
    })
  })
  for (const t of tabs.slice(1)) await openIn(t, dbName)
  const totals = await Promise.all(
    tabs.map((t, ti) =>
      t.evaluate(async (seed) => {
        await db.waitForTables(['account'], 10_000)
        let x = seed + 7
        const rand = (n: number): number => ((x = (x * 1103515245 + 12345) % 2147483648), Math.floor((x / 2147483648) * n))
        const seen: number[] = []
        const transfers = async (): Promise<void> => {
          for (let i = 0; i < 100; i++) {
            const from = rand(10)
            const to = (from + 1 + rand(9)) % 10
            const amount = rand(30)
            await db.transaction(async (t) => {
              const [a] = await t.read('account', from)
              const [b] = await t.read('account', to)
              await t.write('account', { id: from, balance: (a?.['balance'] as number) - amount })
              await t.write('account', { id: to, balance: (b?.['balance'] as number) + amount })
            })
          }
        }
        const audits = async (): Promise<void> => {
          for (let i = 0; i < 60; i++) {
            seen.push(await db.transaction((t) => t.foldl((r, acc: number) => acc + (r['balance'] as number), 0, 'account')))
          }
        }
        await Promise.all([transfers(), transfers(), audits()])
        return seen
      }, ti),
    ),
  )
  const all = totals.flat()
  expect(all.length).toBe(TABS * 60)
  expect(new Set(all)).toEqual(new Set([1000]))
})
