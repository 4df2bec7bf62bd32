/**
 * A list-append history of 2,000+ transactions from 4 real tabs, checked by the Elle-style
 * checker (test/elle/checker.ts): no G0, G1a, G1b, G1c, G2-item, lost update.
 */
import { check, type Txn } from '../test/elle/checker.js'
import { expect, openHarness, test } from './fixtures.js'
import { openIn } from './helpers.js'

const TABS = 4
const PER_TAB = 520
const KEYS = 8

test('2,000+ list-append transactions from 4 tabs: 0 anomalies', async ({ harness, context, dbName }) => {
  test.setTimeout(150_000)
  const tabs = [harness]
  for (let i = 1; i < TABS; i++) tabs.push(await openHarness(await context.newPage()))
  await openIn(harness, dbName)
  await harness.evaluate(() => db.createTable('lists', { attributes: ['k', 'vals'] }))
  for (const t of tabs.slice(1)) await openIn(t, dbName)
  const histories = await Promise.all(
    tabs.map((page, tab) =>
      page.evaluate(
        async ({ tab, perTab, keys }) => {
          await db.waitForTables(['lists'], 10_000)
          let x = tab * 7919 + 1
          const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) % 2147483648), Math.floor((x / 2147483648) * n))
          type Op = ['append', number, number] | ['r', number, number[] | null]
          const out: { id: number; status: 'ok' | 'fail' | 'info'; ops: Op[] }[] = []
          let next = 0
          const worker = async (count: number): Promise<void> => {
            for (let i = 0; i < count; i++) {
              const id = tab * 100_000 + next++
              const plan: Op[] = Array.from({ length: 1 + rnd(4) }, () => (rnd(2) ? ['append', rnd(keys), 0] : ['r', rnd(keys), null]))
              let appended = 0
              for (const op of plan) if (op[0] === 'append') op[2] = id * 10 + appended++
              try {
                const ops = await db.transaction(async (t) => {
                  const done: Op[] = []
                  for (const op of plan) {
                    const [rec] = await t.read('lists', op[1])
                    const vals = (rec?.['vals'] as number[] | undefined) ?? []
                    if (op[0] === 'r') done.push(['r', op[1], [...vals]])
                    else {
                      await t.write('lists', { k: op[1], vals: [...vals, op[2]] })
                      done.push(['append', op[1], op[2]])
                    }
                  }
                  return done
                })
                out.push({ id, status: 'ok', ops })
              } catch {
                out.push({ id, status: 'fail', ops: plan })
              }
            }
          }
          await Promise.all(Array.from({ length: 4 }, () => worker(perTab / 4)))
          return out
        },
        { tab, perTab: PER_TAB, keys: KEYS },
      ),
    ),
  )
  // A final read of every key, once every tab has caught up.
  const final = await harness.evaluate(async (keys) => {
    await db.transaction(() => undefined)
    return db.transaction(async (t) => {
      const ops: ['r', number, number[]][] = []
      for (let k = 0; k < keys; k++) ops.push(['r', k, [...(((await t.read('lists', k))[0]?.['vals'] as number[] | undefined) ?? [])]])
      return ops
    })
  }, KEYS)
  const history: Txn[] = [...histories.flat(), { id: -1, status: 'ok', ops: final }]
  expect(history.filter((t) => t.status === 'ok').length).toBeGreaterThanOrEqual(2000)
  const appends = history.filter((t) => t.status === 'ok').flatMap((t) => t.ops.filter((o) => o[0] === 'append')).length
  expect(final.reduce((n, [, , l]) => n + l.length, 0)).toBe(appends)
  expect(check(history)).toEqual([])
})
