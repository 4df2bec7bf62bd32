/**
 * A list-append history of 2,000+ committed transactions from 4 real tabs (4 concurrent workers
 * each; one transaction in 12 aborts itself after its appends), with a final read in every tab, checked by the Elle-style checker (test/elle/checker.ts): no G0, G1a, G1b, G1c, G2-item, lost
 * update, incompatible order, duplicate or garbage read. The checker's own tests
 * (test/elle/checker.test.ts) show it finds each of these when they are there.
 */
import { check, type Txn } from '../test/elle/checker.js'
import { expect, openHarness, test } from './fixtures.js'
import { openIn } from './helpers.js'

const TABS = 4
const WORKERS = 4
const PER_TAB = 580
const KEYS = 8

test('2,000+ list-append transactions from 4 tabs: 0 anomalies', async ({ harness, context, dbName }, testInfo) => {
  test.setTimeout(90_000)
  const tabs = [harness]
  for (let i = 1; i < TABS; i++) tabs.push(await openHarness(await context.newPage()))
  await openIn(harness, dbName)
  await harness.evaluate(async () => {
    await db.createTable('lists', { attributes: ['k', 'vals'], storage: 'disc_copies' })
    await db.createTable('done', { attributes: ['tab', 'at'], storage: 'disc_copies' })
  })
  for (const t of tabs.slice(1)) await openIn(t, dbName)

  const histories = await Promise.all(
    tabs.map((page, tab) =>
      page.evaluate(
        async ({ tab, perTab, workers, keys }) => {
          await db.waitForTables(['lists', 'done'], 10_000)
          let x = tab * 7919 + 1
          const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) % 2147483648), Math.floor((x / 2147483648) * n))
          type Op = ['append', number, number] | ['r', number, number[] | null]
          const out: { id: number; status: 'ok' | 'fail' | 'info'; ops: Op[]; error?: string }[] = []
          let next = 0
          const worker = async (count: number): Promise<void> => {
            for (let i = 0; i < count; i++) {
              const id = tab * 100_000 + next++
              // 1–4 micro-ops over the keys; append values are unique: id * 10 + n.
              let appended = 0
              const plan: Op[] = Array.from({ length: 1 + rnd(4) }, (): Op => (rnd(2) ? ['append', rnd(keys), id * 10 + appended++] : ['r', rnd(keys), null]))
              // One in 12 aborts itself after its writes: no read may ever see those (G1a).
              const abort = rnd(12) === 0
              try {
                const ops = await db.transaction(async (t) => {
                  const done: Op[] = [] // rebuilt on every run: only the committed run's reads count
                  for (const op of plan) {
                    const [rec] = await t.read('lists', op[1])
                    const vals = (rec?.['vals'] as number[] | undefined) ?? []
                    // An append is a read of the list and a write of it with the value pushed:
                    // the read is part of the history too (it is what the append built on).
                    done.push(['r', op[1], [...vals]])
                    if (op[0] === 'append') {
                      await t.write('lists', { k: op[1], vals: [...vals, op[2]] })
                      done.push(['append', op[1], op[2]])
                    }
                  }
                  if (abort) t.abort('planned')
                  return done
                })
                out.push({ id, status: 'ok', ops })
              } catch (e) {
                // An abort is a definite failure; any other error leaves the outcome unknown.
                const aborted = e instanceof webnesia.TransactionAbortedError
                out.push({ id, status: aborted ? 'fail' : 'info', ops: plan.map((op): Op => (op[0] === 'r' ? ['r', op[1], null] : op)), error: String(e) })
              }
            }
          }
          await Promise.all(Array.from({ length: workers }, () => worker(perTab / workers)))
          return out
        },
        { tab, perTab: PER_TAB, workers: WORKERS, keys: KEYS },
      ),
    ),
  )

  // Then a final read of every key in every tab. It writes a marker, so it goes through the commit
  // path, which validates its reads against IndexedDB: it is serialized after every transaction above.
  const finals = await Promise.all(
    tabs.map((page, tab) =>
      page.evaluate(
        async ({ tab, keys }) =>
          db.transaction(async (t) => {
            const ops: ['r', number, number[]][] = []
            for (let k = 0; k < keys; k++) ops.push(['r', k, [...(((await t.read('lists', k))[0]?.['vals'] as number[] | undefined) ?? [])]])
            await t.write('done', { tab, at: Date.now() })
            return ops
          }),
        { tab, keys: KEYS },
      ),
    ),
  )

  const history: Txn[] = histories.flat().map(({ id, status, ops }) => ({ id, status, ops }))
  finals.forEach((ops, tab) => history.push({ id: -1 - tab, status: 'ok', ops }))
  const committed = history.filter((t) => t.status === 'ok')
  const failed = histories.flat().filter((t) => t.status !== 'ok')
  const appends = committed.flatMap((t) => t.ops.filter((o) => o[0] === 'append')).length
  await testInfo.attach('summary', {
    body: JSON.stringify({ committed: committed.length, failed: failed.length, errors: [...new Set(failed.map((t) => t.error))], appends }, null, 2),
    contentType: 'application/json',
  })
  expect(committed.length).toBeGreaterThanOrEqual(2000)
  expect(failed.filter((t) => t.status === 'fail' && t.error?.includes('planned')).length).toBeGreaterThan(100)
  const anomalies = check(history, { finalTxn: -1 })
  if (anomalies.length > 0) {
    // The transactions involved, for the report.
    const involved = new Set(anomalies.slice(0, 20).flatMap((a) => a.txns))
    await testInfo.attach('anomalous transactions', {
      body: JSON.stringify(history.filter((t) => involved.has(t.id)), null, 1),
      contentType: 'application/json',
    })
  }
  expect(anomalies.slice(0, 20)).toEqual([])
  // Every tab's final read holds every committed append, and they all agree.
  for (const ops of finals) {
    expect(ops.reduce((n, [, , l]) => n + l.length, 0)).toBe(appends)
    expect(ops).toEqual(finals[0])
  }
})
