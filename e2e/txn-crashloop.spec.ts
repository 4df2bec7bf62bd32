/**
 * Crash loop: a tab committing two-table transactions (a debit and a credit sharing a transfer id)
 * is killed at random points, by CDP Page.crash and page.close() in turn, again and again, a new
 * tab taking over after each kill, until 500 commits were attempted. Meanwhile an observer tab
 * keeps the node open and follows the commits. Afterwards, in a fresh tab: no acknowledged commit
 * is missing, no transfer is half there, and what the library returns (in the fresh tab and in the
 * observer) equals what IndexedDB holds.
 */
import type { Page } from '@playwright/test'
import { crashPage, expect, openHarness, test } from './fixtures.js'
import { openIn } from './helpers.js'

const ATTEMPTS = 500
const IN_FLIGHT = 5

type Row = { id: number; amount: number }
interface State {
  debit: Row[]
  credit: Row[]
  raw: { debit: Row[]; credit: Row[] }
}

/** What the library returns for both tables, and a raw read of their object stores (one IDB transaction). */
async function state(page: Page, name: string): Promise<State> {
  return page.evaluate(async (name) => {
    const handle = window.db ?? (await webnesia.openDatabase({ name }))
    const byId = (a: Row, b: Row): number => a.id - b.id
    const debit = (await handle.dirtyMatchObject<Row>('debit', {})).sort(byId)
    const credit = (await handle.dirtyMatchObject<Row>('credit', {})).sort(byId)
    const raw = await new Promise<{ debit: Row[]; credit: Row[] }>((resolve, reject) => {
      const req = indexedDB.open(`webnesia:${name}`)
      req.onerror = () => reject(new Error(String(req.error)))
      req.onsuccess = () => {
        const idb = req.result
        const tx = idb.transaction(['t:debit', 't:credit'], 'readonly')
        // A disc_copies store's image (src/storage/disc-image.ts): snapshot chunks [0, n], then deltas [1, id].
        const read = (t: string): { keys: IDBRequest<IDBValidKey[]>; values: IDBRequest<unknown[]> } => ({
          keys: tx.objectStore(t).getAllKeys(),
          values: tx.objectStore(t).getAll(),
        })
        const decode = (r: { keys: IDBRequest<IDBValidKey[]>; values: IDBRequest<unknown[]> }): Row[] => {
          const rows = new Map<number, Row>()
          r.keys.result.forEach((k, i) => {
            const v = r.values.result[i] as unknown[]
            if ((k as number[])[0] === 0) for (const rec of v as Row[]) rows.set(rec.id, rec)
            else if ((v[1] as Row[]).length === 0) rows.delete(v[0] as number)
            else rows.set(v[0] as number, (v[1] as Row[])[0] as Row)
          })
          return [...rows.values()].sort((a, b) => a.id - b.id)
        }
        const d = read('t:debit')
        const c = read('t:credit')
        tx.oncomplete = () => {
          idb.close()
          resolve({ debit: decode(d), credit: decode(c) })
        }
        tx.onerror = () => reject(new Error(String(tx.error)))
      }
    })
    return { debit, credit, raw }
  }, name)
}

test('500 commits under repeated tab kills: 0 acknowledged missing, 0 partial, memory = disc', async ({ harness, context, dbName }, testInfo) => {
  // A budget, not a target: ~25 rounds of a new tab loading the node, usually 60 s; on a loaded
  // CI machine one run took past 90 s (2026-12-02), so a stall, not a slow round, is what fails.
  test.setTimeout(180_000)
  // The observer: creates the tables, then stays open through every kill.
  const observer = harness
  await openIn(observer, dbName)
  await observer.evaluate(async () => {
    await db.createTable('debit', { attributes: ['id', 'amount'], storage: 'disc_copies' })
    await db.createTable('credit', { attributes: ['id', 'amount'], storage: 'disc_copies' })
  })

  const attempted = new Set<number>()
  const acked = new Set<number>()
  let seed = 42
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), Math.floor((seed / 2147483648) * n))
  let round = 0
  let interrupted = 0
  while (attempted.size < ATTEMPTS) {
    const page = await context.newPage()
    // Fresh ids for this round, as many as remain to be attempted.
    const first = attempted.size === 0 ? 0 : Math.max(...attempted) + 1
    const last = first + ATTEMPTS - attempted.size
    // Kill once this many of the round's commits were acknowledged (or when the round ends); 0:
    // as the first commit starts, right after the tab loaded the node.
    const killAfter = rnd(41)
    let ackedThisRound = 0
    let reached!: () => void
    const killPoint = new Promise<void>((resolve) => (reached = resolve))
    // Called in the page before a transaction starts (awaited there), and after its commit resolved.
    await page.exposeFunction('begin', (id: number) => {
      attempted.add(id)
      if (killAfter === 0) reached()
    })
    await page.exposeFunction('ack', (id: number) => {
      acked.add(id)
      if (++ackedThisRound >= killAfter) reached()
    })
    await openHarness(page)
    const running = page.evaluate(
      async ({ name, first, last, inFlight }) => {
        const bridge = window as unknown as { begin: (id: number) => Promise<void>; ack: (id: number) => Promise<void> }
        const handle = await webnesia.openDatabase({ name })
        await handle.waitForTables(['debit', 'credit'], 10_000)
        let next = first
        const worker = async (): Promise<void> => {
          while (next < last) {
            const id = next++
            await bridge.begin(id)
            await handle.transaction(async (t) => {
              await t.write('debit', { id, amount: -id })
              await t.write('credit', { id, amount: id })
            })
            await bridge.ack(id)
          }
        }
        // Several in flight at once, so kills land inside group commits too.
        await Promise.all(Array.from({ length: inFlight }, worker))
        return 'finished'
      },
      { name: dbName, first, last, inFlight: IN_FLIGHT },
    )
    let settled = false
    const ended = running.then(
      () => (settled = true),
      () => (settled = true),
    )
    await Promise.race([killPoint, ended])
    if (!settled) interrupted++
    if (round % 2 === 0) await crashPage(page)
    else await page.close()
    await ended
    round++
  }
  expect(round).toBeGreaterThan(10)
  expect(interrupted).toBeGreaterThan(5) // kills landed while commits were in flight

  // The observer caught up (a commit of its own validates against IndexedDB) and matches the disc.
  await observer.evaluate(() => db.transaction(async (t) => t.write('debit', { id: -1, amount: 0 })))
  await observer.evaluate(() => db.transaction(async (t) => t.delete('debit', -1)))
  const seen = await state(observer, dbName)
  // A fresh tab loads the node from IndexedDB.
  const fresh = await state(await openHarness(await context.newPage()), dbName)

  const onDisc = new Set(fresh.raw.debit.map((r) => r.id))
  const committedUnacked = [...onDisc].filter((id) => !acked.has(id)).length
  await testInfo.attach('summary', {
    body: JSON.stringify({ rounds: round, interrupted, attempted: attempted.size, acked: acked.size, onDisc: onDisc.size, committedUnacked }, null, 2),
    contentType: 'application/json',
  })
  expect(attempted.size).toBe(ATTEMPTS)
  expect([...acked].filter((id) => !onDisc.has(id))).toEqual([]) // no acknowledged commit lost
  expect([...onDisc].filter((id) => !attempted.has(id))).toEqual([]) // nothing that was never attempted
  expect(fresh.raw.credit.map((r) => r.id)).toEqual(fresh.raw.debit.map((r) => r.id)) // no half transfer
  expect(fresh.raw.debit.every((r) => r.amount === -r.id)).toBe(true)
  expect(fresh.raw.credit.every((r) => r.amount === r.id)).toBe(true)
  expect({ debit: fresh.debit, credit: fresh.credit }).toEqual(fresh.raw) // memory = disc, fresh tab
  expect({ debit: seen.debit, credit: seen.credit }).toEqual(fresh.raw) // memory = disc, observer
  expect(acked.size).toBeGreaterThan(ATTEMPTS / 2)
})
