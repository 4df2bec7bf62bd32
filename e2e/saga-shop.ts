/**
 * The order saga of the saga e2e tests, loaded into a harness page with
 * `await import('/e2e/saga-shop.ts')` (through the dev server), so every tab declares the same saga.
 *
 * Local effects are counters in one `ledger` table (stock, reserved, sold) plus a row per order in
 * `orders`: a reserve or a ship applied twice would leave `sold` or `stock` off the sum of the
 * completed orders, however the three still add up.
 */
import { SagaAbortError, type Database, type Saga, type Transaction } from '../src/index.js'

/** An order: its quantity, and whether the simulated payment service declines it. */
export interface Order {
  qty: number
  decline: boolean
}

/** Creates the tables and puts `stock` items in stock. */
export async function setupShop(db: Database, stock: number): Promise<void> {
  await db.createTable('ledger', { attributes: ['name', 'value'] })
  await db.createTable('orders', { attributes: ['id', 'state', 'qty'] })
  await db.transaction(async (t) => {
    await t.write('ledger', { name: 'stock', value: stock })
    await t.write('ledger', { name: 'reserved', value: 0 })
    await t.write('ledger', { name: 'sold', value: 0 })
  })
}

async function add(t: Transaction, name: string, by: number): Promise<void> {
  const [r] = await t.read('ledger', name, 'write')
  await t.write('ledger', { name, value: (r?.['value'] as number) + by })
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Declares the order saga: reserve (local) → pay (a simulated remote service: slow, flaky 30%,
 * declines some orders for good) → ship (local). `hold` makes `pay` wait that long (a hung service);
 * `slow` makes it take 0.3–0.8 s, so a saga is in flight for longer than the gap between two starts.
 */
export function declareOrder(db: Database, opts: { leaseMs: number; hold?: number; slow?: boolean }): Saga<Order> {
  return db.saga<Order>(
    'order',
    [
      {
        name: 'reserve',
        run: async (ctx, o) => {
          await pause(Math.random() * 20)
          return ctx.transaction(async (t) => {
            await add(t, 'stock', -o.qty)
            await add(t, 'reserved', o.qty)
            await t.write('orders', { id: ctx.id, state: 'reserved', qty: o.qty })
            return o.qty
          })
        },
        compensate: (ctx, o) =>
          ctx.transaction(async (t) => {
            await add(t, 'reserved', -o.qty)
            await add(t, 'stock', o.qty)
            await t.write('orders', { id: ctx.id, state: 'cancelled', qty: o.qty })
          }),
      },
      {
        name: 'pay',
        run: async (ctx, o) => {
          await pause(opts.hold ?? (opts.slow ? 300 + Math.random() * 500 : 10 + Math.random() * 40))
          if (o.decline) throw new SagaAbortError('declined')
          if (Math.random() < 0.3) throw new Error('payment service unavailable')
          return `pay-${ctx.idempotencyKey}`
        },
      },
      {
        name: 'ship',
        run: async (ctx, o) => {
          await pause(Math.random() * 20)
          return ctx.transaction(async (t) => {
            await add(t, 'reserved', -o.qty)
            await add(t, 'sold', o.qty)
            await t.write('orders', { id: ctx.id, state: 'shipped', qty: o.qty })
            return 'shipped'
          })
        },
      },
    ],
    { retries: 6, backoff: { baseMs: 10, maxMs: 200 }, leaseMs: opts.leaseMs },
  )
}
