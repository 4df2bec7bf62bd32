/**
 * SAGA: the cost of durability. A saga of 3 steps, each one local transaction through
 * `ctx.transaction` (reserve stock, record the payment, ship), against the same 3 transactions
 * run bare, one after the other. A saga adds its log: the row and first event at start, each step's
 * journal entry inside its transaction, and each step's outcome (with the next step's start).
 * Figures are sagas (or bare triples) per second, sequential (await each) and 20 at a time.
 */
import { openDatabase, type Database, type Transaction } from '../../src/index.js'
import { check, dropLib, now, rotated, uniqueName } from './common.js'

async function bump(t: Transaction, k: string, by: number): Promise<void> {
  const [r] = await t.read('ledger', k, 'write')
  await t.write('ledger', { k, v: ((r?.['v'] as number | undefined) ?? 0) + by })
}

const reserve = (i: number) => async (t: Transaction): Promise<void> => {
  await bump(t, 'stock', -1)
  await t.write('orders', { id: i, state: 'reserved' })
}
const pay = (i: number) => async (t: Transaction): Promise<void> => {
  await t.write('payments', { id: i, amount: 1 })
}
const ship = (i: number) => async (t: Transaction): Promise<void> => {
  await bump(t, 'sold', 1)
  await t.write('orders', { id: i, state: 'shipped' })
}

async function shop(): Promise<Database> {
  const db = await openDatabase({ name: uniqueName('saga') })
  await db.createTable('ledger', { attributes: ['k', 'v'] })
  await db.createTable('orders', { attributes: ['id', 'state'] })
  await db.createTable('payments', { attributes: ['id', 'amount'] })
  return db
}

async function throughput(n: number, parallel: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = now()
  for (let i = 0; i < n; i += parallel) {
    const batch: Promise<unknown>[] = []
    for (let j = i; j < Math.min(n, i + parallel); j++) batch.push(one(j))
    await Promise.all(batch)
  }
  return (n * 1000) / (now() - t0)
}

export async function sagaBench(p: { sagas: number; rep: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const run = (parallel: number, key: string) => [
    async (): Promise<void> => {
      const db = await shop()
      const order = db.saga<number>('order', [
        { name: 'reserve', run: (ctx, i) => ctx.transaction(reserve(i)) },
        { name: 'pay', run: (ctx, i) => ctx.transaction(pay(i)) },
        { name: 'ship', run: (ctx, i) => ctx.transaction(ship(i)) },
      ])
      await order.start(-1) // creates the saga tables: not measured
      out[`saga.${key}.perSec`] = await throughput(p.sagas, parallel, (i) => order.start(i))
      const [sold] = await db.dirtyRead('ledger', 'sold')
      check(sold?.['v'] === p.sagas + 1, 'every saga shipped once')
      await dropLib(db)
    },
    async (): Promise<void> => {
      const db = await shop()
      out[`bare.${key}.perSec`] = await throughput(p.sagas, parallel, async (i) => {
        await db.transaction(reserve(i))
        await db.transaction(pay(i))
        await db.transaction(ship(i))
      })
      const [sold] = await db.dirtyRead('ledger', 'sold')
      check(sold?.['v'] === p.sagas, 'every bare triple shipped once')
      await dropLib(db)
    },
  ]
  await rotated(p.rep, run(1, 'seq'))
  await rotated(p.rep, run(20, 'par20'))
  return out
}
