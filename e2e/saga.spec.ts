/**
 * Sagas in real Chromium: a tab crashed (CDP Page.crash) in the middle of 50 sagas, resumed by the
 * next tab with every local effect applied exactly once; a frozen tab loses its saga within the lease.
 */
import type { Page } from '@playwright/test'
import type { Saga } from '../src/index.js'
import { crashPage, expect, freezePage, openHarness, test } from './fixtures.js'
import type * as ShopModule from './saga-shop.js'

type Shop = typeof ShopModule
declare global {
  var shop: Shop
  var order: Saga<ShopModule.Order>
}

/** Loads e2e/saga-shop.ts into the page as `window.shop` and opens `name` as `window.db`. */
async function openShop(page: Page, name: string): Promise<void> {
  await page.evaluate(async (name) => {
    // An indirect eval, so the import is the page's own (not rewritten by the test's compiler).
    window.shop = (await (0, eval)("import('/e2e/saga-shop.ts')")) as Shop
    window.db = await webnesia.openDatabase({ name })
  }, name)
}

interface Ledger {
  stock: number
  reserved: number
  sold: number
  orders: { id: string; state: string; qty: number }[]
  sagas: { id: string; status: string }[]
}

async function ledger(page: Page): Promise<Ledger> {
  return page.evaluate(async () => {
    const get = async (k: string): Promise<number> => ((await db.dirtyRead('ledger', k))[0]?.['value'] as number)
    const orders = (await db.dirtyMatchObject('orders', {})) as unknown as Ledger['orders']
    const sagas = (await order.list()).map((s) => ({ id: s.id, status: s.status }))
    return { stock: await get('stock'), reserved: await get('reserved'), sold: await get('sold'), orders, sagas }
  })
}

test('50 sagas, their tab crashed at a random moment: the next tab finishes every one, each local effect once', async ({ context, dbName }) => {
  test.setTimeout(120_000)
  const STOCK = 1000
  const a = await openHarness(await context.newPage())
  await openShop(a, dbName)
  await a.evaluate(async (stock) => {
    await shop.setupShop(db, stock)
    window.order = shop.declareOrder(db, { leaseMs: 1500, slow: true })
    // Never awaited by the test: the tab dies while these run. One start every 40 ms.
    void (async () => {
      for (let i = 0; i < 50; i++) {
        void order.start({ qty: 1 + (i % 3), decline: i % 5 === 0 }, { id: `o${String(i).padStart(2, '0')}` }).catch(() => undefined)
        await new Promise((r) => setTimeout(r, 40))
      }
    })()
    // Resolve once 10 sagas are in the log.
    while ((await order.list()).length < 10) await new Promise((r) => setTimeout(r, 5))
  }, STOCK)
  await a.waitForTimeout(Math.random() * 1200) // the random moment
  await crashPage(a)

  const b = await openHarness(await context.newPage())
  await openShop(b, dbName)
  // Before b declares the saga: what the crash left behind.
  const left = await b.evaluate(async () => {
    const rows = await db.dirtyMatchObject('webnesia_saga', {})
    return { total: rows.length, unfinished: rows.filter((r) => r['status'] === 'running' || r['status'] === 'compensating').length }
  })
  expect(left.total).toBeGreaterThanOrEqual(10)
  expect(left.unfinished).toBeGreaterThan(0)
  test.info().annotations.push({ type: 'crash', description: `${String(left.total)} sagas started, ${String(left.unfinished)} unfinished at the crash` })

  await b.evaluate(() => void (window.order = shop.declareOrder(db, { leaseMs: 1500, slow: true })))
  await expect
    .poll(async () => (await ledger(b)).sagas.filter((s) => s.status !== 'completed' && s.status !== 'compensated').length, { timeout: 60_000 })
    .toBe(0)
  const end = await ledger(b)
  expect(end.sagas).toHaveLength(left.total)
  const byId = new Map(end.orders.map((o) => [o.id, o]))
  let soldWanted = 0
  for (const s of end.sagas) {
    const o = byId.get(s.id)
    const qty = 1 + (Number(s.id.slice(1)) % 3)
    if (s.status === 'completed') {
      expect(o).toEqual({ id: s.id, state: 'shipped', qty })
      soldWanted += qty
    } else {
      expect(Number(s.id.slice(1)) % 5 === 0 || o?.state === 'cancelled' || o === undefined).toBe(true)
      if (o) expect(o.state).toBe('cancelled')
    }
  }
  // Exactly once: nothing reserved is left, sold is the sum of the shipped orders, stock the rest.
  expect(end.reserved).toBe(0)
  expect(end.sold).toBe(soldWanted)
  expect(end.stock).toBe(STOCK - soldWanted)
  expect(end.stock + end.reserved + end.sold).toBe(STOCK)
  expect(end.sagas.some((s) => s.status === 'compensated')).toBe(true)
})

test('a frozen tab holding a saga loses it to another tab within the lease', async ({ freezable }) => {
  test.setTimeout(90_000)
  const LEASE = 3000
  const name = `frozen-${String(Date.now())}`
  const a = await openHarness(await freezable.context.newPage())
  const b = await openHarness(await freezable.context.newPage())
  await openShop(a, name)
  await openShop(b, name)
  await a.evaluate(async (leaseMs) => {
    await shop.setupShop(db, 10)
    // In a, the payment service hangs: a holds the saga mid-step, renewing its claim.
    window.order = shop.declareOrder(db, { leaseMs, hold: 3_600_000 })
    void order.start({ qty: 2, decline: false }, { id: 'held' }).catch(() => undefined)
  }, LEASE)
  await expect.poll(() => a.evaluate(async () => (await order.history('held')).some((e) => e.step === 'pay'))).toBe(true)
  await b.evaluate(async (leaseMs) => {
    await db.waitForTables(['ledger', 'orders'], 10_000)
    window.order = shop.declareOrder(db, { leaseMs })
  }, LEASE)
  // While a lives, b leaves the saga alone (two lease periods).
  await b.waitForTimeout(2 * LEASE)
  const during = await b.evaluate(async () => {
    const rows = await db.dirtyRead('webnesia_saga', 'held')
    return { status: rows[0]?.['status'], resumed: (await order.history('held')).filter((e) => e.kind === 'resumed').length }
  })
  expect(during).toEqual({ status: 'running', resumed: 0 })

  const frozenAt = Date.now()
  const resume = await freezePage(a)
  await expect.poll(() => b.evaluate(async () => (await order.status('held'))?.status), { timeout: 30_000, intervals: [100] }).toBe('completed')
  const ms = Date.now() - frozenAt
  test.info().annotations.push({ type: 'takeover', description: `${String(ms)} ms after the freeze (lease ${String(LEASE)} ms)` })
  expect(ms).toBeLessThan(LEASE + 3000)
  const end = await ledger(b)
  expect({ stock: end.stock, reserved: end.reserved, sold: end.sold }).toEqual({ stock: 8, reserved: 0, sold: 2 })
  expect((await b.evaluate(() => order.history('held'))).filter((e) => e.kind === 'resumed')).toHaveLength(1)
  await resume()
})
