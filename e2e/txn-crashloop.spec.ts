/**
 * Crash loop: a tab committing two-table transactions is killed at random points (CDP Page.crash
 * or page.close) again and again until 500 commits were attempted. Afterwards: no acknowledged
 * commit is missing, no transaction is half there, and what the library loads equals IndexedDB.
 */
import type { Page } from '@playwright/test'
import { crashPage, expect, openHarness, test } from './fixtures.js'

const ATTEMPTS = 500

test('500 commits under repeated tab kills: 0 acknowledged missing, 0 partial, memory = disc', async ({ context, dbName }) => {
  test.setTimeout(150_000)
  const acked = new Set<number>()
  let attempted = 0
  let seed = 42
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), Math.floor((seed / 2147483648) * n))
  let round = 0
  let interrupted = 0
  while (attempted < ATTEMPTS) {
    const page: Page = await context.newPage()
    const start = attempted
    const budget = Math.min(ATTEMPTS - start, 20 + rnd(60))
    attempted += budget
    let reached!: () => void
    const killPoint = new Promise<void>((r) => (reached = r))
    const target = start + rnd(budget + 10)
    await page.exposeFunction('ack', (id: number) => {
      acked.add(id)
      if (id >= target) reached()
    })
    await openHarness(page)
    const started = page.evaluate(
      async ({ name, start, budget }) => {
        const db = await webnesia.openDatabase({ name })
        try {
          await db.createTable('debit', { attributes: ['id', 'amount'] })
          await db.createTable('credit', { attributes: ['id', 'amount'], storage: 'disc_only_copies' })
        } catch (e) {
          if (!(e instanceof webnesia.TableExistsError)) throw e
        }
        const ack = (window as unknown as { ack: (id: number) => Promise<void> }).ack
        const one = async (id: number): Promise<void> => {
          await db.transaction(async (t) => {
            await t.write('debit', { id, amount: -id })
            await t.write('credit', { id, amount: id })
          })
          await ack(id)
        }
        // Several in flight at once, so kills land inside group commits too.
        const all: Promise<void>[] = []
        for (let i = 0; i < budget; i++) {
          all.push(one(start + i))
          if (i % 5 === 4) await Promise.all(all.splice(0))
        }
        await Promise.all(all)
        return 'finished'
      },
      { name: dbName, start, budget },
    )
    let settled = false
    started.then(
      () => (settled = true),
      () => (settled = true),
    )
    // Kill as soon as a random acknowledgement of this round arrived (or after the round, sometimes).
    await Promise.race([killPoint, started.catch(() => undefined)])
    if (!settled) interrupted++
    if (round % 2 === 0) await crashPage(page)
    else await page.close()
    round++
  }
  expect(round).toBeGreaterThan(5)
  expect(interrupted).toBeGreaterThan(2) // kills landed while commits were in flight

  const check = await openHarness(await context.newPage())
  const state = await check.evaluate(async (name) => {
    const db = await webnesia.openDatabase({ name })
    const debit = (await db.dirtyAllKeys('debit')) as number[]
    const credit = (await db.dirtyAllKeys('credit')) as number[]
    const raw = await new Promise<{ debit: number[]; credit: number[] }>((resolve, reject) => {
      const req = indexedDB.open(`webnesia:${name}`)
      req.onerror = () => reject(new Error(String(req.error)))
      req.onsuccess = () => {
        const tx = req.result.transaction(['t:debit', 't:credit'], 'readonly')
        const d = tx.objectStore('t:debit').getAllKeys()
        const c = tx.objectStore('t:credit').getAllKeys()
        tx.oncomplete = () => {
          resolve({ debit: d.result as number[], credit: c.result as number[] })
          req.result.close()
        }
      }
    })
    return { debit, credit, raw }
  }, dbName)
  const onDisc = new Set(state.raw.debit)
  expect([...acked].filter((id) => !onDisc.has(id))).toEqual([])
  expect(state.raw.debit).toEqual(state.raw.credit)
  expect(state.debit).toEqual(state.raw.debit)
  expect(state.credit).toEqual(state.raw.credit)
  expect(acked.size).toBeGreaterThan(100)
})
